import type { DependencyConfig, LoadgateConfig } from '../config/schema.ts';
import { requireService } from '../config/target.ts';
import type { DbResult, LevelResult } from '../result/schema.ts';
import type { LevelWindow } from './levels.ts';
import { isPostgresImage, type PgTarget } from './postgres.ts';
import type { LevelMeasures, WatchOptions } from './watch.ts';

/** The path tried, quietly, when the config names no metrics endpoint. */
export const DEFAULT_METRICS_PATH = '/metrics';

/** The container port the service's metrics are served on (it must be published too). */
export function metricsPort(config: LoadgateConfig): number {
  const service = requireService(config, "the service's metrics");
  return service.metrics?.port ?? service.port;
}

/** Whether the config asks for the service's metrics (rather than loadgate trying /metrics). */
export function metricsDeclared(config: LoadgateConfig): boolean {
  const { metrics } = config;
  return (
    config.service?.metrics !== undefined ||
    (metrics.preset !== 'auto' && metrics.preset !== 'none') ||
    Object.keys(metrics.pool).length > 0
  );
}

/** The Postgres dependency to sample, if any: named in metrics.postgres, else the first Postgres image. */
export function postgresToSample(
  config: LoadgateConfig,
): { name: string; dependency: DependencyConfig; target: PgTarget } | null {
  const setting = config.metrics.postgres;
  if (setting === false) return null;
  const name =
    setting?.dependency ??
    Object.keys(config.dependencies).find((n) => {
      const image = config.dependencies[n]?.image;
      return image !== undefined && isPostgresImage(image);
    });
  const dependency = name === undefined ? undefined : config.dependencies[name];
  if (name === undefined || dependency === undefined) return null;
  const user = setting?.user ?? dependency.env.POSTGRES_USER ?? 'postgres';
  return {
    name,
    dependency,
    target: {
      user,
      database: setting?.database ?? dependency.env.POSTGRES_DB ?? user,
      ...(setting?.onlyUser !== undefined ? { filterUser: setting.onlyUser } : {}),
      ...(setting?.onlyDatabase !== undefined ? { filterDatabase: setting.onlyDatabase } : {}),
    },
  };
}

/**
 * What to watch during the ladder, from the config and what was started: the service's metrics
 * on its mapped port, and the Postgres container to exec psql in. When the config names no
 * endpoint, /metrics is tried and a miss is not worth a warning.
 */
export function watchOptionsFor(options: {
  config: LoadgateConfig;
  windows: readonly LevelWindow[];
  totalS: number;
  /** the service's metrics port on 127.0.0.1, undefined when it is not mapped */
  hostMetricsPort: number | undefined;
  /** the started Postgres container to sample, when there is one */
  postgres: { containerId: string; logFile: string; target: PgTarget } | null;
  /** the service container, for its CPU use per level */
  serviceContainerId?: string;
  warn: (message: string) => void;
  note: (message: string) => void;
}): WatchOptions {
  const { config } = options;
  const declared = metricsDeclared(config);
  const intervalS = config.metrics.sampleIntervalMs / 1000;
  const path = config.service?.metrics?.path ?? DEFAULT_METRICS_PATH;
  const scrape =
    options.hostMetricsPort !== undefined && config.metrics.preset !== 'none'
      ? {
          url: `http://127.0.0.1:${options.hostMetricsPort}${path}`,
          pool: {
            preset: config.metrics.preset,
            labels: config.metrics.labels,
            overrides: config.metrics.pool,
          },
          intervalS,
        }
      : undefined;
  return {
    windows: options.windows,
    totalS: options.totalS,
    ...(scrape ? { scrape } : {}),
    ...(options.postgres ? { postgres: { ...options.postgres, intervalS: Math.min(intervalS, 0.5) } } : {}),
    ...(options.serviceContainerId ? { cpuContainerId: options.serviceContainerId } : {}),
    // Trying /metrics on a service that never offered it is no reason to warn.
    warn: declared ? options.warn : options.note,
    note: options.note,
  };
}

/** A level's `pool` and `db` in result.json from what was watched; null where not measured. */
export function levelResultParts(
  measures: LevelMeasures | undefined,
  source: string | null,
): Pick<LevelResult, 'pool' | 'db' | 'cpu'> {
  const round = (value: number | null) => (value === null ? null : Math.round(value));
  const pool = measures?.pool;
  const db: DbResult | null = measures?.db
    ? {
        peakConnections: measures.db.peakConnections,
        peakLockWaits: measures.db.peakLockWaits,
        peakIdleInTransaction: measures.db.peakIdleInTransaction,
        refusedConnections: measures.db.refusedConnections,
      }
    : null;
  return {
    pool: {
      waitP95Ms: pool?.waitP95Ms ?? null,
      waitMeanMs: pool?.waitMeanMs ?? null,
      timeouts: pool?.timeouts ?? null,
      peakDbConnections: db?.peakConnections ?? round(pool?.peakOpen ?? null),
      peakWaiting: round(pool?.peakWaiting ?? null),
      peakInUse: round(pool?.peakInUse ?? null),
      meanInUse: pool?.meanInUse ?? null,
      ...(source !== null ? { source } : {}),
    },
    db,
    cpu: measures?.cpu ?? null,
  };
}
