import { studentQuantile } from '../../src/compare/stats.ts';

/**
 * The rules of the tools a user would pick instead of loadgate, applied to the same recorded
 * runs (one value per benchmark and run: here a request's percentile).
 *
 * github-action-benchmark (benchmark-action/github-action-benchmark): compares each value with
 * the previous run's and alerts when the ratio passes `alert-threshold` (default "200%"); for a
 * smaller-is-better value the ratio is current / previous.
 *
 * Bencher's t-test threshold (bencherdev/bencher): over a window of the branch's recent values
 * (at least `min-sample-size`, default 2), the upper boundary limit is the `upper-boundary`
 * quantile (e.g. 0.99) of Student's t with n − 1 degrees of freedom located at their mean and
 * scaled by their standard deviation; a new value above the limit is an alert.
 */

/** github-action-benchmark's alert: current / previous above the threshold (2 for "200%"). */
export function ratioAlert(previous: number, current: number, threshold: number): boolean {
  if (!(previous > 0)) return false;
  return current / previous > threshold;
}

/** Bencher's t-test upper limit over a window of values; null below the minimum sample size. */
export function tTestUpperLimit(
  window: readonly number[],
  upperBoundary: number,
  minSampleSize = 2,
): number | null {
  const n = window.length;
  if (n < Math.max(2, minSampleSize)) return null;
  const mean = window.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return mean + studentQuantile(upperBoundary, n - 1) * sd;
}

/** Bencher's alert: the new value above the window's t-test upper limit. */
export function tTestAlert(window: readonly number[], current: number, upperBoundary = 0.99): boolean {
  const limit = tTestUpperLimit(window, upperBoundary);
  return limit !== null && current > limit;
}
