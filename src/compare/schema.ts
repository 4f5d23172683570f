import { z } from 'zod';

/**
 * result.json's `comparison`: a run against a baseline, per metric, level and phase, with the
 * policy it was judged by. Imports nothing but zod, so result/schema.ts can embed it.
 */

export const COMPARED_METRICS = ['p50Ms', 'p95Ms', 'p99Ms', 'errorRate', 'timeoutRate'] as const;
export const ComparedMetricSchema = z.enum(COMPARED_METRICS);
export type ComparedMetric = z.infer<typeof ComparedMetricSchema>;

export const MetricVerdictSchema = z.enum(['regressed', 'improved', 'unchanged', 'inconclusive']);
export type MetricVerdict = z.infer<typeof MetricVerdictSchema>;

/** The comparison's own verdict; result.json's verdict combines it with the gate's. */
export const ComparisonVerdictSchema = z.enum(['pass', 'regressed', 'inconclusive', 'not-comparable']);
export type ComparisonVerdict = z.infer<typeof ComparisonVerdictSchema>;

const share = z.number().min(0).max(1);
const p = share.nullable().describe('a one-sided p-value; null where no test was made');

export const RateFloorSchema = z.object({
  /** the candidate's rate must be at least this many times the baseline's */
  ratio: z.number().min(1),
  /** and at least this much higher, as a share of requests (0.001 = 0.1 percentage points) */
  absolute: share,
});
export type RateFloor = z.infer<typeof RateFloorSchema>;

export const PolicySchema = z.object({
  /** family-wise false-alarm rate across all the checks of the run (Holm) */
  alpha: z.number().gt(0).lt(0.5),
  /** practical floors: smaller changes are never a regression; percentiles as a relative change */
  floors: z.object({
    p50Ms: z.number().positive(),
    p95Ms: z.number().positive(),
    p99Ms: z.number().positive(),
    /** a percentile that moved by less than this many milliseconds never regressed (absent: none) */
    latencyMs: z.number().nonnegative().optional(),
    errorRate: RateFloorSchema,
    timeoutRate: RateFloorSchema,
  }),
  /** a percentile with fewer samples beyond it (count × (1 − q)) in either run is not compared */
  minTailSamples: z.number().nonnegative(),
  /**
   * run-to-run noise of each percentile beyond its sampling error: the standard deviation of
   * ln(candidate / baseline) between two runs of the same code (0 in paired mode, where pairs
   * cancel it)
   */
  runNoise: z.object({
    p50Ms: z.number().nonnegative(),
    p95Ms: z.number().nonnegative(),
    p99Ms: z.number().nonnegative(),
  }),
  /**
   * the absolute part of the run-to-run noise, in milliseconds (the standard deviation of
   * candidate − baseline beyond sampling): a scheduler's fraction of a millisecond is a large share
   * of a 2 ms endpoint and none of a 200 ms one. Added to runNoise on the log scale; absent in
   * results written before it existed (then none)
   */
  runNoiseMs: z
    .object({
      p50Ms: z.number().nonnegative(),
      p95Ms: z.number().nonnegative(),
      p99Ms: z.number().nonnegative(),
    })
    .optional(),
  /** where runNoise came from: an assumed default, `loadgate calibrate`, or a baseline history */
  runNoiseSource: z.enum(['default', 'calibrated', 'history', 'paired']),
  /** with runNoiseSource 'history': the percentiles the history measured; the others are the defaults */
  runNoiseMeasured: z.array(z.enum(['p50Ms', 'p95Ms', 'p99Ms'])).optional(),
  /**
   * stored baselines: how many runs the assumed noise is worth when a history measures its own
   * (the history's variance is shrunk toward the assumed one with this weight; its t test has at
   * least this many degrees of freedom). Absent in results written before it existed
   */
  noisePriorRuns: z.number().positive().optional(),
  /**
   * stored baselines: the assumed overdispersion of failure counts between runs (variance ÷ the
   * binomial's): failures come in bursts, so a run's count varies like that of bursts, not of
   * independent requests. A history measures its own, shrunk toward this
   */
  rateDispersion: z.number().min(1).optional(),
  /**
   * stored baselines: run-to-run noise (sd of ln ratio) added when the runner's CPU model differs
   * from the baseline's: another CPU generation of the same runner class
   */
  cpuModelNoise: z.number().nonnegative().optional(),
  /** paired mode: how α is spent over the looks at its blocks (src/compare/sequential.ts) */
  spending: z.enum(['pocock', 'obrien-fleming']).optional(),
  /**
   * stored series: the p-value below which a change point is reported (Hunter's test), per run:
   * split over the series searched (each cell's p50 and p95)
   */
  changePointP: z.number().gt(0).lt(1).optional(),
  knee: z.object({
    /**
     * past the knee, throughput stops growing while the p95 weighted by each request's share of
     * traffic rises to at least this factor of the lowest level's (src/compare/knee.ts)
     */
    p95Factor: z.number().gt(1),
    /** and its share of failed requests stays under this */
    maxErrorRate: share,
  }),
});
export type Policy = z.infer<typeof PolicySchema>;

export const MetricComparisonSchema = z.object({
  phase: z.string(),
  levelIndex: z.number().int().nonnegative(),
  level: z.number().positive(),
  request: z.string(),
  metric: ComparedMetricSchema,
  /** the baseline's and this run's value (ms or a share); null where not measured */
  baseline: z.number().nullable(),
  candidate: z.number().nullable(),
  /** percentiles: candidate / baseline − 1; rates: candidate − baseline; null when not computed */
  change: z.number().nullable(),
  /** the interval of `change` at 1 − 2α (the two one-sided bounds); null when not tested */
  changeLow: z.number().nullable(),
  changeHigh: z.number().nullable(),
  /** one-sided p-values, raw and Holm-adjusted across the run's checks */
  pWorse: p,
  pWorseAdjusted: p,
  pBetter: p,
  pBetterAdjusted: p,
  verdict: MetricVerdictSchema,
  /** one line a person reads */
  reason: z.string(),
  /** degrees of freedom of the test's Student's t; null for the normal; absent before they were recorded */
  df: z.number().positive().nullable().optional(),
  /** what the test rests on: valid ABBA blocks (paired) or stored runs (history) */
  units: z.number().int().nonnegative().nullable().optional(),
  /**
   * the smallest change this check resolves (the interval's half-width at α): a share for
   * percentiles, a difference of shares for rates
   */
  resolution: z.number().nonnegative().nullable().optional(),
  /** every block moved the same way: the candidate worse (or better) in each */
  sameDirection: z.enum(['worse', 'better']).nullable().optional(),
});
export type MetricComparison = z.infer<typeof MetricComparisonSchema>;

export const KneeSchema = z.object({
  phase: z.string(),
  /** the highest level up to which every level stays within the knee's limits; null if even the lowest fails */
  baseline: z.number().nullable(),
  candidate: z.number().nullable(),
  /** the ladder never bent: the knee is at or beyond the highest level measured */
  baselineBeyondTop: z.boolean(),
  candidateBeyondTop: z.boolean(),
  moved: z.enum(['earlier', 'later', 'same', 'unknown']),
  /** "the knee moved from 8 to 4 VUs" */
  headline: z.string(),
});
export type KneeComparison = z.infer<typeof KneeSchema>;

/** A change point in a series of stored runs (E-divisive means, Hunter's test). */
export const ChangePointReportSchema = z.object({
  phase: z.string(),
  levelIndex: z.number().int().nonnegative(),
  level: z.number().positive(),
  request: z.string(),
  metric: z.enum(['p50Ms', 'p95Ms', 'p99Ms']),
  /** the first run after the change (the run being judged when it is the last one) */
  runId: z.string(),
  startedAt: z.string(),
  commit: z.string().nullable(),
  /** the medians before and after it, ms */
  beforeMs: z.number().nonnegative(),
  afterMs: z.number().nonnegative(),
  /** after / before − 1 */
  change: z.number(),
  /** Hunter's t test of the two sides */
  pValue: z.number().min(0).max(1),
});
export type ChangePointReport = z.infer<typeof ChangePointReportSchema>;

export const ComparisonSchema = z.object({
  /** stored-baseline: against a saved run (runner noise assumed); paired: base and candidate alternated */
  mode: z.enum(['stored-baseline', 'paired']),
  baseline: z.object({
    runId: z.string(),
    startedAt: z.string(),
    toolVersion: z.string(),
    commit: z.string().nullable(),
    /** where it was read from: a file, a branch record, a cache key */
    source: z.string(),
  }),
  verdict: ComparisonVerdictSchema,
  /** one line saying why */
  summary: z.string(),
  /** why the runs cannot be compared; empty when they can */
  notComparable: z.array(z.string()),
  /** differences that do not prevent a comparison, and the noise assumed */
  notes: z.array(z.string()),
  policy: PolicySchema,
  /** tests made, the family Holm's correction spans */
  checks: z.number().int().nonnegative(),
  counts: z.object({
    regressed: z.number().int().nonnegative(),
    improved: z.number().int().nonnegative(),
    unchanged: z.number().int().nonnegative(),
    inconclusive: z.number().int().nonnegative(),
  }),
  metrics: z.array(MetricComparisonSchema),
  knees: z.array(KneeSchema),
  /** what the comparison found beside the verdicts, e.g. a candidate that costs more CPU */
  findings: z.array(z.string()).optional(),
  /** paired mode: which look at the blocks this is, and the α it tested at */
  looks: z
    .object({
      look: z.number().int().positive(),
      looks: z.number().int().positive(),
      alpha: z.number().gt(0).lt(1),
      spending: z.enum(['pocock', 'obrien-fleming']),
    })
    .optional(),
  /** stored baselines: the comparable stored runs the baseline was taken from (1: a single record) */
  historyRecords: z.number().int().nonnegative().optional(),
  /** change points in the stored series, this run last */
  changePoints: z.array(ChangePointReportSchema).optional(),
});
export type Comparison = z.infer<typeof ComparisonSchema>;
