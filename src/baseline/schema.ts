import { z } from 'zod';

/**
 * A baseline: one complete run, reduced to what a later run is compared with. Per phase, level
 * and request: the latency percentiles with their spread (a bootstrap over the run's requests)
 * and the error and timeout counts; and the facts that make two runs comparable at all.
 * Versioned: a reader refuses a version it does not know instead of guessing.
 */
export const BASELINE_VERSION = 1;

/** The percentiles a baseline keeps, by result.json's field name and as a quantile. */
export const PERCENTILES = [
  { metric: 'p50Ms', q: 0.5 },
  { metric: 'p95Ms', q: 0.95 },
  { metric: 'p99Ms', q: 0.99 },
] as const;
export type PercentileMetric = (typeof PERCENTILES)[number]['metric'];

const nonNegative = z.number().nonnegative();

export const PercentileSchema = z.object({
  /** nearest-rank percentile of the per-request samples (k6's own summary interpolates) */
  estimateMs: nonNegative,
  /**
   * standard error of ln(estimate) over the bootstrap replicates; null when only k6's summary
   * was available (no per-request samples): such a value is shown, never tested
   */
  logSe: nonNegative.nullable(),
  /** the bootstrap's 95% interval; null with logSe */
  ciLowMs: nonNegative.nullable(),
  ciHighMs: nonNegative.nullable(),
  /** samples beyond the percentile, count × (1 − q): a tail judged from fewer than 20 is not compared */
  tailSamples: nonNegative,
});
export type Percentile = z.infer<typeof PercentileSchema>;

export const BaselineCellSchema = z.object({
  phase: z.string(),
  /** position in the phase's ladder, from 0 */
  levelIndex: z.number().int().nonnegative(),
  /** VUs (closed model) or arrivals per second (open model) */
  level: z.number().positive(),
  request: z.string(),
  durationS: nonNegative,
  droppedIterations: z.number().int().nonnegative(),
  /** requests measured (k6's summary) */
  count: z.number().int().nonnegative(),
  /** per-request latency samples behind the percentiles; 0 when only the summary was read */
  samples: z.number().int().nonnegative(),
  /** null where nothing was measured */
  p50Ms: PercentileSchema.nullable(),
  p95Ms: PercentileSchema.nullable(),
  p99Ms: PercentileSchema.nullable(),
  /** failed requests of every kind */
  errors: z.number().int().nonnegative(),
  timeouts: z.number().int().nonnegative(),
});
export type BaselineCell = z.infer<typeof BaselineCellSchema>;

export const RunnerSchema = z.object({
  /** logical CPUs (os.availableParallelism) */
  cpuCount: z.number().int().positive(),
  /** os.cpus()[0].model, trimmed */
  cpuModel: z.string(),
  platform: z.string(),
  arch: z.string(),
  /**
   * total memory, GiB (os.totalmem); runners compare by its class (a power of two apart or
   * less). Absent in baselines written before it was recorded: then not compared
   */
  memoryGiB: z.number().positive().optional(),
});
export type Runner = z.infer<typeof RunnerSchema>;

/** What must be equal for two runs to be compared; see comparabilityOf in src/compare/compare.ts. */
export const ComparabilitySchema = z.object({
  /**
   * hash of what shapes the load k6 sends (the config's `load` and every other top-level section
   * except service, dependencies and gate): a different ladder is a different experiment
   */
  loadHash: z.string(),
  /** hash of the whole normalized config: a difference outside the load is noted, not refused */
  configHash: z.string(),
  k6Version: z.string(),
  loadModel: z.enum(['closed', 'open']),
  runner: RunnerSchema,
});
export type Comparability = z.infer<typeof ComparabilitySchema>;

export const BaselineSchema = z.object({
  baselineVersion: z.literal(BASELINE_VERSION),
  tool: z.object({ name: z.literal('loadgate'), version: z.string() }),
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** where the run came from, when known (GITHUB_SHA, GITHUB_REF): for histories and reports */
  source: z.object({ commit: z.string().nullable(), ref: z.string().nullable() }),
  comparability: ComparabilitySchema,
  /** how the spreads were computed */
  statistics: z.object({
    method: z.enum(['bootstrap-requests', 'summary-only']),
    replicates: z.number().int().nonnegative(),
  }),
  cells: z.array(BaselineCellSchema),
});
export type Baseline = z.infer<typeof BaselineSchema>;
