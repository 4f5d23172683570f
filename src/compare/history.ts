import type { PercentileMetric } from '../baseline/schema.ts';
import type { Policy } from './schema.ts';
import { MIN_LOG_MS, mean, median, quantizationLogVariance, sampleVariance } from './stats.ts';

/**
 * Stored-baseline mode's evidence: a run against the stored runs before it (a history of one
 * record or more, all comparable with it). The baseline is their robust centre (the median) and
 * the noise their spread, shrunk toward the assumed noise while the history is short.
 *
 * The model: a run's ln(percentile) is the code's true value plus a run effect (the runner, the
 * job's neighbours) plus its own sampling error; runs are independent. With N stored runs:
 * - σ₀², the assumed variance of one run: half of the assumed two-run noise (policy.runNoise and
 *   runNoiseMs) plus the runs' mean sampling variance (their bootstraps);
 * - s², the history's own: their sample variance, never below the sampling variance;
 * - σ² = max(s², (ν₀σ₀² + (N − 1)s²) / (ν₀ + N − 1)), ν₀ = policy.noisePriorRuns: the history's
 *   variance shrunk toward the assumed one with a prior worth ν₀ runs (the scaled-inverse-χ²
 *   shrinkage), but only upward: a history that looks quieter than assumed is pulled up toward
 *   the assumption while it is short, a noisier one is taken at its word;
 * - the test: d = ln(this run) − median, var(d) = this run's variance (σ² with its own sampling
 *   variance in place of the history's) + the median's (σ²·c/N, c = π/2 for N ≥ 3, the median's
 *   efficiency against the mean; 1 for one or two runs), with Student's t(N − 1). A single record
 *   is the assumed noise taken as known, the normal (as before histories existed).
 * Why these choices (simulated while tuning, normal run effects 0.5–3× the assumed, N = 3, 5, 10):
 * the symmetric shrinkage let a runner twice as noisy as assumed raise false alarms to 6–9%, the
 * MAD (efficiency 37%) understated the spread of 5–10 runs often enough for 7–9%; this rule stayed
 * at or under 5% throughout, where a noise estimated from 3 runs and then trusted gave 10–11%
 * (issue 13). The median keeps one slow run from moving the baseline; in the spread such a run
 * only widens the interval, the conservative side. bench:stats reports it on other seeds.
 */

export interface RunPercentile {
  /** the percentile's estimate, ms */
  estimateMs: number;
  /** standard error of its logarithm (its bootstrap over requests) */
  logSe: number;
}

export interface HistoryShift {
  /** ln(this run / the history's median) */
  d: number;
  se: number;
  /** Infinity: the normal */
  df: number;
  /** the history's median, ms */
  referenceMs: number;
  records: number;
  /** the per-run standard deviation used (√σ²), for the report */
  runSd: number;
  /** whether the history's spread entered (N ≥ 2) or only the assumed noise */
  measured: boolean;
}

/** The effect of a change of runner CPU model on the variance (policy.cpuModelNoise²), or 0. */
export function cpuModelVariance(policy: Policy, differs: boolean): number {
  return differs ? (policy.cpuModelNoise ?? 0) ** 2 : 0;
}

/** A percentile of this run against its stored history; `history` in any order, at least one. */
export function historyShift(
  history: readonly RunPercentile[],
  run: RunPercentile,
  metric: PercentileMetric,
  policy: Policy,
  options: { cpuModelDiffers?: boolean } = {},
): HistoryShift {
  if (history.length === 0) throw new Error('historyShift: no stored run to compare with');
  const logs = history.map((h) => Math.log(Math.max(MIN_LOG_MS, h.estimateMs)));
  const n = logs.length;
  const centre = median(logs) as number;
  // the middle run's own value (odd N), or the geometric mean of the middle two: exp(centre), exactly
  const sorted = history.map((h) => h.estimateMs).sort((a, b) => a - b);
  const mid = Math.floor(n / 2);
  const referenceMs =
    n % 2 === 1 ? (sorted[mid] as number) : Math.sqrt((sorted[mid - 1] as number) * (sorted[mid] as number));
  const sampling = mean(history.map((h) => h.logSe ** 2));
  const assumed = twoRunNoiseLogVariance(policy, metric, referenceMs) / 2 + sampling;
  const prior = policy.noisePriorRuns ?? 3;
  let variance = assumed;
  let df = Number.POSITIVE_INFINITY;
  if (n >= 2) {
    const spread = Math.max(sampleVariance(logs), sampling);
    variance = Math.max(spread, (prior * assumed + (n - 1) * spread) / (prior + n - 1));
    df = n - 1;
  }
  const medianFactor = n >= 3 ? Math.PI / 2 : 1;
  // ties (a timer that rounds to whole milliseconds) leave a bootstrap with no spread
  const ties =
    (run.logSe === 0 ? quantizationLogVariance(run.estimateMs, resolutionOf(run.estimateMs)) : 0) +
    (sampling === 0 ? quantizationLogVariance(referenceMs, resolutionOf(referenceMs)) : 0);
  const total =
    variance -
    sampling +
    run.logSe ** 2 +
    (variance * medianFactor) / n +
    ties +
    cpuModelVariance(policy, options.cpuModelDiffers === true);
  return {
    d: Math.log(Math.max(MIN_LOG_MS, run.estimateMs)) - centre,
    se: Math.sqrt(total),
    df,
    referenceMs,
    records: n,
    runSd: Math.sqrt(variance),
    measured: n >= 2,
  };
}

/** A value in whole milliseconds came from a timer of that resolution, most likely. */
function resolutionOf(ms: number): number {
  return Number.isInteger(ms) && ms > 0 ? 1 : 0.001;
}

/**
 * The variance of ln(candidate / baseline) between two runs of the same code beyond sampling: the
 * relative noise, plus the absolute noise (ms) turned into a share of the percentile's size, so a
 * fast endpoint is not judged by a slow one's noise.
 */
export function twoRunNoiseLogVariance(policy: Policy, metric: PercentileMetric, sizeMs: number): number {
  const relative = policy.runNoise[metric];
  const absoluteMs = policy.runNoiseMs?.[metric] ?? 0;
  return relative ** 2 + (absoluteMs / Math.max(MIN_LOG_MS, sizeMs)) ** 2;
}

export interface RunCount {
  /** failed requests of the kind (errors or timeouts) */
  events: number;
  count: number;
}

export interface HistoryRateShift {
  /** this run's rate − the history's median rate */
  d: number;
  se: number;
  df: number;
  referenceRate: number;
  records: number;
  /** the overdispersion used (1: independent requests) */
  dispersion: number;
}

/**
 * A failure rate of this run against its history, or null when no run had any failure (nothing
 * to test). Failures come in bursts, so a run's count varies by more than the binomial's: the
 * variance of a rate is φ·p̄(1 − p̄)/n, φ the overdispersion. φ₀ = policy.rateDispersion is
 * assumed; a history of two or more runs with failures measures its own (Pearson's χ² over the
 * runs ÷ (N − 1), at least 1), shrunk upward toward φ₀ with the prior weight ν₀ as the
 * percentiles' noise is. The reference is the median rate; the test Student's t as for percentiles.
 */
export function historyRateShift(
  history: readonly RunCount[],
  run: RunCount,
  policy: Policy,
): HistoryRateShift | null {
  const stored = history.filter((h) => h.count > 0);
  if (stored.length === 0 || run.count === 0) return null;
  const events = stored.reduce((s, h) => s + h.events, 0);
  const requests = stored.reduce((s, h) => s + h.count, 0);
  const pooled = (events + run.events) / (requests + run.count);
  if (pooled === 0) return null;
  const n = stored.length;
  const prior = policy.noisePriorRuns ?? 3;
  const assumed = policy.rateDispersion ?? 1;
  let dispersion = assumed;
  let df = Number.POSITIVE_INFINITY;
  if (n >= 2) {
    df = n - 1;
    const p = events / requests;
    if (p > 0 && p < 1) {
      const measured = Math.max(
        1,
        stored.reduce((s, h) => s + (h.events - h.count * p) ** 2 / (h.count * p * (1 - p)), 0) / (n - 1),
      );
      dispersion = Math.max(measured, (prior * assumed + (n - 1) * measured) / (prior + n - 1));
    }
  }
  const referenceRate = median(stored.map((h) => h.events / h.count)) as number;
  const medianFactor = n >= 3 ? Math.PI / 2 : 1;
  const meanCount = requests / n;
  const variance = dispersion * pooled * (1 - pooled) * (1 / run.count + medianFactor / (n * meanCount));
  return {
    d: run.events / run.count - referenceRate,
    se: Math.sqrt(variance),
    df,
    referenceRate,
    records: n,
    dispersion,
  };
}
