import { describe, expect, it } from 'vitest';
import {
  counterIncrease,
  countSumIncrease,
  type HistogramState,
  histogramIncrease,
  histogramQuantile,
} from './series.ts';

const inf = Number.POSITIVE_INFINITY;

describe('histogramQuantile (Prometheus histogram_quantile)', () => {
  // 100 observations: 10 ≤ 0.1, 60 ≤ 0.5, 95 ≤ 1, 100 ≤ +Inf
  const buckets = [
    { le: 0.1, count: 10 },
    { le: 0.5, count: 60 },
    { le: 1, count: 95 },
    { le: inf, count: 100 },
  ];

  it('interpolates linearly inside the bucket the rank falls in', () => {
    // rank 50 falls in (0.1, 0.5]: 0.1 + 0.4 × (50 − 10) / 50
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.42, 12);
    // rank 95 is exactly the count of the (0.5, 1] bucket
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(1, 12);
  });

  it('takes 0 as the lower bound of the first bucket', () => {
    // rank 5 in (0, 0.1]: 0.1 × 5 / 10
    expect(histogramQuantile(0.05, buckets)).toBeCloseTo(0.05, 12);
  });

  it('answers the highest finite bound when the rank falls in the +Inf bucket', () => {
    expect(histogramQuantile(0.99, buckets)).toBe(1);
  });

  it('has no answer without observations or without a +Inf bucket', () => {
    expect(
      histogramQuantile(
        0.95,
        buckets.map((b) => ({ ...b, count: 0 })),
      ),
    ).toBeNull();
    expect(histogramQuantile(0.95, buckets.slice(0, 3))).toBeNull();
  });

  it('sorts buckets and forces the counts to rise, as Prometheus does', () => {
    const shuffled = [buckets[2], buckets[0], buckets[3], { le: 0.5, count: 9 }] as typeof buckets;
    // the 0.5 bucket is lifted to 10 (the count below it): rank 50 is then in (0.5, 1]
    expect(histogramQuantile(0.5, shuffled)).toBeCloseTo(0.5 + 0.5 * (40 / 85), 12);
  });

  it('rejects a quantile outside 0..1', () => {
    expect(() => histogramQuantile(1.5, buckets)).toThrow(RangeError);
  });
});

describe('increases between two scrapes', () => {
  const at = (counts: number[], sum: number): HistogramState => ({
    count: counts.at(-1) as number,
    sum,
    buckets: counts.map((count, i) => ({ le: [0.1, 1, inf][i] as number, count })),
  });

  it('subtracts bucket by bucket', () => {
    expect(histogramIncrease(at([5, 8, 10], 3), at([9, 20, 25], 9.5))).toEqual(at([4, 12, 15], 6.5));
  });

  it('keeps the end after a restart (counts went down)', () => {
    expect(histogramIncrease(at([5, 8, 10], 3), at([1, 2, 2], 0.4))).toEqual(at([1, 2, 2], 0.4));
    expect(counterIncrease(40, 3)).toBe(3);
    expect(countSumIncrease({ count: 10, sum: 2 }, { count: 4, sum: 1 })).toEqual({ count: 4, sum: 1 });
  });

  it('subtracts counters and counts', () => {
    expect(counterIncrease(40, 43)).toBe(3);
    expect(countSumIncrease({ count: 10, sum: 2 }, { count: 14, sum: 2.5 })).toEqual({ count: 4, sum: 0.5 });
  });
});
