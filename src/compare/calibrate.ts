import type { PercentileMetric } from '../baseline/schema.ts';
import { blockStatuses, type PairedOptions, pool, type Slot, type Variant } from './paired.ts';
import { MIN_LOG_MS, sortedQuantile, studentQuantile } from './stats.ts';

/**
 * `loadgate calibrate`: A/A pairs (the same service on both sides of every block) measure how
 * much each percentile's block log ratio moves when nothing changed. From that spread follows
 * the smallest change a paired check of `blocks` blocks detects with 90% power at a false-alarm
 * rate α shared by `checks` checks (Holm's first step, α / checks): a floor below it only buys
 * inconclusive verdicts. The paired test is Student's t over the blocks (blocks − 1 degrees of
 * freedom, standard error sd/√blocks), so the quantiles are t ones: (t(1 − α/checks) + t(0.9)) ·
 * sd / √blocks, the usual approximation of a t test's power.
 */
export interface NoiseRow {
  request: string;
  metric: PercentileMetric;
  /** valid blocks behind the estimate */
  blocks: number;
  /** standard deviation of ln(B/A) between blocks; null with fewer than 2 blocks or a thin tail */
  logSd: number | null;
  /** the smallest relative change detectable with 90% power; null when logSd is */
  detectable: number | null;
}

export interface Calibration {
  rows: NoiseRow[];
  /** per percentile, the largest detectable change over the requests: the floors to use */
  floors: Partial<Record<PercentileMetric, number>>;
  validBlocks: number;
  blocks: number;
}

const PERCENTILES = [
  { metric: 'p50Ms', q: 0.5 },
  { metric: 'p95Ms', q: 0.95 },
  { metric: 'p99Ms', q: 0.99 },
] as const;

export function calibrate(
  slots: readonly Slot[],
  options: PairedOptions & { alpha: number; checks: number; plannedBlocks: number; minTailSamples?: number },
): Calibration {
  const statuses = blockStatuses(slots, options);
  const valid = statuses.filter((s) => s.valid).map((s) => s.block);
  const requests = [...new Set(slots.flatMap((s) => s.requests.map((r) => r.name)))];
  const minTail = options.minTailSamples ?? 20;
  const n = options.plannedBlocks;
  const factor =
    n >= 2
      ? (studentQuantile(1 - options.alpha / Math.max(1, options.checks), n - 1) +
          studentQuantile(0.9, n - 1)) /
        Math.sqrt(n)
      : null;
  const rows: NoiseRow[] = [];
  for (const request of requests) {
    for (const { metric, q } of PERCENTILES) {
      const ratios: number[] = [];
      let thin = false;
      for (const block of valid) {
        const side = (variant: Variant) =>
          pool(
            slots
              .filter((s) => s.block === block && s.variant === variant)
              .map((s) => s.requests.find((r) => r.name === request)?.samples ?? null),
          );
        const a = side('base');
        const b = side('candidate');
        if (a.length * (1 - q) < minTail || b.length * (1 - q) < minTail) thin = true;
        const qa = sortedQuantile(a, q);
        const qb = sortedQuantile(b, q);
        if (qa !== null && qb !== null)
          ratios.push(Math.log(Math.max(MIN_LOG_MS, qb)) - Math.log(Math.max(MIN_LOG_MS, qa)));
      }
      const logSd =
        ratios.length >= 2 && !thin
          ? Math.sqrt(ratios.reduce((s, r) => s + (r - mean(ratios)) ** 2, 0) / (ratios.length - 1))
          : null;
      rows.push({
        request,
        metric,
        blocks: ratios.length,
        logSd,
        detectable: logSd !== null && factor !== null ? Math.expm1(factor * logSd) : null,
      });
    }
  }
  const floors: Calibration['floors'] = {};
  for (const { metric } of PERCENTILES) {
    const values = rows
      .filter((r) => r.metric === metric && r.detectable !== null)
      .map((r) => r.detectable as number);
    if (values.length > 0) floors[metric] = Math.max(...values);
  }
  return { rows, floors, validBlocks: valid.length, blocks: statuses.length };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
