import { z } from 'zod';
import { ChangePointReportSchema, ComparisonSchema } from '../compare/schema.ts';

/**
 * result.json: what one run measured, per phase, level and request. Versioned; its JSON
 * Schema (schemas/result.schema.json) is generated from this file, never written by hand.
 */
export const RESULT_SCHEMA_VERSION = 1;

const rate = z.number().min(0).max(1).describe('a share of requests, 0..1');
const ms = z.number().nonnegative().nullable().describe('milliseconds; null where nothing was measured');

export const RequestResultSchema = z.object({
  name: z.string(),
  count: z.number().int().nonnegative(),
  throughputRps: z.number().nonnegative(),
  p50Ms: ms,
  p90Ms: ms,
  p95Ms: ms,
  p99Ms: ms,
  maxMs: ms,
  /** every failed request: timeouts + connection errors + 5xx + 4xx (+ other failures) */
  errorRate: rate,
  timeoutRate: rate,
  connectionErrorRate: rate,
  http5xxRate: rate,
  http4xxRate: rate,
});
export type RequestResult = z.infer<typeof RequestResultSchema>;

export const ProbeResultSchema = z.object({ p95Ms: ms });
const count = z.number().int().nonnegative().nullable().describe('a count; null where nothing was measured');
/**
 * The service's connection pool during the level, from its own metrics (see src/metrics): a
 * wait histogram gives waitP95Ms, a summary or a sum and count only waitMeanMs. peakDbConnections
 * comes from the Postgres sampler, else from the pool's open-connections gauge.
 */
export const PoolResultSchema = z.object({
  waitP95Ms: ms,
  waitMeanMs: ms,
  timeouts: count,
  peakDbConnections: count,
  /** the most callers waiting for a connection at once (a gauge sampled during the level) */
  peakWaiting: count.optional(),
  /** connections checked out: the most, and the mean, of the samples taken during the level */
  peakInUse: count.optional(),
  meanInUse: z.number().nonnegative().nullable().optional(),
  /** the pool's metrics read ("loadgate-demo", "hikaricp", … or "custom"); absent: none */
  source: z.string().optional(),
});
/** pg_stat_activity sampled during the level, and the connections the server refused. */
export const DbResultSchema = z.object({
  peakConnections: count,
  peakLockWaits: count,
  peakIdleInTransaction: count,
  refusedConnections: count,
});
export type DbResult = z.infer<typeof DbResultSchema>;

/** CPU use during the level: the service container's (the engine's stats API) and the runner's. */
export const CpuResultSchema = z.object({
  /** the service's mean CPU use in cores (1.0 = one core busy all along); null: not read */
  serviceCores: z.number().nonnegative().nullable(),
  /** the share of the runner's CPU time that was busy (k6, and local containers), 0..1; null: not read */
  runnerBusyShare: rate.nullable(),
  /** the runner's logical CPUs */
  runnerCores: z.number().int().positive(),
});
export type CpuResult = z.infer<typeof CpuResultSchema>;

export const LoadModelSchema = z.enum(['closed', 'open']);
export type LoadModel = z.infer<typeof LoadModelSchema>;

export const LevelResultSchema = z.object({
  phase: z.string(),
  /** concurrency (VUs) in the closed model, arrival rate (requests/s) in the open one */
  level: z.number().positive(),
  durationS: z.number().nonnegative(),
  /** open model: iterations k6 could not start because every VU was busy */
  droppedIterations: z.number().int().nonnegative(),
  requests: z.array(RequestResultSchema),
  probe: ProbeResultSchema,
  pool: PoolResultSchema,
  /** the database's side (Postgres sampler); null or absent: not sampled */
  db: DbResultSchema.nullable().optional(),
  /** CPU use during the level; null or absent: not sampled */
  cpu: CpuResultSchema.nullable().optional(),
});
export type LevelResult = z.infer<typeof LevelResultSchema>;

export const VerdictSchema = z.enum(['pass', 'fail', 'regressed', 'inconclusive', 'not-comparable', 'error']);
export type Verdict = z.infer<typeof VerdictSchema>;

export const BreachSchema = z.object({
  metric: z.string(),
  phase: z.string(),
  level: z.number(),
  request: z.string(),
  limit: z.number(),
  actual: z.number().nullable(),
  /** one line a person reads: what crossed which limit, where */
  reason: z.string(),
});
export type Breach = z.infer<typeof BreachSchema>;

export const TrendSchema = z.object({
  /** where the history came from: a store and series */
  source: z.string(),
  /** the phase and level charted: the first phase's highest level, where a slower build shows first */
  phase: z.string(),
  levelIndex: z.number().int().nonnegative(),
  level: z.number().positive(),
  /** the requests charted, in the run's order */
  requests: z.array(z.string()),
  /** oldest first; the last is this run */
  points: z.array(
    z.object({
      runId: z.string(),
      startedAt: z.string(),
      commit: z.string().nullable(),
      /** p95 per request, in `requests` order; null where that run did not measure it */
      p95Ms: z.array(z.number().nonnegative().nullable()),
    }),
  ),
  /** stored runs left out because they cannot be compared with this one (another load, k6, runner) */
  skipped: z.number().int().nonnegative(),
  /**
   * where the series changed level (E-divisive means, Hunter's test; every cell's p50 and p95):
   * a slower build that became the baseline is reported, not taken silently. Absent in results
   * written before change points were searched
   */
  changePoints: z.array(ChangePointReportSchema).optional(),
});
export type Trend = z.infer<typeof TrendSchema>;

/** How a distributed run was put together from its runners' parts (`loadgate merge`). */
export const MergedSchema = z.object({
  /** runners in the run (N): runner i ran k6's execution segment (i−1)/N:i/N of every level */
  segments: z.number().int().positive(),
  /** counts add up over the parts; percentiles are k6's over the union of every part's samples */
  method: z.literal('union-of-samples'),
  /** seconds a part's start may lie from the others' */
  maxSkewS: z.number().nonnegative(),
  /** seconds between the first and the last start of the parts used; null when none started */
  skewS: z.number().nonnegative().nullable(),
  parts: z.array(
    z.object({
      /** "i/N" */
      segment: z.string(),
      /** the part's manifest, as given */
      where: z.string(),
      runId: z.string().nullable(),
      startedAt: z.string().nullable(),
      /** in the figures; a part that started too far from the others is left out */
      used: z.boolean(),
      /** why it was left out or is partial; null when neither */
      note: z.string().nullable(),
    }),
  ),
  /** the segments no part was found for, "i/N" */
  missing: z.array(z.string()),
  /** why the run is partial, one line each; empty when it is complete */
  partialReasons: z.array(z.string()),
});
export type Merged = z.infer<typeof MergedSchema>;

export const ResultSchema = z.object({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('loadgate'), version: z.string() }),
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** true when the run was cancelled or failed part-way: never a baseline */
  partial: z.boolean(),
  verdict: VerdictSchema,
  /** one line saying why the verdict is what it is */
  summary: z.string(),
  k6Version: z.string(),
  loadModel: LoadModelSchema,
  configHash: z.string(),
  probeIdleP95Ms: ms,
  phases: z.array(
    z.object({
      name: z.string(),
      /** seconds from the end of the fault until p95 and errors were back in the clean band; null: not recovered (or not measured) */
      recoverySeconds: z.number().nonnegative().nullable(),
      /** whether recoverySeconds was judged: a fault-free phase right after one with faults */
      recoveryMeasured: z.boolean().optional(),
      /** the faults this phase applied, one line each (e.g. "upstream: latency 780 ms ± 20 ms"); none: a clean phase */
      faults: z.array(z.string()).optional(),
    }),
  ),
  levels: z.array(LevelResultSchema),
  gate: z.object({
    checked: z.number().int().nonnegative(),
    breaches: z.array(BreachSchema),
    /** a user script's own k6 thresholds that were crossed (k6 exit 99), each `metric: expression`: the run fails */
    scriptThresholdsCrossed: z.array(z.string()).optional(),
  }),
  /** the comparison with a baseline (src/compare); absent when the run was not compared */
  comparison: ComparisonSchema.optional(),
  /** the stored history of this run's series with this run last, for a trend chart (src/baseline/trend.ts) */
  trend: TrendSchema.optional(),
  /** a run merged from the parts of several runners; absent for a run of one */
  merged: MergedSchema.optional(),
  /** output files, relative to the output folder */
  files: z.object({
    report: z.string(),
    k6Summary: z.string(),
    k6Log: z.string(),
    logsDir: z.string(),
  }),
});
export type Result = z.infer<typeof ResultSchema>;
