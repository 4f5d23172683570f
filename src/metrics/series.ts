import type { Labels, MetricFamily, Sample } from './exposition.ts';

/**
 * Reading one scrape: find a family by the name a user wrote, add up its series (every label
 * set that matches a filter), and the histogram arithmetic of Prometheus itself. Pure.
 */

export type Families = ReadonlyMap<string, MetricFamily>;

/** Families by name, for look-ups. */
export function indexFamilies(families: readonly MetricFamily[]): Map<string, MetricFamily> {
  return new Map(families.map((family) => [family.name, family]));
}

/**
 * The names a user's metric name may be declared under: the name itself, then the same
 * counter with or without `_total` (OpenMetrics declares `x`, the 0.0.4 format `x_total`).
 */
export function familyNames(name: string): [string, string] {
  return [name, name.endsWith('_total') ? name.slice(0, -'_total'.length) : `${name}_total`];
}

/** The family a user's name means (see familyNames), or undefined. */
export function findFamily(families: Families, name: string): MetricFamily | undefined {
  for (const candidate of familyNames(name)) {
    const family = families.get(candidate);
    if (family) return family;
  }
  return undefined;
}

/** Whether a series carries every label of the filter with that value. */
export function matchesLabels(labels: Labels, filter: Labels): boolean {
  return Object.entries(filter).every(([name, value]) => labels[name] === value);
}

function sumOf(samples: readonly Sample[]): number | null {
  if (samples.length === 0) return null;
  return samples.reduce((total, sample) => total + sample.value, 0);
}

/** A counter's value summed over its matching series; null when no series matches. */
export function counterValue(family: MetricFamily, filter: Labels = {}): number | null {
  const base = family.name.endsWith('_total') ? family.name.slice(0, -'_total'.length) : family.name;
  return sumOf(
    family.samples.filter(
      (s) => (s.name === base || s.name === `${base}_total`) && matchesLabels(s.labels, filter),
    ),
  );
}

/** A gauge's value summed over its matching series (pools by label add up); null when none matches. */
export function gaugeValue(family: MetricFamily, filter: Labels = {}): number | null {
  return sumOf(family.samples.filter((s) => s.name === family.name && matchesLabels(s.labels, filter)));
}

/** Observations so far of a histogram or a summary: how many, and their total. */
export interface CountSum {
  count: number;
  sum: number;
}

export interface Bucket {
  /** upper bound, Infinity for +Inf */
  le: number;
  /** cumulative: observations ≤ le */
  count: number;
}

export interface HistogramState extends CountSum {
  /** sorted by le, ending with +Inf */
  buckets: Bucket[];
}

/** `_count` and `_sum` of a histogram or summary over its matching series; null when none matches. */
export function countSum(family: MetricFamily, filter: Labels = {}): CountSum | null {
  const pick = (suffix: string) =>
    sumOf(family.samples.filter((s) => s.name === family.name + suffix && matchesLabels(s.labels, filter)));
  const count = pick('_count');
  const sum = pick('_sum');
  return count === null || sum === null ? null : { count, sum };
}

/**
 * A histogram's buckets, count and sum, added up bucket by bucket over its matching series
 * (at the bounds every series has, should their bounds differ). Null when no matching series
 * has buckets.
 */
export function histogramValue(family: MetricFamily, filter: Labels = {}): HistogramState | null {
  const totals = countSum(family, filter);
  if (totals === null) return null;
  const bySeries = new Map<string, Map<number, number>>();
  for (const sample of family.samples) {
    if (sample.name !== `${family.name}_bucket` || sample.labels.le === undefined) continue;
    if (!matchesLabels(sample.labels, filter)) continue;
    const le = Number(sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : sample.labels.le);
    if (Number.isNaN(le)) continue;
    const { le: _, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
    const series = bySeries.get(key) ?? new Map<number, number>();
    bySeries.set(key, series);
    series.set(le, sample.value);
  }
  if (bySeries.size === 0) return null;
  const all = [...bySeries.values()];
  const shared = [...(all[0] as Map<number, number>).keys()].filter((le) => all.every((s) => s.has(le)));
  const buckets = shared
    .sort((a, b) => a - b)
    .map((le) => ({ le, count: all.reduce((total, s) => total + (s.get(le) as number), 0) }));
  if (buckets.at(-1)?.le !== Number.POSITIVE_INFINITY) return null;
  return { ...totals, buckets };
}

/**
 * What a counter did between two scrapes. A lower value at the end means the process
 * restarted (counters start again at 0): then the end value is all that is known.
 */
export function counterIncrease(start: number, end: number): number {
  return end >= start ? end - start : end;
}

/** The observations between two scrapes of a histogram (a reset keeps the end's). */
export function histogramIncrease(start: HistogramState, end: HistogramState): HistogramState {
  const before = new Map(start.buckets.map((b) => [b.le, b.count]));
  const reset = end.count < start.count || end.buckets.some((b) => b.count < (before.get(b.le) ?? 0));
  if (reset) return end;
  return {
    count: end.count - start.count,
    sum: end.sum - start.sum,
    buckets: end.buckets.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) })),
  };
}

/** The observations between two scrapes of a count and a sum (a reset keeps the end's). */
export function countSumIncrease(start: CountSum, end: CountSum): CountSum {
  if (end.count < start.count) return end;
  return { count: end.count - start.count, sum: end.sum - start.sum };
}

/**
 * The q-quantile of cumulative buckets exactly as Prometheus's histogram_quantile computes it:
 * linear interpolation inside the bucket the rank falls in, 0 as the lower bound of the first
 * bucket, and the highest finite bound when the rank falls in the +Inf bucket. Null with no
 * observations or without a +Inf bucket.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | null {
  if (q < 0 || q > 1) throw new RangeError(`a quantile is between 0 and 1, got ${q}`);
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted.at(-1)?.le !== Number.POSITIVE_INFINITY) return null;
  // Prometheus forces counts to be monotonic (a scrape may catch buckets mid-update).
  let highest = 0;
  const counts = sorted.map((b) => (highest = Math.max(highest, b.count)));
  const observations = counts.at(-1) as number;
  if (observations === 0) return null;
  let rank = q * observations;
  const b = counts.findIndex((count) => count >= rank);
  if (b === sorted.length - 1) return (sorted[b - 1] as Bucket).le;
  const upper = (sorted[b] as Bucket).le;
  if (b === 0 && upper <= 0) return upper;
  let lower = 0;
  let inBucket = counts[b] as number;
  if (b > 0) {
    lower = (sorted[b - 1] as Bucket).le;
    inBucket -= counts[b - 1] as number;
    rank -= counts[b - 1] as number;
  }
  return lower + (upper - lower) * (rank / inBucket);
}
