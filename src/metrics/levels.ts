import type { Labels } from './exposition.ts';
import { MS_PER_UNIT, type PoolMetrics } from './presets.ts';
import {
  counterIncrease,
  counterValue,
  countSum,
  countSumIncrease,
  type Families,
  findFamily,
  gaugeValue,
  histogramIncrease,
  histogramQuantile,
  histogramValue,
} from './series.ts';

/**
 * Per-level figures from what was sampled while the ladder ran: counters and histograms as the
 * difference between the scrapes at a level's start and end, gauges as the peak and mean of the
 * scrapes taken during it. Pure: samples and windows in, figures out.
 */

/** A measured level's time span, seconds from the ladder's start (the plan's schedule). */
export interface LevelWindow {
  phase: string;
  levelIndex: number;
  level: number;
  startS: number;
  endS: number;
}

/** One scrape of the service's metrics. */
export interface ScrapeRecord {
  /** when it was meant to happen, seconds from the ladder's start (a level's start or end, or a tick) */
  targetS: number;
  /** when it happened */
  atS: number;
  /** null when the scrape failed */
  families: Families | null;
}

export interface LevelPoolFigures {
  /** null: no histogram, no checkout during the level, or a p95 beyond the highest bucket */
  waitP95Ms: number | null;
  /**
   * The highest finite bucket bound (ms) when the p95 lies beyond it: the histogram can only
   * say "more than this", which is no p95. null otherwise.
   */
  waitP95BeyondMs: number | null;
  /** null: no wait metric, or no checkout (no wait, for a sum and count) during the level */
  waitMeanMs: number | null;
  /** observations of the wait metric during the level */
  waits: number | null;
  timeouts: number | null;
  peakWaiting: number | null;
  peakInUse: number | null;
  meanInUse: number | null;
  peakOpen: number | null;
}

export const NOT_MEASURED_POOL: LevelPoolFigures = {
  waitP95Ms: null,
  waitP95BeyondMs: null,
  waitMeanMs: null,
  waits: null,
  timeouts: null,
  peakWaiting: null,
  peakInUse: null,
  meanInUse: null,
  peakOpen: null,
};

/** A tolerance for comparing scheduled times, which are sums of decimal seconds. */
const EPSILON_S = 1e-6;

/** The pool's figures for one level; a role whose metric is missing or whose scrape failed is null. */
export function levelPoolFigures(
  window: LevelWindow,
  timeline: readonly ScrapeRecord[],
  metrics: PoolMetrics,
  labels: Labels = {},
): LevelPoolFigures {
  const at = (targetS: number) =>
    timeline.find((r) => Math.abs(r.targetS - targetS) < EPSILON_S && r.families !== null)?.families ?? null;
  const start = at(window.startS);
  const end = at(window.endS);
  const during = timeline.filter(
    (r) =>
      r.families !== null && r.targetS >= window.startS - EPSILON_S && r.targetS <= window.endS + EPSILON_S,
  );

  const figures: LevelPoolFigures = { ...NOT_MEASURED_POOL };
  if (start && end) {
    Object.assign(figures, waitFigures(start, end, metrics, labels));
    if (metrics.timeouts !== undefined) {
      const before = counterOf(start, metrics.timeouts, labels);
      const after = counterOf(end, metrics.timeouts, labels);
      if (before !== null && after !== null) figures.timeouts = Math.round(counterIncrease(before, after));
    }
  }
  const gauge = (name: string | undefined) => {
    if (name === undefined) return [];
    return during
      .map((r) => {
        const family = findFamily(r.families as Families, name);
        return family ? gaugeValue(family, labels) : null;
      })
      .filter((v): v is number => v !== null && Number.isFinite(v));
  };
  const waiting = gauge(metrics.waiting);
  const inUse = gauge(metrics.inUse);
  const open = gauge(metrics.open);
  if (waiting.length > 0) figures.peakWaiting = Math.max(...waiting);
  if (inUse.length > 0) {
    figures.peakInUse = Math.max(...inUse);
    figures.meanInUse = inUse.reduce((a, b) => a + b, 0) / inUse.length;
  }
  if (open.length > 0) figures.peakOpen = Math.max(...open);
  return figures;
}

function counterOf(families: Families, name: string, labels: Labels): number | null {
  const family = findFamily(families, name);
  return family ? counterValue(family, labels) : null;
}

function waitFigures(
  start: Families,
  end: Families,
  metrics: PoolMetrics,
  labels: Labels,
): Pick<LevelPoolFigures, 'waitP95Ms' | 'waitP95BeyondMs' | 'waitMeanMs' | 'waits'> {
  const none = { waitP95Ms: null, waitP95BeyondMs: null, waitMeanMs: null, waits: null };
  const wait = metrics.wait;
  if (!wait) return none;
  const toMs = MS_PER_UNIT[wait.unit];
  if ('sum' in wait) {
    const sums = [counterOf(start, wait.sum, labels), counterOf(end, wait.sum, labels)];
    const counts = [counterOf(start, wait.count, labels), counterOf(end, wait.count, labels)];
    if (sums.includes(null) || counts.includes(null)) return none;
    const d = countSumIncrease(
      { count: counts[0] as number, sum: sums[0] as number },
      { count: counts[1] as number, sum: sums[1] as number },
    );
    return { ...none, waitMeanMs: d.count > 0 ? (d.sum / d.count) * toMs : null, waits: d.count };
  }
  const before = findFamily(start, wait.metric);
  const after = findFamily(end, wait.metric);
  if (!before || !after) return none;
  const histogramBefore = histogramValue(before, labels);
  const histogramAfter = histogramValue(after, labels);
  if (histogramBefore && histogramAfter) {
    const d = histogramIncrease(histogramBefore, histogramAfter);
    if (d.count <= 0) return { ...none, waits: 0 };
    const mean = { waitMeanMs: (d.sum / d.count) * toMs, waits: d.count };
    // Prometheus answers the highest finite bound when the rank is in the +Inf bucket: a floor, not a p95.
    const highest = d.buckets.at(-2);
    if (highest && highest.count < 0.95 * d.count)
      return { ...none, ...mean, waitP95BeyondMs: highest.le * toMs };
    const p95 = histogramQuantile(0.95, d.buckets);
    return { ...none, ...mean, waitP95Ms: p95 === null ? null : p95 * toMs };
  }
  // A summary's quantiles cover its own sliding window, not the level: only count and sum are used.
  const totalsBefore = countSum(before, labels);
  const totalsAfter = countSum(after, labels);
  if (!totalsBefore || !totalsAfter) return none;
  const d = countSumIncrease(totalsBefore, totalsAfter);
  return { ...none, waitMeanMs: d.count > 0 ? (d.sum / d.count) * toMs : null, waits: d.count };
}

/** One row of pg_stat_activity counts, as the Postgres sampler reads it. */
export interface PgSample {
  atS: number;
  /** client connections, the sampler's own left out */
  connections: number;
  /** sessions waiting for a lock */
  lockWaits: number;
  /** sessions idle inside an open transaction */
  idleInTransaction: number;
}

export interface LevelDbFigures {
  peakConnections: number | null;
  peakLockWaits: number | null;
  peakIdleInTransaction: number | null;
  /** connections the server refused ("too many clients") during the level; null: not watched */
  refusedConnections: number | null;
}

/** The database's peaks during a level from the sampler's rows, with the refusals counted apart. */
export function levelDbFigures(
  window: LevelWindow,
  samples: readonly PgSample[],
  refusedConnections: number | null,
): LevelDbFigures {
  const during = samples.filter(
    (s) => s.atS >= window.startS - EPSILON_S && s.atS <= window.endS + EPSILON_S,
  );
  const peak = (pick: (s: PgSample) => number) => (during.length > 0 ? Math.max(...during.map(pick)) : null);
  return {
    peakConnections: peak((s) => s.connections),
    peakLockWaits: peak((s) => s.lockWaits),
    peakIdleInTransaction: peak((s) => s.idleInTransaction),
    refusedConnections,
  };
}

/** The measured levels' windows of a plan's scenarios, in the order they run. */
export function levelWindows(
  scenarios: readonly {
    phase: string;
    levelIndex: number;
    level: number;
    measured: boolean;
    startS: number;
    durationS: number;
  }[],
): LevelWindow[] {
  return scenarios
    .filter((s) => s.measured)
    .map((s) => ({
      phase: s.phase,
      levelIndex: s.levelIndex,
      level: s.level,
      startS: s.startS,
      endS: Math.round((s.startS + s.durationS) * 1000) / 1000,
    }));
}
