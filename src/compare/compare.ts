import type { Baseline, BaselineCell, Comparability, Percentile } from '../baseline/schema.ts';
import type { ComparisonOutcome } from '../gate/verdict.ts';
import { formatLevel, formatMs, formatRate } from '../report/format.ts';
import { compareKnees, kneeLevelsOfCells, kneesOf } from './knee.ts';
import { DEFAULT_POLICY } from './policy.ts';
import type {
  ComparedMetric,
  Comparison,
  ComparisonVerdict,
  MetricComparison,
  MetricVerdict,
  Policy,
  RateFloor,
} from './schema.ts';
import {
  binomialLowerTail,
  binomialUpperTail,
  holmAdjust,
  MIN_LOG_MS,
  studentCdf,
  studentQuantile,
  wilsonInterval,
} from './stats.ts';

/**
 * The comparison of a run with a baseline, pure: per phase, level, request and metric, a
 * verdict that says "regressed" only when the change is both statistically significant
 * (one-sided, Holm-corrected across every test of the run) and of practical size (a floor).
 *
 * Percentiles: the log ratio candidate/baseline, its standard error from both runs' bootstrap
 * spreads plus the run-to-run noise the policy assumes (a Wald test on the log scale). A
 * percentile with fewer than `minTailSamples` samples beyond it in either run is inconclusive and
 * not tested. Regressed: significant, and the interval reaches the floor (so a significant change
 * is at least half the floor); improved mirrors it; unchanged: the interval lies inside ±floor;
 * otherwise inconclusive.
 *
 * Error and timeout rates: the exact conditional test of two counts (given the total, the
 * candidate's share is binomial under equal rates). Regressed: significant, and the candidate's
 * rate is at least `ratio` times and `absolute` above the baseline's; inconclusive when not
 * significant but the interval still reaches both floors.
 */
export interface CompareOptions {
  policy?: Policy;
  /** where the baseline came from, for the report: a file, a branch record, a cache key */
  baselineSource: string;
}

const PERCENTILE_METRICS = ['p50Ms', 'p95Ms', 'p99Ms'] as const;
const RATE_METRICS = ['errorRate', 'timeoutRate'] as const;
const METRIC_WORDS: Record<ComparedMetric, string> = {
  p50Ms: 'p50',
  p95Ms: 'p95',
  p99Ms: 'p99',
  errorRate: 'error rate',
  timeoutRate: 'timeout rate',
};

/** Why two runs cannot be compared (empty when they can), and what differs without preventing it. */
export function comparabilityOf(
  baseline: Comparability,
  candidate: Comparability,
): { reasons: string[]; notes: string[] } {
  const reasons: string[] = [];
  const notes: string[] = [];
  if (baseline.loadModel !== candidate.loadModel) {
    reasons.push(
      `the load model differs: ${baseline.loadModel} in the baseline, ${candidate.loadModel} here`,
    );
  }
  if (baseline.loadHash !== candidate.loadHash) {
    reasons.push(
      `the load differs (levels, durations, requests or phases; load hash ${baseline.loadHash} in the baseline, ${candidate.loadHash} here)`,
    );
  } else if (baseline.configHash !== candidate.configHash) {
    notes.push(
      `the config differs outside the load (service, dependencies or gate; config hash ${baseline.configHash} → ${candidate.configHash}): compared as the same load`,
    );
  }
  if (baseline.k6Version !== candidate.k6Version) {
    reasons.push(`k6 differs: ${baseline.k6Version} in the baseline, ${candidate.k6Version} here`);
  }
  const b = baseline.runner;
  const c = candidate.runner;
  if (b.cpuCount !== c.cpuCount)
    reasons.push(`the runner has ${c.cpuCount} CPUs, the baseline's had ${b.cpuCount}`);
  if (b.cpuModel !== c.cpuModel)
    reasons.push(`the runner's CPU is ${c.cpuModel}, the baseline's was ${b.cpuModel}`);
  if (b.platform !== c.platform || b.arch !== c.arch) {
    reasons.push(`the runner is ${c.platform}/${c.arch}, the baseline's was ${b.platform}/${b.arch}`);
  }
  return { reasons, notes };
}

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
}

export interface Decided {
  verdict: MetricVerdict;
  reason: string;
  changeLow: number | null;
  changeHigh: number | null;
}

/** Compares a run (as a baseline record) with a baseline. */
export function compareBaselines(
  baseline: Baseline,
  candidate: Baseline,
  options: CompareOptions,
): Comparison {
  const policy = options.policy ?? DEFAULT_POLICY;
  const { reasons, notes } = comparabilityOf(baseline.comparability, candidate.comparability);
  const model = candidate.comparability.loadModel;
  const header = {
    mode: 'stored-baseline' as const,
    baseline: {
      runId: baseline.runId,
      startedAt: baseline.startedAt,
      toolVersion: baseline.tool.version,
      commit: baseline.source.commit,
      source: options.baselineSource,
    },
    policy,
  };
  const index = new Map(baseline.cells.map((c) => [cellId(c), c]));
  const missing = candidate.cells.filter((c) => !index.has(cellId(c)));
  if (reasons.length === 0 && missing.length > 0) {
    const first = missing[0] as BaselineCell;
    reasons.push(
      `the baseline lacks ${missing.length} of this run's (phase, level, request) slices, e.g. ${first.request} at ${formatLevel(first.level, model)} (${first.phase})`,
    );
  }
  if (reasons.length > 0) {
    return {
      ...header,
      verdict: 'not-comparable',
      summary: `not comparable with the baseline: ${reasons.join('; ')}`,
      notComparable: reasons,
      notes,
      checks: 0,
      counts: { regressed: 0, improved: 0, unchanged: 0, inconclusive: 0 },
      metrics: [],
      knees: [],
    };
  }

  notes.push(noiseNote(policy));
  const checks: Check[] = [];
  for (const cell of candidate.cells) {
    const base = index.get(cellId(cell)) as BaselineCell;
    for (const metric of PERCENTILE_METRICS) checks.push(percentileCheck(base, cell, metric, policy));
    for (const metric of RATE_METRICS) checks.push(rateCheck(base, cell, metric, policy));
  }
  const { metrics, counts, verdict, tests } = judge(checks, model);
  const knees = compareKnees(
    kneesOf(kneeLevelsOfCells(baseline.cells), policy.knee),
    kneesOf(kneeLevelsOfCells(candidate.cells), policy.knee),
    model,
  );
  return {
    ...header,
    verdict,
    summary: summaryLine(verdict, counts, tests, metrics, knees),
    notComparable: [],
    notes,
    checks: tests,
    counts,
    metrics,
    knees,
  };
}

/**
 * Holm's correction across every test of the run (worse and better each a family), then each
 * check's verdict; the run's comparison verdict: regressed if any metric regressed, else
 * inconclusive if any was, else pass.
 */
export function judge(
  checks: readonly Check[],
  model: Baseline['comparability']['loadModel'],
): {
  metrics: MetricComparison[];
  counts: Comparison['counts'];
  verdict: ComparisonVerdict;
  tests: number;
} {
  const tested = checks.filter((c) => c.test !== null);
  const worseAdj = holmAdjust(tested.map((c) => c.test?.pWorse ?? 1));
  const betterAdj = holmAdjust(tested.map((c) => c.test?.pBetter ?? 1));
  const adjusted = new Map(
    tested.map((c, i) => [c, { worse: worseAdj[i] as number, better: betterAdj[i] as number }]),
  );

  const metrics: MetricComparison[] = checks.map((check) => {
    const adj = adjusted.get(check);
    const decided =
      check.test && adj ? check.test.decide(adj.worse, adj.better) : (check.untested as Decided);
    const where = `${METRIC_WORDS[check.metric]} of ${check.cell.request} at ${formatLevel(check.cell.level, model)} (${check.cell.phase})`;
    return {
      phase: check.cell.phase,
      levelIndex: check.cell.levelIndex,
      level: check.cell.level,
      request: check.cell.request,
      metric: check.metric,
      baseline: check.baseline,
      candidate: check.candidate,
      change: check.change,
      changeLow: decided.changeLow,
      changeHigh: decided.changeHigh,
      pWorse: check.test ? clamp01(check.test.pWorse) : null,
      pWorseAdjusted: adj ? clamp01(adj.worse) : null,
      pBetter: check.test ? clamp01(check.test.pBetter) : null,
      pBetterAdjusted: adj ? clamp01(adj.better) : null,
      verdict: decided.verdict,
      reason: `${where}: ${decided.reason}`,
    };
  });
  const counts = { regressed: 0, improved: 0, unchanged: 0, inconclusive: 0 };
  for (const m of metrics) counts[m.verdict]++;
  const verdict: ComparisonVerdict =
    counts.regressed > 0 ? 'regressed' : counts.inconclusive > 0 ? 'inconclusive' : 'pass';
  return { metrics, counts, verdict, tests: tested.length };
}

function cellId(cell: Pick<BaselineCell, 'phase' | 'levelIndex' | 'request'>): string {
  return `${cell.phase}\u0000${cell.levelIndex}\u0000${cell.request}`;
}

function clamp01(p: number): number {
  return Math.min(1, Math.max(0, p));
}

export function noiseNote(policy: Policy): string {
  const n = policy.runNoise;
  const ms = policy.runNoiseMs;
  const part = (m: (typeof PERCENTILE_METRICS)[number]) =>
    `${m.replace('Ms', '')} ${pct(n[m])}${ms && ms[m] > 0 ? ` + ${ms[m]} ms` : ''}`;
  const values = PERCENTILE_METRICS.map(part).join(', ');
  switch (policy.runNoiseSource) {
    case 'paired':
      return 'paired runs: the runner’s speed cancels in each pair';
    case 'calibrated':
      return `run-to-run noise measured by loadgate calibrate: ${values}`;
    case 'history': {
      const measured = policy.runNoiseMeasured ?? ['p50Ms', 'p95Ms', 'p99Ms'];
      const assumed = (['p50Ms', 'p95Ms', 'p99Ms'] as const).filter((m) => !measured.includes(m));
      const rest =
        assumed.length > 0
          ? `; ${assumed.map((m) => m.replace('Ms', '')).join(', ')} assumed, too few samples in the tail to measure`
          : '';
      const msAssumed =
        ms && PERCENTILE_METRICS.some((m) => ms[m] > 0) ? '; the millisecond parts assumed' : '';
      return `run-to-run noise from the baseline history: ${values}${rest}${msAssumed}`;
    }
    case 'default':
      return `run-to-run noise assumed, not measured: ${values} (loadgate calibrate measures it on this runner)`;
  }
}

function pct(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits).replace(/\.0+$/, '')}%`;
}

function signedPct(share: number): string {
  return `${share >= 0 ? '+' : '−'}${pct(Math.abs(share))}`;
}

function percentileCheck(
  base: BaselineCell,
  cell: BaselineCell,
  metric: (typeof PERCENTILE_METRICS)[number],
  policy: Policy,
): Check {
  const b: Percentile | null = base[metric];
  const c: Percentile | null = cell[metric];
  const common = {
    cell,
    metric,
    baseline: b?.estimateMs ?? null,
    candidate: c?.estimateMs ?? null,
  };
  const untested = (reason: string, change: number | null = null): Check => ({
    ...common,
    change,
    test: null,
    untested: { verdict: 'inconclusive', reason, changeLow: null, changeHigh: null },
  });
  if (b === null || c === null) {
    return untested(
      b === null && c === null
        ? 'measured in neither run'
        : `not measured in ${b === null ? 'the baseline' : 'this run'}`,
    );
  }
  const d = Math.log(Math.max(MIN_LOG_MS, c.estimateMs)) - Math.log(Math.max(MIN_LOG_MS, b.estimateMs));
  const change = Math.expm1(d);
  if (b.logSe === null || c.logSe === null) {
    return untested('no per-request samples, so no spread to test with (k6 summary only)', change);
  }
  const min = policy.minTailSamples;
  if (b.tailSamples < min || c.tailSamples < min) {
    const q = METRIC_WORDS[metric];
    return untested(
      `too few samples beyond ${q} to judge it: ${Math.floor(b.tailSamples)} in the baseline, ${Math.floor(c.tailSamples)} here (at least ${min} needed; longer levels give more)`,
      change,
    );
  }
  const se = Math.sqrt(
    b.logSe ** 2 + c.logSe ** 2 + runNoiseLogVariance(policy, metric, b.estimateMs, c.estimateMs),
  );
  return percentileTest(common, d, se, Number.POSITIVE_INFINITY, policy);
}

/**
 * The variance of ln(candidate / baseline) between two runs of the same code beyond sampling: the
 * relative noise, plus the absolute noise (ms) turned into a share of the percentile's size (the
 * geometric mean of the two estimates), so a fast endpoint is not judged by a slow one's noise.
 */
export function runNoiseLogVariance(
  policy: Policy,
  metric: (typeof PERCENTILE_METRICS)[number],
  baselineMs: number,
  candidateMs: number,
): number {
  const relative = policy.runNoise[metric];
  const absoluteMs = policy.runNoiseMs?.[metric] ?? 0;
  const size = Math.sqrt(Math.max(MIN_LOG_MS, baselineMs) * Math.max(MIN_LOG_MS, candidateMs));
  return relative ** 2 + (absoluteMs / size) ** 2;
}

/**
 * The test of a percentile's log ratio `d` with standard error `se` and `df` degrees of freedom
 * (infinite: a normal approximation; paired blocks: Student's t), and the decision it leads to
 * once the run's p-values are Holm-adjusted.
 */
export function percentileTest(
  common: Pick<Check, 'cell' | 'metric' | 'baseline' | 'candidate'>,
  d: number,
  rawSe: number,
  df: number,
  policy: Policy,
): Check {
  const metric = common.metric as (typeof PERCENTILE_METRICS)[number];
  const se = Math.max(1e-9, rawSe);
  const z = d / se;
  const change = Math.expm1(d);
  // the relative floor, or the absolute one where it is the larger (a fast endpoint)
  const absolute = policy.floors.latencyMs ?? 0;
  const base = common.baseline ?? 0;
  const absoluteShare = base > 0 ? absolute / base : 0;
  const share = Math.max(policy.floors[metric], absoluteShare);
  const floor = Math.log1p(share);
  const zAlpha = studentQuantile(1 - policy.alpha, df);
  const low = d - zAlpha * se;
  const high = d + zAlpha * se;
  const interval = `${signedPct(change)} (${signedPct(Math.expm1(low))} … ${signedPct(Math.expm1(high))})`;
  const floorText = share > policy.floors[metric] ? `${absolute} ms` : pct(policy.floors[metric]);
  // the absolute floor holds for the estimate itself: a percentile that moved by less than it
  // never regressed (nor improved), however certain the move and however wide its interval
  const movedMs = base * change;
  const underAbsolute = base > 0 && Math.abs(movedMs) < absolute;
  const moved = `${movedMs >= 0 ? '+' : '−'}${formatMs(Math.abs(movedMs))} ms`;
  return {
    ...common,
    change,
    test: {
      pWorse: 1 - studentCdf(z, df),
      pBetter: studentCdf(z, df),
      decide(worseAdj, betterAdj): Decided {
        const bounds = { changeLow: Math.expm1(low), changeHigh: Math.expm1(high) };
        const slower = worseAdj < policy.alpha && high >= floor;
        const faster = betterAdj < policy.alpha && low <= -floor;
        if ((slower || faster) && underAbsolute) {
          return {
            ...bounds,
            verdict: 'inconclusive',
            reason: `${interval}: ${moved}, under the ${absolute} ms floor, though the interval reaches it (${fmtP(Math.min(worseAdj, betterAdj))} after Holm)`,
          };
        }
        if (slower) {
          return {
            ...bounds,
            verdict: 'regressed',
            reason: `${interval}, slower beyond the ${floorText} floor (${fmtP(worseAdj)} after Holm)`,
          };
        }
        if (faster) {
          return {
            ...bounds,
            verdict: 'improved',
            reason: `${interval}, faster (${fmtP(betterAdj)} after Holm)`,
          };
        }
        if (low > -floor && high < floor) {
          const small =
            worseAdj < policy.alpha || betterAdj < policy.alpha ? ', a real change under the floor' : '';
          return { ...bounds, verdict: 'unchanged', reason: `${interval}, within ±${floorText}${small}` };
        }
        return {
          ...bounds,
          verdict: 'inconclusive',
          reason: `${interval}: not significant, yet the interval reaches the ${floorText} floor`,
        };
      },
    },
  };
}

/** The exact conditional test of two failure counts, and its decision. */
export function rateCheck(
  base: Pick<BaselineCell, 'count' | 'errors' | 'timeouts'>,
  cell: CheckCell & Pick<BaselineCell, 'count' | 'errors' | 'timeouts'>,
  metric: (typeof RATE_METRICS)[number],
  policy: Policy,
): Check {
  const xb = metric === 'errorRate' ? base.errors : base.timeouts;
  const xc = metric === 'errorRate' ? cell.errors : cell.timeouts;
  const nb = base.count;
  const nc = cell.count;
  const rb = nb > 0 ? xb / nb : null;
  const rc = nc > 0 ? xc / nc : null;
  const common = {
    cell,
    metric,
    baseline: rb,
    candidate: rc,
    change: rb !== null && rc !== null ? rc - rb : null,
  };
  if (rb === null || rc === null) {
    return {
      ...common,
      test: null,
      untested: {
        verdict: 'inconclusive',
        reason: `no requests in ${rb === null ? 'the baseline' : 'this run'}`,
        changeLow: null,
        changeHigh: null,
      },
    };
  }
  if (xb + xc === 0) {
    return {
      ...common,
      test: null,
      untested: { verdict: 'unchanged', reason: 'none in either run', changeLow: 0, changeHigh: 0 },
    };
  }
  const floor: RateFloor = policy.floors[metric];
  const total = xb + xc;
  const share = nc / (nb + nc);
  // Newcombe's interval of a difference of two proportions (from Wilson intervals), at 1 − 2α
  const confidence = 1 - 2 * policy.alpha;
  const [lc, uc] = wilsonInterval(xc, nc, confidence);
  const [lb, ub] = wilsonInterval(xb, nb, confidence);
  const diff = rc - rb;
  const changeLow = diff - Math.sqrt((rc - lc) ** 2 + (ub - rb) ** 2);
  const changeHigh = diff + Math.sqrt((uc - rc) ** 2 + (rb - lb) ** 2);
  const worseBy = (from: number, to: number) => to >= floor.ratio * from && to - from >= floor.absolute;
  const text = `${formatRate(rb)} → ${formatRate(rc)} (${xb} of ${nb} → ${xc} of ${nc})`;
  const floorText = `×${floor.ratio} and +${formatRate(floor.absolute)}`;
  return {
    ...common,
    test: {
      pWorse: binomialUpperTail(xc, total, share),
      pBetter: binomialLowerTail(xc, total, share),
      decide(worseAdj, betterAdj): Decided {
        const bounds = { changeLow, changeHigh };
        if (worseAdj < policy.alpha && worseBy(rb, rc)) {
          return {
            ...bounds,
            verdict: 'regressed',
            reason: `${text}, beyond the floor ${floorText} (${fmtP(worseAdj)} after Holm)`,
          };
        }
        if (betterAdj < policy.alpha && worseBy(rc, rb)) {
          return { ...bounds, verdict: 'improved', reason: `${text} (${fmtP(betterAdj)} after Holm)` };
        }
        if (worseAdj >= policy.alpha && worseBy(rb, rb + Math.max(0, changeHigh))) {
          return {
            ...bounds,
            verdict: 'inconclusive',
            reason: `${text}: not significant, yet the interval reaches the floor ${floorText}`,
          };
        }
        return { ...bounds, verdict: 'unchanged', reason: `${text}, within the floor ${floorText}` };
      },
    },
  };
}

/** "p < 0.0001", "p = 0.012" */
function fmtP(p: number): string {
  return p < 0.0001 ? 'p < 0.0001' : `p = ${p.toPrecision(2)}`;
}

export function summaryLine(
  verdict: ComparisonVerdict,
  counts: Comparison['counts'],
  checks: number,
  metrics: readonly MetricComparison[],
  knees: Comparison['knees'],
): string {
  const moved = knees.filter((k) => k.moved === 'earlier' || k.moved === 'later').map((k) => k.headline);
  const tail = [
    `${checks} tests, Holm-corrected`,
    ...(counts.improved > 0 ? [`${counts.improved} improved`] : []),
    ...moved,
  ].join('; ');
  if (verdict === 'regressed') {
    const first = metrics
      .filter((m) => m.verdict === 'regressed')
      .slice(0, 2)
      .map((m) => m.reason);
    const more = counts.regressed - first.length;
    return `${counts.regressed} regressed: ${first.join('; ')}${more > 0 ? `; and ${more} more` : ''} (${tail})`;
  }
  if (verdict === 'inconclusive') {
    return `no regression found, ${counts.inconclusive} of ${metrics.length} comparisons inconclusive (${tail})`;
  }
  return `no regression in ${metrics.length} comparisons (${tail})`;
}

/** What decideVerdict (src/gate/verdict.ts) needs of a comparison. */
export function comparisonOutcome(comparison: Comparison): ComparisonOutcome {
  return {
    regressions: comparison.counts.regressed,
    inconclusive: comparison.counts.inconclusive,
    notComparable: comparison.verdict === 'not-comparable',
    ...(comparison.notComparable.length > 0
      ? { notComparableReason: comparison.notComparable.join('; ') }
      : {}),
  };
}
