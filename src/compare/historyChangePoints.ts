import type { Baseline, BaselineCell, PercentileMetric } from '../baseline/schema.ts';
import { changePoints } from './changePoints.ts';
import type { ChangePointReport, Policy } from './schema.ts';
import { MIN_LOG_MS, median } from './stats.ts';

/**
 * The chance, per run, of reporting a change point in a steady series, split over the series
 * searched. Hunter's 0.001 per series reported one in 10% of steady nightly runs of 8 series on
 * bench:stats' tuning seeds (its t test is taken at the best of many splits, so its p is
 * optimistic); 0.002 per run (0.00025 a series there) reported one in 3% while still finding a +15%
 * step in 98% of series.
 */
export const CHANGE_POINT_RUN_P = 0.002;

/** Points a series needs before change points mean anything (Hunter's t test needs 3; a level, more). */
export const MIN_SERIES_RUNS = 5;

/** The percentiles whose series are searched: p99 moves too much between runs to place a change. */
const SERIES_METRICS: readonly PercentileMetric[] = ['p50Ms', 'p95Ms'];

/**
 * Change points in a series of stored runs with this run last, per cell (phase, level, request)
 * and percentile (p50, p95), on ln(percentile): where the series changed level, reported so that a
 * slower build a nightly run took as its baseline does not pass unnoticed. `runs` oldest first,
 * all comparable with `current`; a cell that a run lacks, or whose tail is too thin to trust in
 * some run, is not searched. Also, per cell and percentile (`cellKey\0metric`), the index in
 * `runs` where its last level began: the stored runs a comparison should take its baseline from.
 */
export function seriesChangePoints(
  runs: readonly Baseline[],
  current: Baseline,
  policy: Pick<Policy, 'minTailSamples' | 'changePointP'>,
): { changePoints: ChangePointReport[]; since: Map<string, number> } {
  const reports: ChangePointReport[] = [];
  const since = new Map<string, number>();
  const series = [...runs, current];
  if (series.length < MIN_SERIES_RUNS) return { changePoints: reports, since };
  const searched: { cell: BaselineCell; id: string; metric: PercentileMetric; values: number[] }[] = [];
  for (const cell of current.cells) {
    const id = cellKeyOf(cell);
    const cells = series.map((r) => r.cells.find((c) => cellKeyOf(c) === id));
    for (const metric of SERIES_METRICS) {
      const values: number[] = [];
      for (const c of cells) {
        const p = c?.[metric];
        if (!p || p.logSe === null || p.tailSamples < policy.minTailSamples) break;
        values.push(p.estimateMs);
      }
      if (values.length === series.length) searched.push({ cell, id, metric, values });
    }
  }
  // the run's budget split over its series (Bonferroni), so a ladder of many cells reports no
  // more false change points than one of few
  const maxPValue = (policy.changePointP ?? CHANGE_POINT_RUN_P) / Math.max(1, searched.length);
  for (const { cell, id, metric, values } of searched) {
    const logs = values.map((v) => Math.log(Math.max(MIN_LOG_MS, v)));
    const found = changePoints(logs, { maxPValue });
    const cuts = [0, ...found.map((f) => f.index), values.length];
    found.forEach((f, i) => {
      const before = median(values.slice(cuts[i], f.index)) as number;
      const after = median(values.slice(f.index, cuts[i + 2])) as number;
      const run = series[f.index] as Baseline;
      reports.push({
        phase: cell.phase,
        levelIndex: cell.levelIndex,
        level: cell.level,
        request: cell.request,
        metric,
        runId: run.runId,
        startedAt: run.startedAt,
        commit: run.source.commit,
        beforeMs: before,
        afterMs: after,
        change: before > 0 ? after / before - 1 : 0,
        pValue: f.pValue,
      });
    });
    const inHistory = found.filter((f) => f.index < runs.length).at(-1);
    if (inHistory) since.set(`${id}\u0000${metric}`, inHistory.index);
  }
  return { changePoints: reports, since };
}

function cellKeyOf(cell: Pick<BaselineCell, 'phase' | 'levelIndex' | 'request'>): string {
  return `${cell.phase}\u0000${cell.levelIndex}\u0000${cell.request}`;
}
