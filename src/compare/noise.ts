import type { Baseline, BaselineCell, PercentileMetric } from '../baseline/schema.ts';
import { MIN_LOG_MS } from './stats.ts';

/** Records needed before a history's spread says anything about the runner's noise. */
export const MIN_HISTORY_RECORDS = 3;
const MIN_TAIL = 20;

export interface HistoryNoise {
  /**
   * standard deviation of ln(candidate / baseline) between two runs beyond their sampling error;
   * absent for a percentile no cell could measure (too few samples beyond it)
   */
  runNoise: Partial<Record<PercentileMetric, number>>;
  /** records it was estimated from */
  records: number;
}

/**
 * The run-to-run noise of each percentile, from a history of runs of the same code line (one
 * series, comparable with each other). Per cell, the variance of ln(percentile) across runs is
 * the run effect's variance τ² plus the mean sampling variance (the bootstrap's logSe²); τ² is
 * their difference (at least 0), averaged over the cells that have an estimate in every run. Two
 * runs differ by two run effects, so the noise of their ratio is √(2τ²). Cells whose tail has
 * fewer than 20 samples are left out; a percentile without any cell is absent. null with fewer
 * than MIN_HISTORY_RECORDS records or nothing measurable.
 */
export function noiseFromHistory(history: readonly Baseline[]): HistoryNoise | null {
  if (history.length < MIN_HISTORY_RECORDS) return null;
  const [first] = history;
  if (!first) return null;
  const runNoise: HistoryNoise['runNoise'] = {};
  for (const metric of ['p50Ms', 'p95Ms', 'p99Ms'] as const) {
    const taus: number[] = [];
    for (const cell of first.cells) {
      const values: { log: number; se: number }[] = [];
      for (const run of history) {
        const match: BaselineCell | undefined = run.cells.find(
          (c) => c.phase === cell.phase && c.levelIndex === cell.levelIndex && c.request === cell.request,
        );
        const p = match?.[metric];
        // a tail judged from few samples has an unreliable spread: such cells say nothing here
        if (!p || p.logSe === null || p.tailSamples < MIN_TAIL) break;
        values.push({ log: Math.log(Math.max(MIN_LOG_MS, p.estimateMs)), se: p.logSe });
      }
      if (values.length !== history.length) continue;
      const mean = values.reduce((s, v) => s + v.log, 0) / values.length;
      const variance = values.reduce((s, v) => s + (v.log - mean) ** 2, 0) / (values.length - 1);
      const sampling = values.reduce((s, v) => s + v.se ** 2, 0) / values.length;
      taus.push(Math.max(0, variance - sampling));
    }
    if (taus.length === 0) continue;
    runNoise[metric] = Math.sqrt((2 * taus.reduce((s, t) => s + t, 0)) / taus.length);
  }
  return Object.keys(runNoise).length > 0 ? { runNoise, records: history.length } : null;
}
