import { comparabilityOf } from '../compare/compare.ts';
import { seriesChangePoints } from '../compare/historyChangePoints.ts';
import { DEFAULT_POLICY } from '../compare/policy.ts';
import type { Policy } from '../compare/schema.ts';
import type { Trend } from '../result/schema.ts';
import type { Baseline } from './schema.ts';

/** Stored runs a trend reads: a month of nightly runs. */
export const TREND_RUNS = 30;

/**
 * A series' history with this run last, as the trend the nightly report charts: p95 of each
 * request at the first phase's highest level (where a slower build shows first), one point per
 * run. Stored runs that cannot be compared with this one (another load, k6 or runner) are left
 * out and counted; so is this run's own record when it was stored already. Null when no stored run
 * is left: one point is no trend. With it, the change points of the series (every cell's p50 and
 * p95 over the same runs, this one last), so a nightly run that took a slower build as its
 * baseline says so. Pure.
 */
export function buildTrend(
  history: readonly Baseline[],
  current: Baseline,
  source: string,
  limit = TREND_RUNS,
  policy: Pick<Policy, 'minTailSamples' | 'changePointP'> = DEFAULT_POLICY,
): Trend | null {
  const [first] = current.cells;
  if (!first) return null;
  const phase = first.phase;
  const here = current.cells.filter((c) => c.phase === phase);
  const levelIndex = Math.max(...here.map((c) => c.levelIndex));
  const top = here.filter((c) => c.levelIndex === levelIndex);
  const requests = [...new Set(top.map((c) => c.request))];
  const earlier = history.filter((h) => h.runId !== current.runId);
  const comparable = earlier.filter(
    (h) => comparabilityOf(h.comparability, current.comparability).reasons.length === 0,
  );
  if (comparable.length === 0) return null;
  const stored = [...comparable].sort((a, b) => a.startedAt.localeCompare(b.startedAt)).slice(-(limit - 1));
  const runs = stored.concat(current);
  const { changePoints } = seriesChangePoints(stored, current, policy);
  return {
    source,
    phase,
    levelIndex,
    level: (top[0] ?? first).level,
    requests,
    points: runs.map((run) => ({
      runId: run.runId,
      startedAt: run.startedAt,
      commit: run.source.commit,
      p95Ms: requests.map(
        (request) =>
          run.cells.find((c) => c.phase === phase && c.levelIndex === levelIndex && c.request === request)
            ?.p95Ms?.estimateMs ?? null,
      ),
    })),
    skipped: earlier.length - comparable.length,
    changePoints,
  };
}
