import type { Baseline, BaselineCell, Comparability, PercentileMetric } from '../baseline/schema.ts';
import type { ComparisonOutcome } from '../gate/verdict.ts';
import { formatLevel, formatMs, formatRate } from '../report/format.ts';
import { historyRateShift, historyShift, type RunPercentile } from './history.ts';
import { seriesChangePoints } from './historyChangePoints.ts';
import { compareKnees, kneeLevelsOfCells, kneesOf } from './knee.ts';
import { DEFAULT_POLICY } from './policy.ts';
import type { ComparedMetric, Comparison, ComparisonVerdict, MetricComparison, Policy } from './schema.ts';
import {
  type Check,
  type Decided,
  PERCENTILE_METRICS,
  pct,
  percentileTest,
  RATE_METRICS,
  rateTest,
  signedPct,
} from './shiftTests.ts';
import { holmAdjust } from './stats.ts';

export type { Check, CheckCell, CheckDetail, Decided, ShiftEvidence } from './shiftTests.ts';
export { percentileTest, rateTest, runNoiseLogVariance, sameDirection } from './shiftTests.ts';

/**
 * The comparison of a run with a baseline, pure: per phase, level, request and metric, a
 * verdict that says "regressed" only when the change is both statistically significant
 * (one-sided, Holm-corrected across every test of the run) and of practical size: the estimate
 * itself beyond the floor, not merely its interval's far end (which called a true +5% against a
 * 10% floor regressed a quarter of the time). Improved mirrors it. Unchanged: the interval lies
 * inside ±floor, and (paired mode) the blocks did not all move one way. Otherwise inconclusive.
 *
 * Stored-baseline mode compares with a history of comparable stored runs (one record or more):
 * the median of each percentile and failure rate, and the noise their spread shows (history.ts).
 * Paired mode (paired.ts) builds the same checks from ABBA blocks.
 */
export interface CompareOptions {
  policy?: Policy;
  /** where the baseline came from, for the report: a file, a branch record, a cache key */
  baselineSource: string;
}

export const METRIC_WORDS: Record<ComparedMetric, string> = {
  p50Ms: 'p50',
  p95Ms: 'p95',
  p99Ms: 'p99',
  errorRate: 'error rate',
  timeoutRate: 'timeout rate',
};

/** Memory sizes in one class: a power of two apart or less (7 GiB and 8 GiB alike, 16 not). */
export function memoryClassGiB(memoryGiB: number): number {
  return 2 ** Math.round(Math.log2(Math.max(0.5, memoryGiB)));
}

/**
 * Why two runs cannot be compared (empty when they can), what differs without preventing it,
 * and whether the runner's CPU model differs. Runners compare by class: OS, architecture, CPU
 * count and memory class must match; another CPU model (hosted runners of one label come with
 * several generations) is noted and widens the noise (policy.cpuModelNoise), it does not refuse.
 */
export function comparabilityOf(
  baseline: Comparability,
  candidate: Comparability,
): { reasons: string[]; notes: string[]; cpuModelDiffers: boolean } {
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
  if (b.platform !== c.platform || b.arch !== c.arch) {
    reasons.push(`the runner is ${c.platform}/${c.arch}, the baseline's was ${b.platform}/${b.arch}`);
  }
  if (b.cpuCount !== c.cpuCount)
    reasons.push(`the runner has ${c.cpuCount} CPUs, the baseline's had ${b.cpuCount}`);
  if (b.memoryGiB !== undefined && c.memoryGiB !== undefined) {
    if (memoryClassGiB(b.memoryGiB) !== memoryClassGiB(c.memoryGiB)) {
      reasons.push(
        `the runner has ${c.memoryGiB.toFixed(0)} GiB of memory, the baseline's had ${b.memoryGiB.toFixed(0)} GiB (another memory class)`,
      );
    }
  }
  const cpuModelDiffers = b.cpuModel !== c.cpuModel;
  if (cpuModelDiffers) {
    notes.push(`the runner's CPU is ${c.cpuModel}, the baseline's was ${b.cpuModel}`);
  }
  return { reasons, notes, cpuModelDiffers };
}

/** Compares a run with one stored baseline record: a history of one. */
export function compareBaselines(
  baseline: Baseline,
  candidate: Baseline,
  options: CompareOptions,
): Comparison {
  return compareWithHistory([baseline], candidate, options);
}

/**
 * Compares a run with the stored runs of its series (newest first or in any order): those
 * comparable with it (same load, k6 and runner class) form the history; the newest names the
 * baseline. Per cell, change points in the series (history.ts, historyChangePoints.ts) are
 * reported, and a history that changed level is judged from its last level on.
 */
export function compareWithHistory(
  history: readonly Baseline[],
  candidate: Baseline,
  options: CompareOptions,
): Comparison {
  const policy = options.policy ?? DEFAULT_POLICY;
  const stored = [...history].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const judged = stored.map((h) => ({
    record: h,
    ...comparabilityOf(h.comparability, candidate.comparability),
  }));
  const comparable = judged.filter((j) => j.reasons.length === 0);
  const newest = (comparable[0] ?? judged[0])?.record;
  if (newest === undefined) throw new Error('compareWithHistory: no stored run to compare with');
  const model = candidate.comparability.loadModel;
  const header = {
    mode: 'stored-baseline' as const,
    baseline: {
      runId: newest.runId,
      startedAt: newest.startedAt,
      toolVersion: newest.tool.version,
      commit: newest.source.commit,
      source: options.baselineSource,
    },
    policy,
  };
  const notComparable = (reasons: string[], notes: string[]): Comparison => ({
    ...header,
    verdict: 'not-comparable',
    summary: `not comparable with the baseline: ${reasons.join('; ')}`,
    notComparable: reasons,
    notes,
    checks: 0,
    counts: { regressed: 0, improved: 0, unchanged: 0, inconclusive: 0 },
    metrics: [],
    knees: [],
  });
  const first = comparable[0];
  if (first === undefined) return notComparable(judged[0]?.reasons ?? [], judged[0]?.notes ?? []);
  const index = new Map(newest.cells.map((c) => [cellId(c), c]));
  const missing = candidate.cells.filter((c) => !index.has(cellId(c)));
  if (missing.length > 0) {
    const one = missing[0] as BaselineCell;
    return notComparable(
      [
        `the baseline lacks ${missing.length} of this run's (phase, level, request) slices, e.g. ${one.request} at ${formatLevel(one.level, model)} (${one.phase})`,
      ],
      first.notes,
    );
  }

  // oldest first: the order a series is read in
  const runs = comparable.map((j) => j.record).reverse();
  const cpuModelDiffers = comparable.some((j) => j.cpuModelDiffers);
  const { changePoints, since } = seriesChangePoints(runs, candidate, policy);
  const used: Policy = runs.length >= 2 ? { ...policy, runNoiseSource: 'history' } : policy;
  const checks: Check[] = [];
  for (const cell of candidate.cells) {
    const id = cellId(cell);
    const cells = runs.map((r) => r.cells.find((c) => cellId(c) === id));
    for (const metric of PERCENTILE_METRICS) {
      const from = since.get(`${id}\u0000${metric}`) ?? 0;
      checks.push(historyPercentileCheck(cells.slice(from), cell, metric, policy, cpuModelDiffers));
    }
    for (const metric of RATE_METRICS) checks.push(historyRateCheck(cells, cell, metric, policy));
  }
  const { metrics, counts, verdict, tests } = judge(checks, model);
  const knees = compareKnees(
    kneesOf(kneeLevelsOfCells(newest.cells), policy.knee),
    kneesOf(kneeLevelsOfCells(candidate.cells), policy.knee),
    model,
  );
  const slower = changePoints.filter((c) => c.change > 0);
  const notes = [
    ...new Set(comparable.flatMap((j) => j.notes)),
    historyNote(runs.length, stored.length - comparable.length, policy),
    noiseNote(used),
    ...(cpuModelDiffers
      ? [
          `another CPU model than the baseline's: ${pct(policy.cpuModelNoise ?? 0)} of run-to-run noise added (another CPU generation of the same runner class)`,
        ]
      : []),
    ...changePointNotes(changePoints, model),
  ];
  const summary = summaryLine(verdict, counts, tests, metrics, knees);
  return {
    ...header,
    policy: used,
    verdict,
    summary:
      slower.length > 0
        ? `${summary}; the series changed level: ${describeChangePoint(slower[0] as (typeof slower)[0], model)}${slower.length > 1 ? ` and ${slower.length - 1} more` : ''}`
        : summary,
    notComparable: [],
    notes,
    checks: tests,
    counts,
    metrics,
    knees,
    historyRecords: runs.length,
    changePoints,
  };
}

function historyNote(records: number, skipped: number, policy: Policy): string {
  const left = skipped > 0 ? `; ${skipped} stored runs of another load, k6 or runner class left out` : '';
  if (records <= 1) return `compared with one stored run${left}`;
  return `compared with the median of the last ${records} comparable stored runs, their noise from their spread weighed against the assumed noise as ${policy.noisePriorRuns ?? 3} runs${left}`;
}

function changePointNotes(points: Comparison['changePoints'], model: Baseline['comparability']['loadModel']) {
  if (!points || points.length === 0) return [];
  return [
    `change points in the stored series: ${points.map((c) => describeChangePoint(c, model)).join('; ')}`,
  ];
}

export function describeChangePoint(
  c: NonNullable<Comparison['changePoints']>[number],
  model: Baseline['comparability']['loadModel'],
): string {
  const commit = c.commit ? ` (commit ${c.commit.slice(0, 12)})` : '';
  return `${METRIC_WORDS[c.metric]} of ${c.request} at ${formatLevel(c.level, model)} (${c.phase}) moved ${signedPct(c.change)} (${formatMs(c.beforeMs)} → ${formatMs(c.afterMs)} ms) at run ${c.runId}${commit}, p = ${c.pValue.toPrecision(2)}`;
}

/**
 * Holm's correction across every test of the run (worse and better each a family), at `level`
 * (α, or the share of α this look of a sequential check may spend), then each check's verdict;
 * the run's comparison verdict: regressed if any metric regressed, else inconclusive if any was,
 * else pass. A non-finite p-value is an error, never a silent NaN.
 */
export function judge(
  checks: readonly Check[],
  model: Baseline['comparability']['loadModel'],
): {
  metrics: MetricComparison[];
  counts: Comparison['counts'];
  verdict: ComparisonVerdict;
  tests: number;
  undecided: number;
} {
  const tested = checks.filter((c) => c.test !== null);
  const worseAdj = holmAdjust(tested.map((c) => c.test?.pWorse ?? 1));
  const betterAdj = holmAdjust(tested.map((c) => c.test?.pBetter ?? 1));
  const adjusted = new Map(
    tested.map((c, i) => [c, { worse: worseAdj[i] as number, better: betterAdj[i] as number }]),
  );
  let undecided = 0;
  const metrics: MetricComparison[] = checks.map((check) => {
    const adj = adjusted.get(check);
    const decided =
      check.test && adj ? check.test.decide(adj.worse, adj.better) : (check.untested as Decided);
    if (decided.undecided) undecided++;
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
      pWorse: check.test ? check.test.pWorse : null,
      pWorseAdjusted: adj ? adj.worse : null,
      pBetter: check.test ? check.test.pBetter : null,
      pBetterAdjusted: adj ? adj.better : null,
      verdict: decided.verdict,
      reason: `${where}: ${decided.reason}`,
      ...(check.detail ?? {}),
    };
  });
  const counts = { regressed: 0, improved: 0, unchanged: 0, inconclusive: 0 };
  for (const m of metrics) counts[m.verdict]++;
  const verdict: ComparisonVerdict =
    counts.regressed > 0 ? 'regressed' : counts.inconclusive > 0 ? 'inconclusive' : 'pass';
  return { metrics, counts, verdict, tests: tested.length, undecided };
}

function cellId(cell: Pick<BaselineCell, 'phase' | 'levelIndex' | 'request'>): string {
  return `${cell.phase}\u0000${cell.levelIndex}\u0000${cell.request}`;
}

export function noiseNote(policy: Policy): string {
  const n = policy.runNoise;
  const ms = policy.runNoiseMs;
  const part = (m: PercentileMetric) =>
    `${m.replace('Ms', '')} ${pct(n[m])}${ms && ms[m] > 0 ? ` + ${ms[m]} ms` : ''}`;
  const values = PERCENTILE_METRICS.map(part).join(', ');
  switch (policy.runNoiseSource) {
    case 'paired':
      return 'paired runs: the runner’s speed cancels in each pair';
    case 'calibrated':
      return `run-to-run noise measured by loadgate calibrate: ${values}`;
    case 'history':
      return `run-to-run noise from the stored runs' spread, shrunk toward the assumed ${values}`;
    case 'default':
      return `run-to-run noise assumed, not measured: ${values} (loadgate calibrate measures it on this runner)`;
  }
}

/** A percentile of a run against the same cell's percentile in its stored history. */
function historyPercentileCheck(
  history: readonly (BaselineCell | undefined)[],
  cell: BaselineCell,
  metric: PercentileMetric,
  policy: Policy,
  cpuModelDiffers: boolean,
): Check {
  const c = cell[metric];
  const min = policy.minTailSamples;
  const usable: RunPercentile[] = [];
  let summaryOnly = 0;
  let thin = 0;
  for (const h of history) {
    const p = h?.[metric];
    if (!p) continue;
    if (p.logSe === null) summaryOnly++;
    else if (p.tailSamples < min) thin++;
    else usable.push({ estimateMs: p.estimateMs, logSe: p.logSe });
  }
  const newest = history.at(-1)?.[metric] ?? null;
  const common = { cell, metric, baseline: newest?.estimateMs ?? null, candidate: c?.estimateMs ?? null };
  const untested = (reason: string, change: number | null = null): Check => ({
    ...common,
    change,
    test: null,
    untested: { verdict: 'inconclusive', reason, changeLow: null, changeHigh: null },
  });
  if (c === null || newest === null) {
    return untested(
      c === null && newest === null
        ? 'measured in neither run'
        : `not measured in ${newest === null ? 'the baseline' : 'this run'}`,
    );
  }
  const rough = common.baseline && common.baseline > 0 ? c.estimateMs / common.baseline - 1 : null;
  if (c.logSe === null || (usable.length === 0 && summaryOnly > 0)) {
    return untested('no per-request samples, so no spread to test with (k6 summary only)', rough);
  }
  if (c.tailSamples < min || usable.length === 0) {
    const q = METRIC_WORDS[metric];
    const stored = thin > 0 ? Math.floor(newest.tailSamples) : 0;
    return untested(
      `too few samples beyond ${q} to judge it: ${stored} in the baseline, ${Math.floor(c.tailSamples)} here (at least ${min} needed; longer levels give more)`,
      rough,
    );
  }
  const shift = historyShift(usable, { estimateMs: c.estimateMs, logSe: c.logSe }, metric, policy, {
    cpuModelDiffers,
  });
  return percentileTest(
    { ...common, baseline: shift.referenceMs },
    { d: shift.d, se: shift.se, df: shift.df, units: shift.records, signs: null },
    policy,
  );
}

/** A failure rate of a run against its history. */
function historyRateCheck(
  history: readonly (BaselineCell | undefined)[],
  cell: BaselineCell,
  metric: (typeof RATE_METRICS)[number],
  policy: Policy,
): Check {
  const of = (c: Pick<BaselineCell, 'errors' | 'timeouts' | 'count'>) => ({
    events: metric === 'errorRate' ? c.errors : c.timeouts,
    count: c.count,
  });
  const stored = history.filter((h): h is BaselineCell => h !== undefined).map(of);
  const here = of(cell);
  const newest = stored.at(-1);
  const rb = newest && newest.count > 0 ? newest.events / newest.count : null;
  const rc = here.count > 0 ? here.events / here.count : null;
  const common = { cell, metric, baseline: rb, candidate: rc };
  if (rb === null || rc === null) {
    return {
      ...common,
      change: null,
      test: null,
      untested: {
        verdict: 'inconclusive',
        reason: `no requests in ${rb === null ? 'the baseline' : 'this run'}`,
        changeLow: null,
        changeHigh: null,
      },
    };
  }
  const shift = historyRateShift(stored, here, policy);
  if (shift === null) return noFailures(common, stored.length > 1 ? 'none in any run' : 'none in either run');
  const text = `${formatRate(shift.referenceRate)} → ${formatRate(rc)} (${stored.length > 1 ? `median of ${stored.length} runs` : `${newest?.events} of ${newest?.count}`} → ${here.events} of ${here.count})`;
  return rateTest(
    { ...common, baseline: shift.referenceRate },
    { d: shift.d, se: shift.se, df: shift.df, units: shift.records, signs: null },
    policy,
    text,
  );
}

/** No failure on either side: unchanged, nothing to test. */
export function noFailures(
  common: Pick<Check, 'cell' | 'metric' | 'baseline' | 'candidate'>,
  reason: string,
): Check {
  return {
    ...common,
    change: 0,
    test: null,
    untested: { verdict: 'unchanged', reason, changeLow: 0, changeHigh: 0 },
  };
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
