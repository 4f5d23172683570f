import type { LoadModel } from '../result/schema.ts';
import { type Check, judge, noiseNote, percentileTest, rateCheck, summaryLine } from './compare.ts';
import { DEFAULT_POLICY } from './policy.ts';
import type { Comparison, Policy } from './schema.ts';
import { bootstrapPercentile, MIN_LOG_MS, seedOf, sortedQuantile } from './stats.ts';

/**
 * Paired mode: the base revision's service and the candidate's, driven alternately on the same
 * runner at one fixed arrival rate, never at once. Slots come in blocks of four, ABBA (then BAAB,
 * and so on), so a runner that drifts linearly weighs on both sides alike and each side's pooled
 * samples see the same runner; the log ratio of a percentile (candidate's pooled samples over the
 * base's) cancels the runner's speed. Its uncertainty: the percentiles' bootstrap over requests,
 * widened by whatever the blocks disagree beyond that (see pairedShift); a one-sided test, Holm
 * across every check, the same floors and verdicts as stored baselines. A slot with dropped iterations or
 * a saturated load generator, or a block whose canary (a fixed request to loadgate's own endpoint)
 * moved between base and candidate, is invalid: left out, never a regression.
 */

export type Variant = 'base' | 'candidate';

export interface SlotRequest {
  name: string;
  /** latencies, ms, ascending */
  samples: Float64Array;
  count: number;
  errors: number;
  timeouts: number;
}

export interface Slot {
  block: number;
  /** 0..3 within the block */
  position: number;
  variant: Variant;
  requests: SlotRequest[];
  /** the canary's latencies, ascending; null when none ran */
  canary: Float64Array | null;
  droppedIterations: number;
  /** set by the orchestrator when the slot failed (k6 error, cut short) */
  invalidReason?: string | null;
  /** a user script's own k6 thresholds this slot crossed (k6 exit 99), each `metric: expression` */
  crossedThresholds?: string[];
}

export interface BlockStatus {
  block: number;
  valid: boolean;
  reason: string | null;
  /** ln(candidate canary p50 / base canary p50) in this block; null without canary */
  canaryShift: number | null;
}

export interface PairedOptions {
  policy?: Policy;
  /** the arrival rate every slot ran at (open model), or VUs (closed) */
  level: number;
  model: LoadModel;
  phase?: string;
  baseline: Comparison['baseline'];
  /**
   * a block is invalid when the canary's p50 moved by more than this share between its sides and
   * by more than minCanaryShiftMs (a canary of a millisecond or two jitters by tenths); default 25%
   */
  maxCanaryShift?: number;
  /** default 1 ms */
  minCanaryShiftMs?: number;
  /**
   * a slot is invalid when its canary p50 exceeds this multiple of the canary's usual p50 (the
   * median over all slots) and is at least 5 ms above it: the load generator was saturated; default 3
   */
  saturationFactor?: number;
  /** valid blocks needed before anything is judged; default 2 */
  minBlocks?: number;
}

export interface PairedOutcome {
  comparison: Comparison;
  blocks: BlockStatus[];
  /** some test was inconclusive: another block could decide it */
  moreBlocksWouldHelp: boolean;
}

/** The variant of each position: ABBA in even blocks, BAAB in odd ones. */
export function slotVariant(block: number, position: number): Variant {
  const abba: Variant[] = ['base', 'candidate', 'candidate', 'base'];
  const variant = abba[position % 4] as Variant;
  return block % 2 === 0 ? variant : variant === 'base' ? 'candidate' : 'base';
}

/** The order slots are run in, block after block. */
export function slotSchedule(blocks: number): { block: number; position: number; variant: Variant }[] {
  return Array.from({ length: blocks * 4 }, (_, i) => {
    const block = Math.floor(i / 4);
    const position = i % 4;
    return { block, position, variant: slotVariant(block, position) };
  });
}

const PERCENTILES = [
  { metric: 'p50Ms', q: 0.5 },
  { metric: 'p95Ms', q: 0.95 },
  { metric: 'p99Ms', q: 0.99 },
] as const;

/** Which blocks count, and why the others do not. */
export function blockStatuses(slots: readonly Slot[], options: PairedOptions): BlockStatus[] {
  const maxShift = Math.log1p(options.maxCanaryShift ?? 0.25);
  const minShiftMs = options.minCanaryShiftMs ?? 1;
  const factor = options.saturationFactor ?? 3;
  const canaryMedians = slots
    .map((s) => (s.canary ? sortedQuantile(s.canary, 0.5) : null))
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  const typical =
    canaryMedians.length > 0 ? (canaryMedians[Math.floor(canaryMedians.length / 2)] as number) : null;
  const blocks = [...new Set(slots.map((s) => s.block))].sort((a, b) => a - b);
  return blocks.map((block) => {
    const mine = slots.filter((s) => s.block === block).sort((a, b) => a.position - b.position);
    const invalid = (reason: string): BlockStatus => ({ block, valid: false, reason, canaryShift: null });
    if (mine.length !== 4) return invalid(`${mine.length} of its 4 slots ran`);
    for (const slot of mine) {
      const where = `slot ${slot.position + 1} (${slot.variant})`;
      if (slot.invalidReason) return invalid(`${where}: ${slot.invalidReason}`);
      if (slot.droppedIterations > 0) {
        return invalid(`${where}: k6 dropped ${slot.droppedIterations} iterations, the rate was not kept`);
      }
      const p50 = slot.canary ? sortedQuantile(slot.canary, 0.5) : null;
      if (typical !== null && p50 !== null && p50 > factor * typical && p50 - typical >= 5) {
        return invalid(
          `${where}: the canary's p50 was ${p50.toFixed(1)} ms, over ${factor}× its usual ${typical.toFixed(1)} ms: the runner was saturated`,
        );
      }
    }
    const canary = (variant: Variant) => {
      const pooled = pool(mine.filter((s) => s.variant === variant).map((s) => s.canary));
      return pooled.length > 0 ? sortedQuantile(pooled, 0.5) : null;
    };
    const cb = canary('base');
    const cc = canary('candidate');
    const shift =
      cb !== null && cc !== null
        ? Math.log(Math.max(MIN_LOG_MS, cc)) - Math.log(Math.max(MIN_LOG_MS, cb))
        : null;
    if (shift !== null && Math.abs(shift) > maxShift && Math.abs((cc ?? 0) - (cb ?? 0)) > minShiftMs) {
      return {
        block,
        valid: false,
        reason: `the canary's p50 moved ${pctText(Math.expm1(shift))} between base and candidate slots: the runner's speed changed`,
        canaryShift: shift,
      };
    }
    return { block, valid: true, reason: null, canaryShift: shift };
  });
}

/** The paired comparison of all slots run so far. */
export function comparePaired(slots: readonly Slot[], options: PairedOptions): PairedOutcome {
  const policy: Policy = {
    ...(options.policy ?? DEFAULT_POLICY),
    runNoise: { p50Ms: 0, p95Ms: 0, p99Ms: 0 },
    runNoiseMs: { p50Ms: 0, p95Ms: 0, p99Ms: 0 },
    runNoiseSource: 'paired',
  };
  const minBlocks = options.minBlocks ?? 2;
  const phase = options.phase ?? 'paired';
  const blocks = blockStatuses(slots, options);
  const valid = blocks.filter((b) => b.valid).map((b) => b.block);
  const validSlots = slots.filter((s) => valid.includes(s.block));
  const requests = [...new Set(slots.flatMap((s) => s.requests.map((r) => r.name)))];

  const checks: Check[] = [];
  for (const request of requests) {
    const cell = { phase, levelIndex: 0, level: options.level, request };
    const side = (variant: Variant, block?: number) =>
      validSlots
        .filter((s) => s.variant === variant && (block === undefined || s.block === block))
        .map((s) => s.requests.find((r) => r.name === request))
        .filter((r): r is SlotRequest => r !== undefined);
    for (const { metric, q } of PERCENTILES) {
      const overall = (variant: Variant) => sortedQuantile(pool(side(variant).map((r) => r.samples)), q);
      const common = { cell, metric, baseline: overall('base'), candidate: overall('candidate') };
      const untested = (reason: string): Check => ({
        ...common,
        change:
          common.baseline !== null && common.candidate !== null && common.baseline > 0
            ? common.candidate / common.baseline - 1
            : null,
        test: null,
        untested: { verdict: 'inconclusive', reason, changeLow: null, changeHigh: null },
      });
      if (valid.length < minBlocks) {
        checks.push(untested(`only ${valid.length} valid ABBA blocks (at least ${minBlocks} needed)`));
        continue;
      }
      const base = pool(side('base').map((r) => r.samples));
      const cand = pool(side('candidate').map((r) => r.samples));
      const thinnest = Math.min(base.length, cand.length) * (1 - q);
      if (thinnest < policy.minTailSamples) {
        checks.push(
          untested(
            `too few samples beyond ${metric.replace('Ms', '')} on a side: ${Math.floor(thinnest)} (at least ${policy.minTailSamples}; more blocks, longer slots or a higher rate give more)`,
          ),
        );
        continue;
      }
      const perBlock = valid.map((block) => ({
        base: pool(side('base', block).map((r) => r.samples)),
        cand: pool(side('candidate', block).map((r) => r.samples)),
      }));
      const shift = pairedShift({ base, cand }, perBlock, q, seedOf(`${request}\u0000${metric}`));
      checks.push(percentileTest(common, shift.d, shift.se, shift.df, policy));
    }
    const pooled = (variant: Variant) =>
      side(variant).reduce(
        (sum, r) => ({
          count: sum.count + r.count,
          errors: sum.errors + r.errors,
          timeouts: sum.timeouts + r.timeouts,
        }),
        { count: 0, errors: 0, timeouts: 0 },
      );
    for (const metric of ['errorRate', 'timeoutRate'] as const) {
      checks.push(rateCheck(pooled('base'), { ...cell, ...pooled('candidate') }, metric, policy));
    }
  }

  const { metrics, counts, verdict, tests } = judge(checks, options.model);
  const shifts = blocks.map((b) => b.canaryShift).filter((v): v is number => v !== null);
  const notes = [
    noiseNote(policy),
    `${valid.length} of ${blocks.length} ABBA blocks valid${blocks
      .filter((b) => !b.valid)
      .map((b) => `; block ${b.block + 1}: ${b.reason}`)
      .join('')}`,
    ...(shifts.length > 0
      ? [
          `the canary's p50 moved at most ${pctText(Math.expm1(Math.max(...shifts.map(Math.abs))))} between sides within a block`,
        ]
      : []),
  ];
  const comparison: Comparison = {
    mode: 'paired',
    baseline: options.baseline,
    verdict,
    summary: summaryLine(verdict, counts, tests, metrics, []),
    notComparable: [],
    notes,
    policy,
    checks: tests,
    counts,
    metrics,
    knees: [],
  };
  return {
    comparison,
    blocks,
    moreBlocksWouldHelp: metrics.some((m) => m.verdict === 'inconclusive' && m.pWorse !== null),
  };
}

export interface PairedShift {
  /** ln(candidate's q-quantile / base's), every valid block's samples pooled per side */
  d: number;
  se: number;
  /** degrees of freedom of the test: infinite when the requests' sampling error is all there is */
  df: number;
  /** share of the variance that comes from the blocks disagreeing beyond sampling */
  betweenShare: number;
}

/**
 * The shift of a percentile between sides and its standard error. Sampling: each side's pooled
 * q-quantile, bootstrapped over requests (exact, sampled: bootstrapPercentile). Requests of one
 * slot are not independent (a stall slows a burst of them), and a runner's speed can change within
 * a block in ways ABBA does not cancel, so the blocks are compared too: the spread of the per-block
 * shifts beyond their own sampling error (a random-effects term, as in a meta-analysis) is added,
 * and the degrees of freedom follow Satterthwaite — from infinite when the blocks agree down to
 * blocks − 1 when their disagreement is all the uncertainty there is.
 */
export function pairedShift(
  pooled: { base: Float64Array; cand: Float64Array },
  perBlock: readonly { base: Float64Array; cand: Float64Array }[],
  q: number,
  seed: number,
  replicates = 1000,
): PairedShift {
  const shiftOf = (sides: { base: Float64Array; cand: Float64Array }, at: number) => {
    const b = bootstrapPercentile(sides.base, q, replicates, seed + at);
    const c = bootstrapPercentile(sides.cand, q, replicates, seed + at + 7919);
    if (b === null || c === null) return null;
    return {
      d: Math.log(Math.max(MIN_LOG_MS, c.estimate)) - Math.log(Math.max(MIN_LOG_MS, b.estimate)),
      v: b.logSe ** 2 + c.logSe ** 2,
    };
  };
  const all = shiftOf(pooled, 0);
  if (all === null) return { d: 0, se: Number.POSITIVE_INFINITY, df: 1, betweenShare: 0 };
  const blocks = perBlock
    .map((sides, i) => shiftOf(sides, (i + 1) * 104729))
    .filter((s): s is { d: number; v: number } => s !== null);
  const k = blocks.length;
  let between = 0;
  if (k >= 2) {
    const mean = blocks.reduce((a, s) => a + s.d, 0) / k;
    const spread = blocks.reduce((a, s) => a + (s.d - mean) ** 2, 0) / (k - 1);
    const sampling = blocks.reduce((a, s) => a + s.v, 0) / k;
    between = Math.max(0, spread - sampling) / k;
  }
  const variance = all.v + between;
  return {
    d: all.d,
    se: Math.sqrt(variance),
    df: between > 0 ? Math.max(k - 1, (variance ** 2 * (k - 1)) / between ** 2) : Number.POSITIVE_INFINITY,
    betweenShare: variance > 0 ? between / variance : 0,
  };
}

/** Ascending union of ascending arrays. */
export function pool(parts: readonly (Float64Array | null)[]): Float64Array {
  const present = parts.filter((p): p is Float64Array => p !== null);
  const out = new Float64Array(present.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of present) {
    out.set(part, at);
    at += part.length;
  }
  return out.sort();
}

function pctText(share: number): string {
  return `${share >= 0 ? '+' : '−'}${(Math.abs(share) * 100).toFixed(1)}%`;
}
