import { studentCdf } from './stats.ts';

/**
 * Change points in a series of runs: E-divisive means (Matteson & James 2014, "A nonparametric
 * approach for multiple change point analysis of multivariate data"), the algorithm MongoDB's
 * paper "Change Point Detection in Software Performance Testing" (Daly et al., ICPE 2020) runs on
 * its nightly performance series, with the significance test and the split/merge passes of Hunter
 * (Fleming et al., ICPE 2023; now Apache Otava): a two-sample Student's t test between the two
 * sides of a candidate instead of a permutation test, so the answer is deterministic and works
 * from a handful of points. No maintained npm package implements it; this is a small port of
 * Otava's `PairDistanceCalculator` (α = 1), `ChangePointDetector`, `split` and `merge`, tested on
 * the series Otava and MongoDB publish in their own tests (changePoints.test.ts).
 */

export interface ChangePoint {
  /** index of the first point after the change */
  index: number;
  /** the E-divisive statistic q̂ that chose it */
  qhat: number;
  /** Student's t test of the two sides within their interval: two-sided p */
  pValue: number;
  meanBefore: number;
  meanAfter: number;
}

export interface ChangePointOptions {
  /** a candidate is a change point when its t test's p is below this; Hunter's default 0.001 */
  maxPValue?: number;
  /** the sliding window of the split pass (Hunter's default 50) */
  windowLength?: number;
  /** a change point whose relative change of the means is at most this is merged away (default 0) */
  minMagnitude?: number;
}

/** Hunter's default significance, used for nightly series. */
export const CHANGE_POINT_P = 0.001;

/**
 * Change points of a series, Hunter's way: a split pass over sliding windows at a relaxed p
 * (weak change points), then a merge pass that removes the weakest until every one left is
 * significant at `maxPValue`. Sorted by index. (Otava keeps a weak point whose p is exactly
 * `maxPValue` in the split pass and removes it in the merge pass; so does this.)
 */
export function changePoints(series: readonly number[], options: ChangePointOptions = {}): ChangePoint[] {
  const maxP = options.maxPValue ?? CHANGE_POINT_P;
  const firstPass = maxP < 0.05 ? maxP * 10 : maxP < 0.5 ? maxP * 2 : maxP;
  const weak = splitPass(series, options.windowLength ?? 50, firstPass);
  return mergePass(weak, series, maxP, options.minMagnitude ?? 0);
}

/**
 * E-divisive with the t test on `series[start, end)`: recursively the candidate of largest q̂
 * over the current intervals, kept while significant (Otava's ChangePointDetector, stop_at 0).
 */
export function divisive(
  series: readonly number[],
  maxPValue: number,
  start = 0,
  end = series.length,
): ChangePoint[] {
  const points = series.slice(start, end);
  const found: ChangePoint[] = [];
  for (;;) {
    const bounds = intervalsOf(
      found.map((c) => c.index),
      points.length,
    );
    let best: { index: number; qhat: number } | null = null;
    for (const [from, to] of bounds) {
      if (to - from < 2) continue;
      const candidate = bestSplit(points, from, to);
      if (candidate && (best === null || candidate.qhat > best.qhat)) best = candidate;
    }
    if (best === null) break;
    const tested = testAt(points, best.index, best.qhat, bounds);
    if (!(tested.pValue <= maxPValue)) break;
    found.push(tested);
    found.sort((a, b) => a.index - b.index);
  }
  return found.map((c) => ({ ...c, index: c.index + start }));
}

/**
 * The E-divisive candidate in `points[from, to)`: the split τ (and end κ) maximizing
 * Q(τ, κ) = 2/(m+n)·ΣΣ|X−Y| − 2m/((m+n)(n−1))·Σ|Xi−Xk| − 2n/((m+n)(m−1))·Σ|Yj−Yk| over
 * X = points[from, τ), Y = points[τ, κ). O(n²) per κ with running sums; fine for nightly series.
 */
export function bestSplit(
  points: readonly number[],
  from: number,
  to: number,
): { index: number; qhat: number } | null {
  let best: { index: number; qhat: number } | null = null;
  for (let tau = from + 1; tau < to; tau++) {
    const n = tau - from;
    // within X: Σ_{i<k} |Xi − Xk|
    let withinX = 0;
    for (let i = from; i < tau; i++) for (let k = i + 1; k < tau; k++) withinX += dist(points, i, k);
    let between = 0;
    let withinY = 0;
    for (let kappa = tau + 1; kappa <= to; kappa++) {
      const j = kappa - 1; // the point Y gains
      for (let i = from; i < tau; i++) between += dist(points, i, j);
      for (let i = tau; i < j; i++) withinY += dist(points, i, j);
      const m = kappa - tau;
      const a = (2 / (m + n)) * between;
      const b = n > 1 ? ((2 * m) / (m + n) / (n - 1)) * withinX : 0;
      const c = m > 1 ? ((2 * n) / (m + n) / (m - 1)) * withinY : 0;
      const q = a - b - c;
      if (best === null || q > best.qhat) best = { index: tau, qhat: q };
    }
  }
  return best;
}

function dist(points: readonly number[], i: number, j: number): number {
  return Math.abs((points[i] as number) - (points[j] as number));
}

/** [from, to) intervals between sorted change points over n points; empty ones dropped. */
function intervalsOf(indexes: readonly number[], n: number): [number, number][] {
  const cuts = [0, ...[...indexes].sort((a, b) => a - b), n];
  return cuts
    .slice(1)
    .map((to, i): [number, number] => [cuts[i] as number, to])
    .filter(([from, to]) => from !== to);
}

/**
 * Otava's TTestSignificanceTester on the two sides of `index` (its get_sides): for a change point
 * already among `bounds`, the interval ending at it and the next one; for a new candidate, its
 * interval split at it. Then the t test of the two sides.
 */
function testAt(
  points: readonly number[],
  index: number,
  qhat: number,
  bounds: readonly [number, number][],
): ChangePoint {
  let left: readonly number[] = [];
  let right: readonly number[] = [];
  for (const [i, [from, to]] of bounds.entries()) {
    if (to === index) {
      const next = bounds[i + 1] ?? [index, points.length];
      left = points.slice(from, to);
      right = points.slice(next[0], next[1]);
      break;
    }
    if (from < index && index < to) {
      left = points.slice(from, index);
      right = points.slice(index, to);
      break;
    }
  }
  return { index, qhat, ...tTest(left, right) };
}

/**
 * Otava's test of two sides: means and population standard deviations (numpy's default, which
 * Otava passes on as if they were sample ones), the pooled-variance two-sided Student's t test
 * with n₁ + n₂ − 2 degrees of freedom. No degrees of freedom: p = 1. No spread: p = 0 when the
 * means differ, 1 when they do not.
 */
export function tTest(
  left: readonly number[],
  right: readonly number[],
): { pValue: number; meanBefore: number; meanAfter: number } {
  const n1 = left.length;
  const n2 = right.length;
  const m1 = left.reduce((s, v) => s + v, 0) / n1;
  const m2 = right.reduce((s, v) => s + v, 0) / n2;
  const df = n1 + n2 - 2;
  if (df <= 0) return { pValue: 1, meanBefore: m1, meanAfter: m2 };
  const popVar = (xs: readonly number[], m: number) =>
    xs.length >= 2 ? xs.reduce((s, v) => s + (v - m) ** 2, 0) / xs.length : 0;
  const pooled = ((n1 - 1) * popVar(left, m1) + (n2 - 1) * popVar(right, m2)) / df;
  const se = Math.sqrt(pooled * (1 / n1 + 1 / n2));
  if (se === 0) return { pValue: m1 === m2 ? 1 : 0, meanBefore: m1, meanAfter: m2 };
  const t = Math.abs(m2 - m1) / se;
  return { pValue: Math.min(1, 2 * (1 - studentCdf(t, df))), meanBefore: m1, meanAfter: m2 };
}

/** Hunter's split pass: E-divisive in sliding windows, the union of what each finds. */
function splitPass(series: readonly number[], windowLength: number, maxPValue: number): ChangePoint[] {
  const step = Math.max(1, Math.floor(windowLength / 2));
  const found: ChangePoint[] = [];
  let start = 0;
  while (start < series.length) {
    const end = Math.min(start + windowLength, series.length);
    const inWindow = divisive(series, maxPValue, start, end);
    const last = inWindow.at(-1)?.index ?? 0;
    start = Math.max(last, start + step);
    // Otava keeps a point two windows both found unless it is the very same (`cp not in list`)
    for (const cp of inWindow) if (!found.some((f) => sameChangePoint(f, cp))) found.push(cp);
  }
  found.sort((a, b) => a.index - b.index);
  const bounds = intervalsOf(
    found.map((c) => c.index),
    series.length,
  );
  return found.map((c) => testAt(series, c.index, c.qhat, bounds));
}

function sameChangePoint(a: ChangePoint, b: ChangePoint): boolean {
  return (
    a.index === b.index &&
    a.qhat === b.qhat &&
    a.pValue === b.pValue &&
    a.meanBefore === b.meanBefore &&
    a.meanAfter === b.meanAfter
  );
}

/**
 * Hunter's merge pass: while the weakest change point (largest p) is not significant, or every
 * one is but the smallest relative change is at most `minMagnitude`, remove it and retest the
 * points now at its position and the next, exactly as Otava does (its left neighbour keeps the
 * statistics it had: ported as is, so that the published results are reproduced).
 */
function mergePass(
  weak: readonly ChangePoint[],
  series: readonly number[],
  maxPValue: number,
  minMagnitude: number,
): ChangePoint[] {
  const points = [...weak];
  while (points.length > 0) {
    let weakest = points.reduce((a, b) => (b.pValue > a.pValue ? b : a));
    if (weakest.pValue < maxPValue) {
      weakest = points.reduce((a, b) => (magnitude(b) < magnitude(a) ? b : a));
      if (magnitude(weakest) > minMagnitude) return points;
    }
    const at = points.indexOf(weakest);
    points.splice(at, 1);
    const bounds = intervalsOf(
      points.map((c) => c.index),
      series.length,
    );
    for (const i of [at, at + 1]) {
      const c = points[i];
      if (c) points[i] = testAt(series, c.index, c.qhat, bounds);
    }
  }
  return points;
}

/** The larger of the forward and backward relative changes of the means (Otava's change_magnitude). */
function magnitude(c: ChangePoint): number {
  const forward = c.meanBefore === 0 ? 0 : c.meanAfter / c.meanBefore - 1;
  const backward = c.meanAfter === 0 ? 0 : c.meanBefore / c.meanAfter - 1;
  return Math.max(Math.abs(forward), Math.abs(backward));
}
