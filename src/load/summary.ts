import { z } from 'zod';
import {
  FAILURE_METRIC,
  K6_REQUEST_TIMEOUT_CODE,
  type LadderPlan,
  OUTCOMES,
  type Outcome,
  type PlanScenario,
  submetric,
  timelineSubmetric,
  USER_SCRIPT_5XX_STATUSES,
} from '../../k6-scripts/contract.ts';
import { InfraError } from '../errors.ts';
import type { LevelResult, RequestResult } from '../result/schema.ts';
import { ALL_REQUESTS } from './plan.ts';

/** What the load itself measured for one phase and level (the probe included); pool comes from elsewhere. */
export type LevelLoadResult = Pick<
  LevelResult,
  'phase' | 'level' | 'durationS' | 'droppedIterations' | 'requests' | 'probe'
>;

/**
 * The part of k6's handleSummary data loadgate reads (k6 v2, default summary mode): metrics
 * keyed by name or submetric selector, each with the values its type has. A stat k6 cannot
 * compute (NaN) arrives as null.
 */
const K6MetricSchema = z.object({
  type: z.enum(['counter', 'gauge', 'rate', 'trend']),
  contains: z.string(),
  values: z.record(z.string(), z.number().nullable()),
  /** each threshold expression of the metric and whether it held */
  thresholds: z.record(z.string(), z.object({ ok: z.boolean() })).optional(),
});
export const K6SummarySchema = z.object({
  metrics: z.record(z.string(), K6MetricSchema),
  state: z.object({ testRunDurationMs: z.number() }).optional(),
});
export type K6Summary = z.infer<typeof K6SummarySchema>;

/**
 * Turns the ladder's handleSummary JSON (as text) into one result per measured (phase, level),
 * in plan order. A file that is not JSON, not shaped like k6's summary, or lacks a submetric the
 * plan declares throws InfraError naming what is wrong.
 */
export function parseLadderSummary(text: string, plan: LadderPlan): LevelLoadResult[] {
  const read = reader(readSummary(text));
  const names: (string | null)[] = plan.requestNames.length > 0 ? plan.requestNames : [null];
  return plan.scenarios
    .filter((s) => s.measured)
    .map((s) => ({
      phase: s.phase,
      level: s.level,
      durationS: s.durationS,
      droppedIterations: read.value(submetric('dropped_iterations', s.name, null), 'count'),
      requests: names.map((req) => requestResult(read, plan, s, req)),
      probe: { p95Ms: probeP95Ms(read, plan, s.phase, s.levelIndex) },
    }));
}

/** One measured level, all its requests together: the band recovery is judged against. */
export interface LevelTotals {
  phase: string;
  levelIndex: number;
  level: number;
  count: number;
  p95Ms: number | null;
  p99Ms: number | null;
  errorRate: number;
}

/** One time slice of a phase's timeline (see PlanTimeline); startS counts from the phase's start. */
export interface TimelineBucket {
  index: number;
  startS: number;
  count: number;
  p95Ms: number | null;
  failed: number;
}

export interface LadderExtras {
  /** the idle probe's p95; null when none ran or nothing answered */
  probeIdleP95Ms: number | null;
  levelTotals: LevelTotals[];
  timelines: { phase: string; bucketS: number; buckets: TimelineBucket[] }[];
}

/**
 * What the ladder measured beside the per-request results: the idle probe, each level's totals
 * over all requests, and the time series of the phases with a timeline. Throws like
 * parseLadderSummary.
 */
export function parseLadderExtras(text: string, plan: LadderPlan): LadderExtras {
  const read = reader(readSummary(text));
  const idle = plan.probe?.scenarios.find((p) => p.phase === null);
  return {
    probeIdleP95Ms: idle ? read.ms(submetric('http_req_duration', idle.name, null), 'p(95)') : null,
    levelTotals: plan.scenarios
      .filter((s) => s.measured)
      .map((s) => {
        const failed = read.metric(submetric('http_req_failed', s.name, null)).values;
        const duration = submetric('http_req_duration', s.name, null);
        return {
          phase: s.phase,
          levelIndex: s.levelIndex,
          level: s.level,
          count: read.value(duration, 'count'),
          p95Ms: read.ms(duration, 'p(95)'),
          p99Ms: read.ms(duration, 'p(99)'),
          errorRate: failed.rate ?? 0,
        };
      }),
    timelines: (plan.timelines ?? []).map((timeline) => ({
      phase: timeline.phase,
      bucketS: timeline.bucketS,
      buckets: Array.from({ length: timeline.buckets }, (_, index) => {
        const duration = timelineSubmetric('http_req_duration', timeline.phase, index);
        return {
          index,
          startS: index * timeline.bucketS,
          count: read.value(duration, 'count'),
          p95Ms: read.ms(duration, 'p(95)'),
          // a Rate's "passes" are its true samples: the failed requests
          failed: read.metric(timelineSubmetric('http_req_failed', timeline.phase, index)).values.passes ?? 0,
        };
      }),
    })),
  };
}

function probeP95Ms(read: Reader, plan: LadderPlan, phase: string, levelIndex: number): number | null {
  const probe = plan.probe?.scenarios.find((p) => p.phase === phase && p.levelIndex === levelIndex);
  return probe ? read.ms(submetric('http_req_duration', probe.name, null), 'p(95)') : null;
}

/**
 * The thresholds k6 found crossed, each `metric: expression` (a user script's, since the
 * ladder's own always hold), in the summary's order.
 */
export function crossedThresholds(text: string): string[] {
  const summary = readSummary(text);
  return Object.entries(summary.metrics).flatMap(([metric, m]) =>
    Object.entries(m.thresholds ?? {})
      .filter(([, state]) => !state.ok)
      .map(([expression]) => `${metric}: ${expression}`),
  );
}

function readSummary(text: string): K6Summary {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InfraError(`k6 summary is not valid JSON (truncated?): ${(error as Error).message}`, {
      cause: error,
    });
  }
  const parsed = K6SummarySchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InfraError(`k6 summary has an unexpected shape: ${problems.join('; ')}`);
  }
  return parsed.data;
}

type Reader = ReturnType<typeof reader>;

function reader(summary: K6Summary) {
  const metric = (name: string) => {
    const m = summary.metrics[name];
    if (m === undefined)
      throw new InfraError(`k6 summary lacks the metric '${name}' (was it made by this plan?)`);
    return m;
  };
  return {
    metric,
    /** a stat that must be there */
    value(name: string, stat: string): number {
      const v = metric(name).values[stat];
      if (v === undefined || v === null)
        throw new InfraError(`k6 summary lacks '${stat}' of the metric '${name}'`);
      return v;
    },
    /** a latency stat: null where nothing was measured */
    ms(name: string, stat: string): number | null {
      const m = metric(name);
      if (!(stat in m.values)) {
        throw new InfraError(`k6 summary lacks '${stat}' of the metric '${name}' (summaryTrendStats?)`);
      }
      const v = m.values[stat];
      return (m.values.count ?? 0) > 0 && v !== null && v !== undefined ? v : null;
    },
  };
}

function requestResult(read: Reader, plan: LadderPlan, s: PlanScenario, req: string | null): RequestResult {
  const duration = submetric('http_req_duration', s.name, req);
  const count = read.value(submetric('http_reqs', s.name, req), 'count');
  const failed = plan.script === 'builtin' ? builtinFailures(read, s, req) : userScriptFailures(read, s, req);
  const total = OUTCOMES.reduce((sum, o) => sum + failed[o], 0);
  const rate = (n: number) => (count > 0 ? Math.min(1, n / count) : 0);
  return {
    name: req ?? ALL_REQUESTS,
    count,
    throughputRps: s.durationS > 0 ? count / s.durationS : 0,
    p50Ms: read.ms(duration, 'p(50)'),
    p90Ms: read.ms(duration, 'p(90)'),
    p95Ms: read.ms(duration, 'p(95)'),
    p99Ms: read.ms(duration, 'p(99)'),
    maxMs: read.ms(duration, 'max'),
    errorRate: rate(total),
    timeoutRate: rate(failed.timeout),
    connectionErrorRate: rate(failed.connection),
    http5xxRate: rate(failed.http5xx),
    http4xxRate: rate(failed.http4xx),
  };
}

/** The ladder's own requests: its counter already split failures by outcome. */
function builtinFailures(read: Reader, s: PlanScenario, req: string | null): Record<Outcome, number> {
  const counts = OUTCOMES.map((outcome) => [
    outcome,
    read.value(submetric(FAILURE_METRIC, s.name, req, { outcome }), 'count'),
  ]);
  return Object.fromEntries(counts) as Record<Outcome, number>;
}

/**
 * A user's script: failures from k6's own tags. No response (status 0) is a timeout when its
 * error_code says so, else a connection error; 5xx from the listed statuses; every other failed
 * request (by the script's own expected statuses) counts as 4xx.
 */
function userScriptFailures(read: Reader, s: PlanScenario, req: string | null): Record<Outcome, number> {
  const countOf = (extra: Record<string, string | number>) =>
    read.value(submetric('http_reqs', s.name, req, extra), 'count');
  // a Rate's "passes" are its true samples: here, the failed requests
  const failed = read.value(submetric('http_req_failed', s.name, req), 'passes');
  const noResponse = countOf({ status: 0 });
  const timeout = countOf({ error_code: K6_REQUEST_TIMEOUT_CODE });
  const http5xx = USER_SCRIPT_5XX_STATUSES.reduce((sum, status) => sum + countOf({ status }), 0);
  return {
    timeout,
    connection: Math.max(0, noResponse - timeout),
    http5xx,
    http4xx: Math.max(0, failed - noResponse - http5xx),
    other: 0,
  };
}
