/**
 * Where widely used connection pools put their figures in Prometheus, each checked against
 * exposition text recorded from the real library (test/fixtures/prometheus/, recorded by
 * scripts/record-prometheus-fixtures/). What each can measure differs, and the result says so:
 * a histogram gives a wait p95 and mean, a summary or a sum with a count only a mean, a gauge
 * of waiting callers only how many waited.
 */

/** The unit a wait metric counts in. */
export const TIME_UNITS = ['seconds', 'milliseconds', 'microseconds', 'nanoseconds'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

/** Milliseconds per unit. */
export const MS_PER_UNIT: Readonly<Record<TimeUnit, number>> = {
  seconds: 1000,
  milliseconds: 1,
  microseconds: 1e-3,
  nanoseconds: 1e-6,
};

/**
 * Time spent waiting for a connection: a histogram or summary family (its `_count` and `_sum`;
 * a histogram's buckets give quantiles too), or a counter of wait time with a counter of waits.
 */
export type WaitMetric = { metric: string; unit: TimeUnit } | { sum: string; count: string; unit: TimeUnit };

/** The pool's metrics by role; each is optional, and a role left out is "not measured". */
export interface PoolMetrics {
  wait?: WaitMetric;
  /** counter: checkouts that gave up waiting */
  timeouts?: string;
  /** gauge: callers waiting for a connection right now */
  waiting?: string;
  /** gauge: connections checked out right now */
  inUse?: string;
  /** gauge: connections the pool holds open (in use and idle) */
  open?: string;
}

export interface PoolPreset {
  /** what it is and what it cannot measure, for docs and warnings */
  description: string;
  /** families whose presence in a scrape says this preset applies */
  detect: readonly string[];
  metrics: PoolMetrics;
}

export const POOL_PRESETS = {
  /** loadgate's demo (examples/demo): SQLAlchemy's pool instrumented with prometheus_client */
  'loadgate-demo': {
    description:
      "loadgate's demo: SQLAlchemy's pool timed with a prometheus_client histogram around the checkout (wait p95 and mean, timeouts)",
    detect: ['demo_pool_checkout_wait_seconds'],
    metrics: {
      wait: { metric: 'demo_pool_checkout_wait_seconds', unit: 'seconds' },
      timeouts: 'demo_pool_checkout_timeouts_total',
      inUse: 'demo_pool_checked_out',
    },
  },
  /** HikariCP through Micrometer, as Spring Boot exposes it */
  hikaricp: {
    description:
      'HikariCP through Micrometer (Spring Boot): the acquire timer is a summary (wait mean only) unless percentiles-histogram is on for hikaricp (then wait p95 too)',
    detect: ['hikaricp_connections_acquire_seconds'],
    metrics: {
      wait: { metric: 'hikaricp_connections_acquire_seconds', unit: 'seconds' },
      timeouts: 'hikaricp_connections_timeout_total',
      waiting: 'hikaricp_connections_pending',
      inUse: 'hikaricp_connections_active',
      open: 'hikaricp_connections',
    },
  },
  /** HikariCP's own trackers on the Prometheus simpleclient (com.zaxxer.hikari.metrics.prometheus) */
  'hikaricp-simpleclient': {
    description:
      "HikariCP's own Prometheus trackers: PrometheusHistogramMetricsTrackerFactory gives a wait histogram whose buckets stop near 1 ms (a p95 only while waits stay below that; the mean always), PrometheusMetricsTrackerFactory a summary (mean only)",
    detect: ['hikaricp_connection_acquired_nanos'],
    metrics: {
      wait: { metric: 'hikaricp_connection_acquired_nanos', unit: 'nanoseconds' },
      timeouts: 'hikaricp_connection_timeout_total',
      waiting: 'hikaricp_pending_threads',
      inUse: 'hikaricp_active_connections',
      open: 'hikaricp_connections',
    },
  },
  /** Go's database/sql through client_golang's collectors.NewDBStatsCollector */
  'go-sql': {
    description:
      "Go's database/sql (client_golang collectors.NewDBStatsCollector): total wait time and number of waits, so a mean per wait and no p95; database/sql has no checkout timeout of its own",
    detect: ['go_sql_wait_duration_seconds_total', 'go_sql_wait_count_total'],
    metrics: {
      wait: { sum: 'go_sql_wait_duration_seconds_total', count: 'go_sql_wait_count_total', unit: 'seconds' },
      inUse: 'go_sql_in_use_connections',
      open: 'go_sql_open_connections',
    },
  },
  /** node-postgres through @christiangalsterer/node-postgres-prometheus-exporter (prom-client) */
  'node-postgres': {
    description:
      'node-postgres (pg.Pool) through node-postgres-prometheus-exporter: no wait time at all, only how many callers wait (peak waiting)',
    detect: ['pg_pool_waiting_connections', 'pg_pool_size'],
    metrics: {
      waiting: 'pg_pool_waiting_connections',
      inUse: 'pg_pool_active_connections',
      open: 'pg_pool_size',
    },
  },
} as const satisfies Record<string, PoolPreset>;

export type PoolPresetName = keyof typeof POOL_PRESETS;
export const POOL_PRESET_NAMES = Object.keys(POOL_PRESETS) as PoolPresetName[];

/** The first preset whose families are all in the scrape, or undefined. */
export function detectPreset(familyNames: ReadonlySet<string>): PoolPresetName | undefined {
  return POOL_PRESET_NAMES.find((name) =>
    POOL_PRESETS[name].detect.every(
      (family) => familyNames.has(family) || familyNames.has(family.replace(/_total$/, '')),
    ),
  );
}

/** The metric family names a pool spec reads. */
export function poolMetricNames(metrics: PoolMetrics): string[] {
  const wait = metrics.wait
    ? 'metric' in metrics.wait
      ? [metrics.wait.metric]
      : [metrics.wait.sum, metrics.wait.count]
    : [];
  return [...wait, metrics.timeouts, metrics.waiting, metrics.inUse, metrics.open].filter(
    (name): name is string => name !== undefined,
  );
}
