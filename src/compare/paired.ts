import { formatRate } from '../report/format.ts';
import type { LoadModel } from '../result/schema.ts';
import {
  type Check,
  judge,
  noFailures,
  noiseNote,
  percentileTest,
  rateTest,
  summaryLine,
} from './compare.ts';
import { DEFAULT_POLICY, PAIRED_POLICY } from './policy.ts';
import type { Comparison, Policy } from './schema.ts';
import { lookAlpha, lookOf } from './sequential.ts';
import {
  bootstrapPercentile,
  MIN_LOG_MS,
  mean,
  median,
  quantizationLogVariance,
  sampleResolutionMs,
  sampleVariance,
  seedOf,
  sortedQuantile,
} from './stats.ts';

/**
 * Paired mode: the base revision's service and the candidate's, driven alternately on the same
 * runner at one fixed arrival rate, never at once. Slots come in blocks of four, ABBA (then BAAB,
 * and so on), so a runner that drifts linearly weighs on both sides alike. The block is the unit
 * of inference: per valid block, each percentile's log ratio ln(Q_cand / Q_base) (each side's two
 * slots pooled) and each failure rate's difference; the shift is their mean over the k blocks,
 * tested with Student's t(k − 1) and a variance no smaller than the blocks' own spread
 * (blockEvidence), so a burst of errors in one slot or a slot the runner slowed counts once, as
 * it happened, and not as thousands of independent requests. Holm across every check; extending
 * while undecided spends α over the looks (sequential.ts). A slot with dropped iterations or a
 * saturated load generator, or a block whose canary (a fixed request to loadgate's own endpoint)
 * moved against the rest, is invalid: left out, never a regression. A canary that slowed beside
 * the candidate in every block is the candidate's CPU cost (it competes for the same cores): a
 * finding, not a reason to drop blocks.
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
  /** valid blocks needed before anything is judged; default 2 (t(1), the least a t test can be) */
  minBlocks?: number;
  /**
   * the blocks the run plans: always `blocks`, then one more at a time while a test is undecided,
   * up to `maxBlocks`; α is spent over those looks (policy.spending). Absent: this is the only
   * look, tested at the full α (a fixed number of blocks)
   */
  plan?: { blocks: number; maxBlocks: number };
  /** bootstrap replicates per block and side, for the within-block sampling variance; default 1000 */
  replicates?: number;
}

export interface PairedOutcome {
  comparison: Comparison;
  blocks: BlockStatus[];
  /** some test was inconclusive for want of evidence: another block could decide it */
  moreBlocksWouldHelp: boolean;
  /** the canary slowed (or sped up) beside the candidate in every valid block: its CPU cost */
  cpuCost: CpuCost | null;
}

export interface CpuCost {
  /** the canary's median shift over the blocks, candidate's slots against the base's (0.3: 30% slower) */
  share: number;
  blocks: number;
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

/** The smallest canary shift, in every block, that is reported as the candidate's CPU cost. */
export const CPU_COST_MIN_SHIFT = 0.05;
/** Blocks that must agree on it: two agree by chance too often (about 4% of A/A pairs of blocks). */
export const MIN_COST_BLOCKS = 3;
/** Samples beyond a percentile each side of a block needs for its block estimate to count. */
export const MIN_BLOCK_TAIL = 5;

/**
 * Which blocks count, and why the others do not. A block is invalid when a slot failed or
 * dropped iterations, when a slot's canary says the runner was saturated (its p50 over
 * `saturationFactor`× the usual and 5 ms above it), or when its canary moved between the sides
 * against the other blocks: by more than `maxCanaryShift` (and `minCanaryShiftMs`) from the shift
 * they share. The shared shift is the median over the blocks when every block (three at least)
 * moved the same way by at least CPU_COST_MIN_SHIFT (the candidate's CPU cost, reported by
 * cpuCostOf), else none: a single block whose runner slowed during one side stands out either way.
 */
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
  const first = blocks.map((block): BlockStatus & { sides?: { base: number; cand: number } } => {
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
    if (cb === null || cc === null) return { block, valid: true, reason: null, canaryShift: null };
    const shift = Math.log(Math.max(MIN_LOG_MS, cc)) - Math.log(Math.max(MIN_LOG_MS, cb));
    return { block, valid: true, reason: null, canaryShift: shift, sides: { base: cb, cand: cc } };
  });
  const shifts = first.filter((b) => b.valid && b.canaryShift !== null).map((b) => b.canaryShift as number);
  const centre = sharedCanaryShift(shifts);
  return first.map(({ sides, ...status }) => {
    if (!status.valid || status.canaryShift === null || !sides) return status;
    const off = status.canaryShift - centre;
    const expectedMs = sides.base * Math.exp(centre);
    if (Math.abs(off) > maxShift && Math.abs(sides.cand - expectedMs) > minShiftMs) {
      const against =
        centre === 0
          ? ''
          : ` (the other blocks agree on ${pctText(Math.expm1(centre))}, the candidate's CPU cost)`;
      return {
        ...status,
        valid: false,
        reason: `the canary's p50 moved ${pctText(Math.expm1(status.canaryShift))} between base and candidate slots${against}: the runner's speed changed`,
      };
    }
    return status;
  });
}

/**
 * The canary shift the blocks share: their median when every one of at least MIN_COST_BLOCKS
 * moved the same way by at least CPU_COST_MIN_SHIFT, else 0. Under no change a canary shift is as
 * likely up as down, so agreement in every block is the candidate's doing, not the runner's.
 */
function sharedCanaryShift(shifts: readonly number[]): number {
  if (shifts.length < MIN_COST_BLOCKS) return 0;
  const min = Math.log1p(CPU_COST_MIN_SHIFT);
  if (shifts.every((s) => s >= min) || shifts.every((s) => s <= -min)) return median(shifts) as number;
  return 0;
}

/** The candidate's CPU cost as the canary shows it: its shared shift over the valid blocks, or null. */
export function cpuCostOf(blocks: readonly BlockStatus[]): CpuCost | null {
  const shifts = blocks.filter((b) => b.valid && b.canaryShift !== null).map((b) => b.canaryShift as number);
  const centre = sharedCanaryShift(shifts);
  return centre === 0 ? null : { share: Math.expm1(centre), blocks: shifts.length };
}

/** The finding a CPU cost makes, in words. */
export function cpuCostFinding(cost: CpuCost): string {
  const more = cost.share > 0;
  return `the candidate costs ${more ? 'more' : 'less'} CPU: the canary was ${(Math.abs(cost.share) * 100).toFixed(0)}% ${more ? 'slower' : 'faster'} beside it in every block (${cost.blocks} blocks); a canary competes for the same cores, so the candidate keeps them busier per request`;
}

/** One block's estimate of a shift and the sampling variance within it. */
export interface BlockEstimate {
  /** ln(Q_cand / Q_base) for a percentile; rate_cand − rate_base for a failure rate */
  y: number;
  /** its variance from sampling within the block (bootstrap over requests, or binomial) */
  v: number;
}

/**
 * The mean of the blocks' estimates, tested across blocks: Student's t(k − 1) with the variance
 * max(s², v̄)/k, s² the blocks' sample variance and v̄ their mean within-block sampling variance.
 * This is the modified Hartung–Knapp (Knapp–Hartung) random-effects variance (Röver, Knapp &
 * Friede 2015) for blocks of equal weight: the Hartung–Knapp variance is s²/k, the
 * DerSimonian–Laird one (τ̂² + v̄)/k = max(s², v̄)/k, and the modification takes the larger of
 * the two. Equal weights because the blocks are alike by design (same rate, same slot length);
 * weights from per-block bootstraps would add their own noise and give a block with a stall less
 * say. The floor v̄ matters with few blocks: three blocks can agree by chance, and s² from 2
 * degrees of freedom alone would then call a sampling-sized wobble significant (the old
 * random-effects term was truncated to 0 in 21–46% of 3-block runs). Slot-to-slot jitter and
 * bursts of errors show in s², once per block, as they happen.
 */
export function blockEvidence(estimates: readonly BlockEstimate[]): {
  d: number;
  se: number;
  df: number;
  units: number;
  signs: { worse: number; better: number };
} {
  const k = estimates.length;
  if (k < 2) throw new Error(`blockEvidence: ${k} blocks, at least 2 needed`);
  const ys = estimates.map((e) => e.y);
  const variance = Math.max(sampleVariance(ys), mean(estimates.map((e) => e.v))) / k;
  return {
    d: mean(ys),
    se: Math.sqrt(variance),
    df: k - 1,
    units: k,
    signs: { worse: ys.filter((y) => y > 0).length, better: ys.filter((y) => y < 0).length },
  };
}

/** The paired comparison of all slots run so far. */
export function comparePaired(slots: readonly Slot[], options: PairedOptions): PairedOutcome {
  const given = options.policy ?? PAIRED_POLICY;
  const policy: Policy = {
    ...given,
    runNoise: { p50Ms: 0, p95Ms: 0, p99Ms: 0 },
    runNoiseMs: { p50Ms: 0, p95Ms: 0, p99Ms: 0 },
    runNoiseSource: 'paired',
  };
  const minBlocks = Math.max(2, options.minBlocks ?? 2);
  const replicates = options.replicates ?? 1000;
  const phase = options.phase ?? 'paired';
  const blocks = blockStatuses(slots, options);
  const valid = blocks.filter((b) => b.valid).map((b) => b.block);
  const blocksRun = blocks.length;
  const spending = policy.spending ?? DEFAULT_POLICY.spending ?? 'obrien-fleming';
  const plan = { ...(options.plan ?? { blocks: blocksRun, maxBlocks: blocksRun }), spending };
  const level = lookAlpha(policy.alpha, blocksRun, plan);
  const requests = [...new Set(slots.flatMap((s) => s.requests.map((r) => r.name)))];

  const checks: Check[] = [];
  for (const request of requests) {
    const cell = { phase, levelIndex: 0, level: options.level, request };
    const side = (variant: Variant, block?: number) =>
      slots
        .filter(
          (s) =>
            valid.includes(s.block) && s.variant === variant && (block === undefined || s.block === block),
        )
        .map((s) => s.requests.find((r) => r.name === request))
        .filter((r): r is SlotRequest => r !== undefined);
    const perBlock = valid.map((block) => ({
      block,
      base: side('base', block),
      cand: side('candidate', block),
    }));
    for (const { metric, q } of PERCENTILES) {
      const base = pool(side('base').map((r) => r.samples));
      const cand = pool(side('candidate').map((r) => r.samples));
      const common = { cell, metric, baseline: sortedQuantile(base, q), candidate: sortedQuantile(cand, q) };
      /** untested; `undecided`: another block could make it testable */
      const untested = (reason: string, undecided = true): Check => ({
        ...common,
        change:
          common.baseline !== null && common.candidate !== null && common.baseline > 0
            ? common.candidate / common.baseline - 1
            : null,
        test: null,
        untested: { verdict: 'inconclusive', reason, undecided, changeLow: null, changeHigh: null },
      });
      if (valid.length < minBlocks) {
        checks.push(untested(`only ${valid.length} valid ABBA blocks (at least ${minBlocks} needed)`));
        continue;
      }
      const sides = perBlock.map((b) => ({
        block: b.block,
        base: pool(b.base.map((r) => r.samples)),
        cand: pool(b.cand.map((r) => r.samples)),
      }));
      const word = metric.replace('Ms', '');
      // a block's own tail: more blocks do not fill it (longer slots or a higher rate do), so no
      // reason to run another block for it
      const thinBlock = Math.min(...sides.map((b) => Math.min(b.base.length, b.cand.length) * (1 - q)));
      if (thinBlock < MIN_BLOCK_TAIL) {
        checks.push(
          untested(
            `too few samples beyond ${word} in a block: ${Math.floor(thinBlock)} (at least ${MIN_BLOCK_TAIL} per side and block; longer slots or a higher rate give more)`,
            false,
          ),
        );
        continue;
      }
      const thinnest = Math.min(base.length, cand.length) * (1 - q);
      if (thinnest < policy.minTailSamples) {
        checks.push(
          untested(
            `too few samples beyond ${word} on a side: ${Math.floor(thinnest)} (at least ${policy.minTailSamples}; more blocks, longer slots or a higher rate give more)`,
          ),
        );
        continue;
      }
      const seed = seedOf(`${request}\u0000${metric}`);
      const estimates = sides.map((b) =>
        blockPercentile(b.base, b.cand, q, replicates, seed + b.block * 104729),
      );
      checks.push(percentileTest(common, blockEvidence(estimates), policy, level));
    }
    for (const metric of ['errorRate', 'timeoutRate'] as const) {
      const counts = (rs: readonly SlotRequest[]) =>
        rs.reduce(
          (sum, r) => ({
            events: sum.events + (metric === 'errorRate' ? r.errors : r.timeouts),
            count: sum.count + r.count,
          }),
          { events: 0, count: 0 },
        );
      const b = counts(side('base'));
      const c = counts(side('candidate'));
      const common = {
        cell,
        metric,
        baseline: b.count > 0 ? b.events / b.count : null,
        candidate: c.count > 0 ? c.events / c.count : null,
      };
      if (common.baseline === null || common.candidate === null) {
        checks.push({
          ...common,
          change: null,
          test: null,
          untested: {
            verdict: 'inconclusive',
            reason: `no requests on the ${common.baseline === null ? 'base' : 'candidate'} side`,
            changeLow: null,
            changeHigh: null,
          },
        });
        continue;
      }
      if (b.events + c.events === 0) {
        checks.push(noFailures(common, 'none on either side'));
        continue;
      }
      const blockCounts = perBlock
        .map((pb) => ({ base: counts(pb.base), cand: counts(pb.cand) }))
        .filter((x) => x.base.count > 0 && x.cand.count > 0);
      if (blockCounts.length < minBlocks) {
        checks.push({
          ...common,
          change: common.candidate - common.baseline,
          test: null,
          untested: {
            verdict: 'inconclusive',
            reason: `only ${blockCounts.length} valid ABBA blocks (at least ${minBlocks} needed)`,
            undecided: true,
            changeLow: null,
            changeHigh: null,
          },
        });
        continue;
      }
      const pooled = (b.events + c.events) / (b.count + c.count);
      const estimates = blockCounts.map((x) => ({
        y: x.cand.events / x.cand.count - x.base.events / x.base.count,
        v: pooled * (1 - pooled) * (1 / x.cand.count + 1 / x.base.count),
      }));
      const text = `${formatRate(common.baseline)} → ${formatRate(common.candidate)} (${b.events} of ${b.count} → ${c.events} of ${c.count}, over ${blockCounts.length} blocks)`;
      checks.push(rateTest(common, blockEvidence(estimates), policy, text, level));
    }
  }

  const { metrics, counts, verdict, tests, undecided } = judge(checks, options.model);
  const cpuCost = cpuCostOf(blocks);
  const shifts = blocks.map((b) => b.canaryShift).filter((v): v is number => v !== null);
  const { look, looks } = lookOf(blocksRun, plan);
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
    ...(looks > 1
      ? [
          `look ${look} of at most ${looks} (blocks ${plan.blocks} to ${plan.maxBlocks}): tested at α = ${level.toPrecision(2)}, ${plan.spending === 'pocock' ? 'Pocock' : 'O’Brien–Fleming'}-type α spending over the looks`,
        ]
      : []),
  ];
  const findings = cpuCost ? [cpuCostFinding(cpuCost)] : [];
  const summary = summaryLine(verdict, counts, tests, metrics, []);
  const comparison: Comparison = {
    mode: 'paired',
    baseline: options.baseline,
    verdict,
    summary: cpuCost ? `${summary}; ${findings[0]?.split(';')[0]}` : summary,
    notComparable: [],
    notes,
    policy,
    checks: tests,
    counts,
    metrics,
    knees: [],
    findings,
    looks: { look, looks, alpha: level, spending: plan.spending },
  };
  return { comparison, blocks, moreBlocksWouldHelp: undecided > 0, cpuCost };
}

/**
 * One block's percentile shift: ln of the candidate's q-quantile over the base's (each side's
 * slots pooled) and its sampling variance: both sides' bootstraps over requests, plus what a
 * timer's rounding adds (ties at 1 ms would otherwise leave no variance at all).
 */
export function blockPercentile(
  base: Float64Array,
  cand: Float64Array,
  q: number,
  replicates: number,
  seed: number,
): BlockEstimate {
  const b = bootstrapPercentile(base, q, replicates, seed);
  const c = bootstrapPercentile(cand, q, replicates, seed + 7919);
  if (b === null || c === null) throw new Error('blockPercentile: a side without samples');
  const resolution = Math.min(sampleResolutionMs(base), sampleResolutionMs(cand));
  return {
    y: Math.log(Math.max(MIN_LOG_MS, c.estimate)) - Math.log(Math.max(MIN_LOG_MS, b.estimate)),
    v:
      b.logSe ** 2 +
      c.logSe ** 2 +
      quantizationLogVariance(b.estimate, resolution) +
      quantizationLogVariance(c.estimate, resolution),
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
