import type { BaselineCell, PercentileMetric } from '../baseline/schema.ts';
import { formatMs, formatRate } from '../report/format.ts';
import { twoRunNoiseLogVariance } from './history.ts';
import type { ComparedMetric, MetricVerdict, Policy, RateFloor } from './schema.ts';
import { oneSidedP, studentQuantile } from './stats.ts';

// The tests of one shift, shared by stored and paired mode: a percentile's log ratio or a failure
// rate's difference against its floor, with the direction the blocks agree on.

export const PERCENTILE_METRICS = ['p50Ms', 'p95Ms', 'p99Ms'] as const;

export const RATE_METRICS = ['errorRate', 'timeoutRate'] as const;

/** Where a check was made: a (phase, level, request) slice. */
export type CheckCell = Pick<BaselineCell, 'phase' | 'levelIndex' | 'level' | 'request'>;

/** One metric of one slice, tested or not; Holm's correction is applied across a run's checks. */
export interface Check {
  cell: CheckCell;
  metric: ComparedMetric;
  baseline: number | null;
  candidate: number | null;
  change: number | null;
  /** a test was made: it enters Holm's family */
  test: null | { pWorse: number; pBetter: number; decide: (worseAdj: number, betterAdj: number) => Decided };
  /** the verdict when no test was made */
  untested?: Decided;
  detail?: CheckDetail;
}

/** What a test rested on, recorded beside its verdict. */
export interface CheckDetail {
  df: number | null;
  units: number | null;
  resolution: number | null;
  sameDirection: 'worse' | 'better' | null;
}

export interface Decided {
  verdict: MetricVerdict;
  reason: string;
  changeLow: number | null;
  changeHigh: number | null;
  /** inconclusive for want of evidence: more blocks could decide it */
  undecided?: boolean;
}

export function pct(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits).replace(/\.0+$/, '')}%`;
}

export function signedPct(share: number): string {
  return `${share >= 0 ? '+' : '−'}${pct(Math.abs(share))}`;
}

/**
 * What a test of a shift rests on: the estimate `d` (a log ratio for percentiles, a difference
 * of shares for rates), its standard error and Student's t degrees of freedom (Infinity: the
 * normal), how many units (blocks, runs) it came from, and, where the units are paired blocks,
 * how many moved each way.
 */
export interface ShiftEvidence {
  d: number;
  se: number;
  df: number;
  units: number | null;
  signs: { worse: number; better: number } | null;
}

/**
 * The blocks all moved one way, and there are enough of them for that to mean something: under
 * no change a block is as likely to go either way, so k blocks agree by chance with probability
 * 2·0.5^k; at k with 2·0.5^k ≤ α (6 blocks at α = 5%) it is a shift, never "unchanged".
 */
export function sameDirection(signs: ShiftEvidence['signs'], alpha: number): 'worse' | 'better' | null {
  if (signs === null) return null;
  const k = signs.worse + signs.better;
  if (k === 0 || 2 * 0.5 ** k > alpha) return null;
  if (signs.worse === k) return 'worse';
  if (signs.better === k) return 'better';
  return null;
}

export function detailOf(e: ShiftEvidence, resolution: number, alpha: number): CheckDetail {
  return {
    df: Number.isFinite(e.df) ? e.df : null,
    units: e.units,
    resolution,
    sameDirection: sameDirection(e.signs, alpha),
  };
}

/**
 * The test of a percentile's log ratio and the decision it leads to once the run's p-values are
 * Holm-adjusted, at `level` (α, or this look's share of it). The floor is the policy's relative
 * one, or a millisecond floor where one was set (`--floor latency=…`) and is the larger; the
 * estimate itself must pass it. The resolution, the interval's half-width, is what these blocks
 * or this history can tell apart in milliseconds: the report gives it beside each verdict.
 */
export function percentileTest(
  common: Pick<Check, 'cell' | 'metric' | 'baseline' | 'candidate'>,
  evidence: ShiftEvidence,
  policy: Policy,
  level = policy.alpha,
): Check {
  const metric = common.metric as PercentileMetric;
  const { d, df } = evidence;
  const se = Math.max(1e-12, evidence.se);
  const z = d / se;
  const change = Math.expm1(d);
  const base = common.baseline ?? 0;
  const absolute = policy.floors.latencyMs ?? 0;
  const absoluteShare = base > 0 ? absolute / base : 0;
  const share = Math.max(policy.floors[metric], absoluteShare);
  const floor = Math.log1p(share);
  const tAlpha = studentQuantile(1 - policy.alpha, df);
  const half = tAlpha * se;
  const low = d - half;
  const high = d + half;
  const interval = `${signedPct(change)} (${signedPct(Math.expm1(low))} … ${signedPct(Math.expm1(high))})`;
  const floorText = share > policy.floors[metric] ? `${absolute} ms` : pct(policy.floors[metric]);
  const resolutionMs = base * Math.expm1(half);
  const resolved = `resolves ${formatMs(resolutionMs)} ms`;
  const detail = detailOf(evidence, Math.expm1(half), policy.alpha);
  const consistent = detail.sameDirection;
  const p = oneSidedP(z, df);
  return {
    ...common,
    change,
    detail,
    test: {
      pWorse: p.greater,
      pBetter: p.less,
      decide(worseAdj, betterAdj): Decided {
        const bounds = { changeLow: Math.expm1(low), changeHigh: Math.expm1(high) };
        if (worseAdj < level && d > floor) {
          return {
            ...bounds,
            verdict: 'regressed',
            reason: `${interval}, slower beyond the ${floorText} floor (${fmtP(worseAdj)} after Holm)`,
          };
        }
        if (betterAdj < level && d < -floor) {
          return {
            ...bounds,
            verdict: 'improved',
            reason: `${interval}, faster (${fmtP(betterAdj)} after Holm)`,
          };
        }
        const within = low > -floor && high < floor;
        if (within && consistent === null) {
          const small = worseAdj < level || betterAdj < level ? ', a real change under the floor' : '';
          return { ...bounds, verdict: 'unchanged', reason: `${interval}, within ±${floorText}${small}` };
        }
        if (within) {
          const way = consistent === 'worse' ? 'slower' : 'faster';
          return {
            ...bounds,
            verdict: 'inconclusive',
            reason: `${interval}: ${way} in every one of the ${evidence.units} blocks, a real shift under the ${floorText} floor`,
          };
        }
        if (worseAdj < level || betterAdj < level) {
          return {
            ...bounds,
            undecided: true,
            verdict: 'inconclusive',
            reason: `${interval}: ${worseAdj < level ? 'slower' : 'faster'} (${fmtP(Math.min(worseAdj, betterAdj))} after Holm), but the estimate is under the ${floorText} floor and the interval reaches it`,
          };
        }
        return {
          ...bounds,
          undecided: true,
          verdict: 'inconclusive',
          reason: `${interval}: not significant, yet the interval reaches the ${floorText} floor (${resolved})`,
        };
      },
    },
  };
}

/**
 * The test of a failure rate's difference (candidate − baseline) and its decision: regressed when
 * significant and the candidate's rate is at least `ratio` times and `absolute` above the
 * baseline's (both on the estimates); inconclusive when not, yet the interval still reaches both.
 */
export function rateTest(
  common: Pick<Check, 'cell' | 'metric' | 'baseline' | 'candidate'>,
  evidence: ShiftEvidence,
  policy: Policy,
  text: string,
  level = policy.alpha,
): Check {
  const metric = common.metric as (typeof RATE_METRICS)[number];
  const floor: RateFloor = policy.floors[metric];
  const rb = common.baseline ?? 0;
  const rc = common.candidate ?? 0;
  const se = Math.max(1e-12, evidence.se);
  const half = studentQuantile(1 - policy.alpha, evidence.df) * se;
  const changeLow = evidence.d - half;
  const changeHigh = evidence.d + half;
  const worseBy = (from: number, to: number) => to >= floor.ratio * from && to - from >= floor.absolute;
  const floorText = `×${floor.ratio} and +${formatRate(floor.absolute)}`;
  const detail = detailOf(evidence, half, policy.alpha);
  const p = oneSidedP(evidence.d / se, evidence.df);
  return {
    ...common,
    change: rc - rb,
    detail,
    test: {
      pWorse: p.greater,
      pBetter: p.less,
      decide(worseAdj, betterAdj): Decided {
        const bounds = { changeLow, changeHigh };
        if (worseAdj < level && worseBy(rb, rc)) {
          return {
            ...bounds,
            verdict: 'regressed',
            reason: `${text}, beyond the floor ${floorText} (${fmtP(worseAdj)} after Holm)`,
          };
        }
        if (betterAdj < level && worseBy(rc, rb)) {
          return { ...bounds, verdict: 'improved', reason: `${text} (${fmtP(betterAdj)} after Holm)` };
        }
        if (worseBy(rb, rb + Math.max(0, changeHigh))) {
          return {
            ...bounds,
            undecided: true,
            verdict: 'inconclusive',
            reason: `${text}: ${worseAdj < level ? 'more failures, though under' : 'not significant, yet the interval reaches'} the floor ${floorText}`,
          };
        }
        if (detail.sameDirection !== null) {
          return {
            ...bounds,
            verdict: 'inconclusive',
            reason: `${text}: ${detail.sameDirection === 'worse' ? 'more' : 'fewer'} in every one of the ${evidence.units} blocks, under the floor ${floorText}`,
          };
        }
        return { ...bounds, verdict: 'unchanged', reason: `${text}, within the floor ${floorText}` };
      },
    },
  };
}

/** The variance of ln(candidate / baseline) between two runs of the same code beyond sampling. */
export function runNoiseLogVariance(
  policy: Policy,
  metric: PercentileMetric,
  baselineMs: number,
  candidateMs: number,
): number {
  return twoRunNoiseLogVariance(policy, metric, Math.sqrt(Math.max(0, baselineMs * candidateMs)));
}

/** "p < 0.0001", "p = 0.012" */
export function fmtP(p: number): string {
  return p < 0.0001 ? 'p < 0.0001' : `p = ${p.toPrecision(2)}`;
}
