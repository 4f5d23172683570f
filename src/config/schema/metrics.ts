import { z } from 'zod';
import { POOL_PRESET_NAMES, TIME_UNITS } from '../../metrics/presets.ts';
import { describeValue } from '../paths.ts';
import { CONFIG_LIMITS, duration, pattern, positiveInt, say, scalarText } from './fields.ts';
import { DependencyNameSchema } from './service.ts';

// ---- the service's own metrics ----------------------------------------------------------------

export const metricName = pattern(
  /^[a-zA-Z_:][a-zA-Z0-9_:]*$/,
  'write a Prometheus metric name: letters, digits, "_" and ":", not starting with a digit',
  'a Prometheus metric name',
);

export const timeUnit = z
  .enum(TIME_UNITS)
  .default('seconds')
  .describe('the unit the metric counts time in (default seconds)');

export const PoolWaitSchema = z
  .union([
    z
      .strictObject({
        histogram: metricName.describe('a histogram of wait times: gives p95 and mean'),
        unit: timeUnit,
      })
      .transform(({ histogram, unit }) => ({ metric: histogram, unit })),
    z
      .strictObject({
        summary: metricName.describe('a summary of wait times: its count and sum give the mean (no p95)'),
        unit: timeUnit,
      })
      .transform(({ summary, unit }) => ({ metric: summary, unit })),
    z.strictObject({
      sum: metricName.describe('a counter of total wait time'),
      count: metricName.describe('a counter of waits'),
      unit: timeUnit,
    }),
  ])
  .describe(
    'time spent waiting for a DB connection: { histogram: name } (p95 and mean), { summary: name } or { sum: name, count: name } (mean only)',
  );

export const PostgresSamplerSchema = z
  .union([
    z.literal(false),
    z.strictObject({
      dependency: DependencyNameSchema.describe('the dependency that is the Postgres server'),
      user: z
        .string()
        .min(1)
        .optional()
        .describe('the role psql connects as inside it (default POSTGRES_USER, else postgres)'),
      database: z
        .string()
        .min(1)
        .optional()
        .describe('the database psql connects to (default POSTGRES_DB, else the user)'),
      onlyUser: z
        .string()
        .min(1)
        .optional()
        .describe('count only sessions of this role (default every client session)'),
      onlyDatabase: z
        .string()
        .min(1)
        .optional()
        .describe('count only sessions on this database (default every database)'),
    }),
  ])
  .describe(
    'sampling pg_stat_activity during each level; on by default for a dependency whose image is Postgres; false turns it off',
  );

/** Paired mode (pull requests): the base and the candidate driven alternately at one rate. */
export const PairedSchema = z
  .strictObject({
    rate: z
      .number({ error: say((issue) => `expected arrivals per second, got ${describeValue(issue.input)}`) })
      .positive({ error: 'expected a number of arrivals per second above 0' })
      .describe(
        'arrivals per second, below the knee; default 60% of the throughput the ladder measured at its knee',
      )
      .optional(),
    slot: duration('measured time per slot', { minMs: 1000, maxMs: 600_000 }).prefault('10s'),
    warmup: duration('unmeasured load before each slot', { minMs: 0, maxMs: 600_000 }).prefault('3s'),
    blocks: positiveInt('ABBA blocks always run').max(CONFIG_LIMITS.pairedBlocks).default(3),
    maxBlocks: positiveInt('ABBA blocks at most, run while a test is undecided')
      .max(CONFIG_LIMITS.pairedBlocks)
      .default(6),
  })
  .transform(({ rate, slot, warmup, blocks, maxBlocks }) => ({
    ...(rate !== undefined ? { rate } : {}),
    slotS: slot / 1000,
    warmupS: warmup / 1000,
    blocks,
    maxBlocks: Math.max(blocks, maxBlocks),
  }))
  .prefault({})
  .meta({
    description:
      "paired mode: the pull request's base and head services driven alternately (ABBA) at one arrival rate, so the runner's speed cancels",
  });

export const MetricsSchema = z
  .strictObject({
    preset: z
      .enum(['auto', 'none', ...POOL_PRESET_NAMES])
      .default('auto')
      .describe(
        `where the service's pool metrics are: auto (recognized from the names exposed), none, or one of ${POOL_PRESET_NAMES.join(', ')}`,
      ),
    labels: z
      .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), scalarText('a label value'))
      .default({})
      .describe('read only series with these labels, e.g. { pool: HikariPool-1 }; default all, added up'),
    poolWait: PoolWaitSchema.optional(),
    poolTimeouts: metricName.describe('a counter of checkouts that gave up waiting').optional(),
    poolWaiting: metricName.describe('a gauge of callers waiting for a connection').optional(),
    poolInUse: metricName.describe('a gauge of connections checked out').optional(),
    poolOpen: metricName
      .describe(
        'a gauge of connections the pool holds open (peak DB connections when no Postgres is sampled)',
      )
      .optional(),
    sampleInterval: duration('how often gauges and the database are sampled during a level', {
      minMs: 100,
      maxMs: 60_000,
    }).prefault('1s'),
    postgres: PostgresSamplerSchema.optional(),
  })
  .prefault({})
  .transform(
    ({
      preset,
      labels,
      poolWait,
      poolTimeouts,
      poolWaiting,
      poolInUse,
      poolOpen,
      sampleInterval,
      postgres,
    }) => ({
      preset,
      labels,
      pool: {
        ...(poolWait !== undefined ? { wait: poolWait } : {}),
        ...(poolTimeouts !== undefined ? { timeouts: poolTimeouts } : {}),
        ...(poolWaiting !== undefined ? { waiting: poolWaiting } : {}),
        ...(poolInUse !== undefined ? { inUse: poolInUse } : {}),
        ...(poolOpen !== undefined ? { open: poolOpen } : {}),
      },
      sampleIntervalMs: sampleInterval,
      ...(postgres !== undefined ? { postgres } : {}),
    }),
  )
  .describe(
    "the service's own metrics per level: its connection pool (from service.metrics) and its Postgres (pg_stat_activity)",
  );
