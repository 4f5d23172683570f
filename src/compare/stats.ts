import stdNormalCdf from '@stdlib/stats-base-dists-normal-cdf';
import stdNormalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import stdTCdf from '@stdlib/stats-base-dists-t-cdf';
import stdTQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * The statistics the comparison rests on, pure and deterministic: a seeded random source, the
 * normal and Student's t distributions (from @stdlib, guarded: NaN in, an error out; huge df,
 * the normal), Holm's correction, robust summaries, and the bootstrap of a percentile.
 */

/** A seeded uniform random source in [0, 1) (mulberry32): the same seed, the same numbers. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from text (FNV-1a), so each cell's bootstrap draws its own reproducible numbers. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Degrees of freedom beyond which Student's t is taken as the normal: past a million the two
 * differ by under 1e-6 in every quantile used here, and the library's t functions lose accuracy
 * (or return 0.5) as df grows towards infinity.
 */
export const MAX_DF = 1e6;

/** Φ(x), the standard normal CDF (@stdlib). */
export function normalCdf(x: number): number {
  finiteOrInfinite(x, 'normalCdf: x');
  return stdNormalCdf(x, 0, 1);
}

/** Φ⁻¹(p), the standard normal quantile (@stdlib); ±∞ at 0 and 1. */
export function normalQuantile(p: number): number {
  probability(p, 'normalQuantile: p');
  return stdNormalQuantile(p, 0, 1);
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom (@stdlib); the normal beyond MAX_DF. */
export function studentCdf(t: number, df: number): number {
  finiteOrInfinite(t, 'studentCdf: t');
  const v = degreesOfFreedom(df, 'studentCdf');
  if (v === null) return normalCdf(t);
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  return stdTCdf(t, v);
}

/** The p-quantile of Student's t with `df` degrees of freedom (@stdlib); the normal beyond MAX_DF. */
export function studentQuantile(p: number, df: number): number {
  probability(p, 'studentQuantile: p');
  const v = degreesOfFreedom(df, 'studentQuantile');
  if (v === null) return normalQuantile(p);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  return stdTQuantile(p, v);
}

/** The one-sided p-values of a statistic `z` against Student's t(df): of "greater" and of "less". */
export function oneSidedP(z: number, df: number): { greater: number; less: number } {
  if (Number.isNaN(z)) throw new StatisticsError('a test statistic is NaN (0/0: no change and no spread)');
  const less = studentCdf(z, df);
  return { greater: checkedP(1 - less, 'p (greater)'), less: checkedP(less, 'p (less)') };
}

/** A statistic went non-finite where it must not: a bug or a degenerate input the caller did not guard. */
export class StatisticsError extends Error {
  constructor(message: string) {
    super(`internal statistics error: ${message}`);
    this.name = 'StatisticsError';
  }
}

/** df as the library takes it, or null for "use the normal" (infinite or beyond MAX_DF). */
function degreesOfFreedom(df: number, where: string): number | null {
  if (Number.isNaN(df) || df <= 0)
    throw new StatisticsError(`${where}: degrees of freedom ${df}, expected > 0`);
  return df > MAX_DF ? null : df;
}

function probability(p: number, where: string): void {
  if (!(p >= 0 && p <= 1)) throw new StatisticsError(`${where} is ${p}, expected a probability in 0..1`);
}

function finiteOrInfinite(x: number, where: string): void {
  if (Number.isNaN(x)) throw new StatisticsError(`${where} is NaN`);
}

/** A p-value, checked: NaN or outside 0..1 is an error, never passed on. */
export function checkedP(p: number, where: string): number {
  if (!(p >= 0 && p <= 1 + 1e-12)) throw new StatisticsError(`${where} is ${p}, not a p-value`);
  return Math.min(1, p);
}

/**
 * Holm's step-down adjusted p-values, in the input's order: reject where adjusted < α and the
 * family-wise error rate across all the p-values stays at most α.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  // one NaN would sort anywhere and turn every later adjusted value into NaN: refuse it instead
  pValues.forEach((p, i) => {
    checkedP(p, `Holm's correction: p-value ${i + 1} of ${pValues.length}`);
  });
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** A standard normal draw (Box–Muller; the second value is discarded for simplicity). */
function normalDraw(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A Gamma(shape, 1) draw for shape ≥ 1 (Marsaglia–Tsang). */
function gammaDraw(shape: number, random: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normalDraw(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(a, b) draw for a, b ≥ 1. */
export function betaDraw(a: number, b: number, random: () => number): number {
  const x = gammaDraw(a, random);
  const y = gammaDraw(b, random);
  return x / (x + y);
}

/** Rank (1-based) of the nearest-rank q-quantile among n sorted values: ⌈q·n⌉, at least 1. */
export function quantileRank(q: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
}

/** The nearest-rank q-quantile of ascending values; null when there are none. */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[quantileRank(q, sorted.length) - 1] as number;
}

/** Latencies below this are taken as this for logarithms (a refused connection measures 0 ms). */
export const MIN_LOG_MS = 0.001;

export interface PercentileEstimate {
  /** the nearest-rank percentile of the samples */
  estimate: number;
  /** standard deviation of ln(percentile) over the bootstrap replicates */
  logSe: number;
  /** the bootstrap's 2.5% and 97.5% points */
  ciLow: number;
  ciHigh: number;
}

/**
 * The q-quantile of ascending samples and its bootstrap over requests. A resample's k-th order
 * statistic (k = ⌈q·n⌉) is the original sample at rank ⌈U·n⌉ with U ~ Beta(k, n − k + 1), so each
 * replicate costs two gamma draws instead of n: the exact bootstrap distribution, sampled.
 * Deterministic for a given seed. null without samples.
 */
export function bootstrapPercentile(
  sorted: ArrayLike<number>,
  q: number,
  replicates: number,
  seed: number,
): PercentileEstimate | null {
  const n = sorted.length;
  if (n === 0) return null;
  const k = quantileRank(q, n);
  const estimate = sorted[k - 1] as number;
  const random = seededRandom(seed);
  const logs = new Float64Array(replicates);
  for (let i = 0; i < replicates; i++) {
    const u = betaDraw(k, n - k + 1, random);
    const rank = Math.min(n, Math.max(1, Math.ceil(u * n)));
    logs[i] = Math.log(Math.max(MIN_LOG_MS, sorted[rank - 1] as number));
  }
  let mean = 0;
  for (const v of logs) mean += v;
  mean /= replicates;
  let ss = 0;
  for (const v of logs) ss += (v - mean) * (v - mean);
  logs.sort();
  const at = (p: number) => Math.exp(logs[Math.min(replicates - 1, Math.floor(p * replicates))] as number);
  return {
    estimate,
    logSe: replicates > 1 ? Math.sqrt(ss / (replicates - 1)) : 0,
    ciLow: Math.min(estimate, at(0.025)),
    ciHigh: Math.max(estimate, at(0.975)),
  };
}

/** The Wilson score interval of a proportion, two-sided at `confidence`. */
export function wilsonInterval(events: number, n: number, confidence = 0.95): [number, number] {
  if (n === 0) return [0, 1];
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = events / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The arithmetic mean; NaN for none (callers check the count first). */
export function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** The sample variance (n − 1); 0 for fewer than two values. */
export function sampleVariance(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1);
}

/** The median (the mean of the middle two for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The timer's resolution in a sample: the smallest gap between two distinct values (k6 reports
 * microseconds; a tool that rounds to whole milliseconds leaves gaps of 1). Samples with fewer than
 * two distinct values: 1 ms if they are whole milliseconds, else a microsecond.
 */
export function sampleResolutionMs(sorted: ArrayLike<number>): number {
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++) {
    const d = (sorted[i] as number) - (sorted[i - 1] as number);
    if (d > 1e-9 && d < gap) gap = d;
  }
  if (Number.isFinite(gap)) return gap;
  const first = sorted.length > 0 ? (sorted[0] as number) : 0;
  return Number.isInteger(first) && first > 0 ? 1 : 0.001;
}

/**
 * The variance that rounding to `resolutionMs` adds to ln(q) of a percentile near `valueMs`: a
 * uniform error of one step, (step / value)² / 12. It keeps ties (every block's p50 exactly 6 ms on
 * both sides) from giving a zero variance, and so an infinite test statistic.
 */
export function quantizationLogVariance(valueMs: number, resolutionMs: number): number {
  return (resolutionMs / Math.max(MIN_LOG_MS, valueMs)) ** 2 / 12;
}
