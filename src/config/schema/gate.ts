import { z } from 'zod';
import { describeValue } from '../paths.ts';
import { atMost, CONFIG_LIMITS, duration, pattern, positiveInt, rate, say } from './fields.ts';
import { NAME, requestName } from './load.ts';

// ---- gate --------------------------------------------------------------------------------------

export const LATENCY_METRICS = ['p50', 'p90', 'p95', 'p99', 'max'] as const;
export const RATE_METRICS = [
  'errorRate',
  'timeoutRate',
  'connectionErrorRate',
  'http5xxRate',
  'http4xxRate',
] as const;
export const THROUGHPUT_METRIC = 'throughputRps';
/** Per-level metrics of the service's pool (from its own metrics). */
export const POOL_WAIT_METRICS = ['poolWaitP95', 'poolWaitMean'] as const;
/** Per-level counts: pool timeouts, and peak DB connections (Postgres sampler or the pool's gauge). */
export const LEVEL_COUNT_METRICS = ['poolTimeouts', 'peakDbConnections'] as const;

export const thresholdScope = {
  level: positiveInt('only at this level (one of load.levels); default every level').optional(),
  request: requestName
    .describe('only for this request (a load.requests name); default every request')
    .optional(),
  phase: pattern(
    NAME,
    'use letters, digits, "_" and "-"',
    'only in this phase, e.g. clean; default every phase',
  ).optional(),
};

export function withScope<
  T extends { level?: number | undefined; request?: string | undefined; phase?: string | undefined },
>(threshold: T) {
  const { level, request, phase, ...rest } = threshold;
  return {
    ...rest,
    ...(level !== undefined ? { level } : {}),
    ...(request !== undefined ? { request } : {}),
    ...(phase !== undefined ? { phase } : {}),
  };
}

export const ThresholdSchema = z
  .discriminatedUnion('metric', [
    z
      .strictObject({
        metric: z.enum(LATENCY_METRICS).describe('a latency percentile or the maximum'),
        max: duration('the highest allowed latency', { minMs: 0 }),
        ...thresholdScope,
      })
      .transform(({ max, ...threshold }) => withScope({ ...threshold, maxMs: max })),
    z
      .strictObject({
        metric: z.enum(RATE_METRICS).describe('a share of requests that failed in some way'),
        max: rate.describe(
          'the highest allowed share: a percentage such as "0.1%", or a fraction between 0 and 1',
        ),
        ...thresholdScope,
      })
      .transform(({ max, ...threshold }) => withScope({ ...threshold, maxRate: max })),
    z
      .strictObject({
        metric: z.literal(THROUGHPUT_METRIC).describe('completed requests per second'),
        min: z
          .number({
            error: say(
              (issue) =>
                `expected requests per second (a number of 0 or more), got ${describeValue(issue.input)}`,
            ),
          })
          .nonnegative()
          .describe('the lowest allowed throughput, requests per second'),
        ...thresholdScope,
      })
      .transform(({ min, ...threshold }) => withScope({ ...threshold, minRps: min })),
    z
      .strictObject({
        metric: z
          .enum(POOL_WAIT_METRICS)
          .describe('time waiting for a DB connection in a level: its p95 or its mean (not per request)'),
        max: duration('the longest allowed pool wait', { minMs: 0 }),
        level: thresholdScope.level,
        phase: thresholdScope.phase,
      })
      .transform(({ max, ...threshold }) => withScope({ ...threshold, maxMs: max })),
    z
      .strictObject({
        metric: z
          .enum(LEVEL_COUNT_METRICS)
          .describe(
            'pool checkouts that timed out in a level, or the peak of DB connections (not per request)',
          ),
        max: z
          .int({
            error: say((issue) => `expected a whole number of 0 or more, got ${describeValue(issue.input)}`),
          })
          .min(0)
          .describe('the most allowed in one level'),
        level: thresholdScope.level,
        phase: thresholdScope.phase,
      })
      .transform(({ max, ...threshold }) => withScope({ ...threshold, maxCount: max })),
  ])
  .describe(
    'a limit on one metric: latency metrics and pool waits take max: a duration, rates max: a percentage, throughputRps min: requests/s, poolTimeouts and peakDbConnections max: a count',
  );

export const GateSchema = z
  .strictObject({
    thresholds: atMost(z.array(ThresholdSchema), CONFIG_LIMITS.thresholds, 'thresholds')
      .default([])
      .describe('absolute limits; any breach fails the gate'),
  })
  .prefault({})
  .describe('the release gate');
