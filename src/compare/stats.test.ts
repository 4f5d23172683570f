import { describe, expect, it } from 'vitest';
import {
  bootstrapPercentile,
  checkedP,
  holmAdjust,
  MAX_DF,
  median,
  normalCdf,
  normalQuantile,
  oneSidedP,
  quantileRank,
  quantizationLogVariance,
  StatisticsError,
  sampleResolutionMs,
  sampleVariance,
  seededRandom,
  sortedQuantile,
  studentCdf,
  studentQuantile,
  wilsonInterval,
} from './stats.ts';

/** n draws of a log-normal latency (median 20 ms), ascending. */
function lognormalSample(n: number, seed: number, scale = 1): Float64Array {
  const random = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    out[i] = scale * 20 * Math.exp(0.4 * z);
  }
  return out.sort();
}

describe('normal distribution', () => {
  it('matches known values and inverts', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1.644854)).toBeCloseTo(0.05, 6);
    for (const p of [1e-6, 0.001, 0.025, 0.05, 0.3, 0.5, 0.9, 0.975, 0.999999]) {
      expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
    }
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 5);
  });
});

describe('holmAdjust', () => {
  it('steps down and keeps the input order', () => {
    // sorted 0.01, 0.02, 0.04 with m = 3: 0.03, 0.04, 0.04 (monotone)
    expect(holmAdjust([0.04, 0.01, 0.02])).toEqual([0.04, 0.03, 0.04]);
    expect(holmAdjust([0.5, 0.6])).toEqual([1, 1]);
    expect(holmAdjust([])).toEqual([]);
  });

  it('refuses a NaN p-value instead of turning every later adjusted one into NaN', () => {
    expect(() => holmAdjust([0.01, Number.NaN, 0.2])).toThrow(StatisticsError);
    expect(() => holmAdjust([0.01, Number.NaN, 0.2])).toThrow(/p-value 2 of 3 is NaN, not a p-value/);
    expect(() => holmAdjust([0.01, Number.POSITIVE_INFINITY])).toThrow(/Infinity, not a p-value/);
    expect(() => holmAdjust([-0.1])).toThrow(StatisticsError);
    expect(checkedP(1 + 1e-15, 'p')).toBe(1);
  });
});

describe('percentiles', () => {
  it('takes the nearest rank', () => {
    const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(sortedQuantile(sorted, 0.5)).toBe(5);
    expect(sortedQuantile(sorted, 0.95)).toBe(10);
    expect(sortedQuantile(sorted, 0.1)).toBe(1);
    expect(sortedQuantile(new Float64Array(0), 0.5)).toBeNull();
    expect(quantileRank(0.99, 100)).toBe(99);
    expect(quantileRank(0.99, 1000)).toBe(990);
  });

  it('bootstraps a spread that shrinks like 1/√n and covers the true percentile', () => {
    const truth = 20 * Math.exp(0.4 * normalQuantile(0.95));
    const small = bootstrapPercentile(lognormalSample(1000, 1), 0.95, 2000, 7);
    const large = bootstrapPercentile(lognormalSample(16000, 2), 0.95, 2000, 7);
    if (!small || !large) throw new Error('no estimate');
    // 16× the samples: a quarter of the spread, give or take the bootstrap's own noise
    expect(small.logSe / large.logSe).toBeGreaterThan(3);
    expect(small.logSe / large.logSe).toBeLessThan(5.5);
    // the asymptotic standard error of a log quantile, √(q(1−q)/n) / (f(x_q)·x_q), is σ·√(q(1−q)/n)/φ(z_q)
    // for a log-normal; a bootstrap's estimate of it varies by some 25% between samples of 1000
    const z95 = normalQuantile(0.95);
    const analytic =
      (0.4 * Math.sqrt((0.95 * 0.05) / 1000)) / (Math.exp(-(z95 ** 2) / 2) / Math.sqrt(2 * Math.PI));
    expect(small.logSe).toBeGreaterThan(analytic * 0.5);
    expect(small.logSe).toBeLessThan(analytic * 1.5);
    for (const b of [small, large]) {
      expect(b.ciLow).toBeLessThanOrEqual(b.estimate);
      expect(b.ciHigh).toBeGreaterThanOrEqual(b.estimate);
    }
    expect(large.ciLow).toBeLessThan(truth);
    expect(large.ciHigh).toBeGreaterThan(truth);
  });

  it('is deterministic for a seed and needs samples', () => {
    const sample = lognormalSample(500, 3);
    expect(bootstrapPercentile(sample, 0.99, 500, 11)).toEqual(bootstrapPercentile(sample, 0.99, 500, 11));
    expect(bootstrapPercentile(new Float64Array(0), 0.5, 100, 1)).toBeNull();
  });

  it('handles a single sample: the estimate, no spread', () => {
    const one = bootstrapPercentile(Float64Array.from([7]), 0.99, 100, 1);
    expect(one).toMatchObject({ estimate: 7, ciLow: 7, ciHigh: 7 });
    expect(one?.logSe).toBeCloseTo(0, 12);
  });

  it('gives zero spread to identical samples', () => {
    const same = new Float64Array(200).fill(4);
    const b = bootstrapPercentile(same, 0.5, 200, 1);
    expect(b).toMatchObject({ estimate: 4, ciLow: 4, ciHigh: 4 });
    expect(b?.logSe).toBeCloseTo(0, 12);
  });
});

describe('wilsonInterval', () => {
  it('brackets the observed share and stays inside 0..1', () => {
    const [low, high] = wilsonInterval(5, 100);
    expect(low).toBeGreaterThan(0.01);
    expect(low).toBeLessThan(0.05);
    expect(high).toBeGreaterThan(0.05);
    expect(high).toBeLessThan(0.12);
    expect(wilsonInterval(0, 100)[0]).toBe(0);
    expect(wilsonInterval(100, 100)[1]).toBeCloseTo(1, 12);
  });
});

describe('Student t', () => {
  it('matches tables and tends to the normal', () => {
    // t(0.95; 2) = 2.919986, t(0.975; 10) = 2.228139, t(0.99; 4) = 3.746947
    expect(studentQuantile(0.95, 2)).toBeCloseTo(2.919986, 5);
    expect(studentQuantile(0.975, 10)).toBeCloseTo(2.228139, 5);
    expect(studentQuantile(0.99, 4)).toBeCloseTo(3.746947, 5);
    expect(studentCdf(2.919986, 2)).toBeCloseTo(0.95, 6);
    expect(studentCdf(-2.228139, 10)).toBeCloseTo(0.025, 6);
    expect(studentCdf(1.959964, 1e7)).toBeCloseTo(0.975, 5);
    expect(studentQuantile(0.9, Number.POSITIVE_INFINITY)).toBeCloseTo(1.281552, 5);
    // one degree of freedom is the Cauchy: P(T ≤ 1) = 3/4
    expect(studentCdf(1, 1)).toBeCloseTo(0.75, 10);
  });

  it('caps df: huge and infinite degrees of freedom are the normal, not a broken CDF', () => {
    // the hand-written CDF broke for df ≥ 1e15; @stdlib's returns 0.5 for df = ∞
    for (const df of [1e7, 1e15, 1e300, Number.POSITIVE_INFINITY]) {
      expect(studentCdf(1.959964, df)).toBeCloseTo(0.975, 6);
      expect(studentQuantile(0.975, df)).toBeCloseTo(1.959964, 5);
    }
    expect(studentCdf(5, MAX_DF * 10)).toBeCloseTo(normalCdf(5), 12);
    expect(studentCdf(Number.POSITIVE_INFINITY, 3)).toBe(1);
    expect(studentCdf(Number.NEGATIVE_INFINITY, 3)).toBe(0);
    expect(studentQuantile(0, 3)).toBe(Number.NEGATIVE_INFINITY);
    expect(studentQuantile(1, 3)).toBe(Number.POSITIVE_INFINITY);
  });

  it('throws on NaN and on impossible degrees of freedom instead of returning NaN', () => {
    expect(() => studentCdf(Number.NaN, 3)).toThrow(StatisticsError);
    expect(() => studentCdf(1, Number.NaN)).toThrow(/degrees of freedom NaN/);
    expect(() => studentCdf(1, 0)).toThrow(/degrees of freedom 0/);
    expect(() => studentQuantile(1.2, 3)).toThrow(/expected a probability/);
    expect(() => normalQuantile(Number.NaN)).toThrow(StatisticsError);
    expect(() => oneSidedP(Number.NaN, 3)).toThrow(/test statistic is NaN/);
  });

  it('gives one-sided p-values that add up to 1', () => {
    const p = oneSidedP(2.919986, 2);
    expect(p.greater).toBeCloseTo(0.05, 6);
    expect(p.less).toBeCloseTo(0.95, 6);
    expect(oneSidedP(Number.POSITIVE_INFINITY, 2)).toEqual({ greater: 0, less: 1 });
  });
});

describe('robust summaries and ties', () => {
  it('medians and variances', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNull();
    // one wild run moves the mean, not the median
    expect(median([1, 2, 3, 4, 500])).toBe(3);
    expect(sampleVariance([1, 2, 3, 4])).toBeCloseTo(5 / 3, 12);
    expect(sampleVariance([7])).toBe(0);
  });

  it('finds the timer’s resolution and gives ties a variance', () => {
    expect(sampleResolutionMs(Float64Array.from([5, 6, 6, 6, 7, 9]))).toBe(1);
    expect(sampleResolutionMs(Float64Array.from([5.012, 5.013, 6.2]))).toBeCloseTo(0.001, 9);
    expect(sampleResolutionMs(Float64Array.from([6, 6, 6]))).toBe(1);
    expect(sampleResolutionMs(Float64Array.from([]))).toBe(0.001);
    // a 6 ms percentile at 1 ms resolution: (1/6)²/12
    expect(quantizationLogVariance(6, 1)).toBeCloseTo(1 / 36 / 12, 12);
  });
});
