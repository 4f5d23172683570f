/**
 * The statistics the comparison rests on, pure and deterministic: a seeded random source, the
 * normal distribution, binomial tails, Holm's correction, and the bootstrap of a percentile.
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

/** Φ(x), the standard normal CDF (erfc-based, |error| < 1.2e-7). */
export function normalCdf(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation, refined once). */
export function normalQuantile(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(c, q) / (poly([...d, 1], q) as number);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(a, r) * q) / poly([...b, 1], r);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -poly(c, q) / poly([...d, 1], q);
  }
  // one Halley step against the CDF above
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** c[0]·x^(n−1) + … + c[n−1] (Horner). */
function poly(c: readonly number[], x: number): number {
  return c.reduce((sum, k) => sum * x + k, 0);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  const g = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
    12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let sum = g[0] as number;
  for (let i = 1; i < 9; i++) sum += (g[i] as number) / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * P(X ≥ k) for X ~ Binomial(n, p): summed exactly in log space up to n = 5000, beyond that the
 * normal approximation with continuity correction (its error is far below any α used here).
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  if (n > 5000) {
    const mean = n * p;
    const sd = Math.sqrt(n * p * (1 - p));
    return 1 - normalCdf((k - 0.5 - mean) / sd);
  }
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const lnC = logGamma(n + 1);
  let total = 0;
  for (let i = k; i <= n; i++) {
    const term = Math.exp(lnC - logGamma(i + 1) - logGamma(n - i + 1) + i * lp + (n - i) * lq);
    total += term;
    if (term < total * 1e-17 && i > n * p) break;
  }
  return Math.min(1, total);
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialLowerTail(k: number, n: number, p: number): number {
  return 1 - binomialUpperTail(k + 1, n, p);
}

/**
 * Holm's step-down adjusted p-values, in the input's order: reject where adjusted < α and the
 * family-wise error rate across all the p-values stays at most α.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
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

/** The regularized incomplete beta function I_x(a, b) (continued fraction, Numerical Recipes' betacf). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // the continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return (front * h) / a;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom; the normal CDF when df is infinite. */
export function studentCdf(t: number, df: number): number {
  if (!Number.isFinite(df)) return normalCdf(t);
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom (bisection on the CDF). */
export function studentQuantile(p: number, df: number): number {
  if (!Number.isFinite(df)) return normalQuantile(p);
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  let lo = -1e6;
  let hi = 1e6;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentCdf(mid, df) < p) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-10 * Math.max(1, Math.abs(mid))) break;
  }
  return (lo + hi) / 2;
}
