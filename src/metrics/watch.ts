import { readFile, stat } from 'node:fs/promises';
import { errorMessage } from '../errors.ts';
import type { LevelCpu } from './cpuLevels.ts';
import { CpuWatch } from './cpuWatch.ts';
import { parseExposition } from './exposition.ts';
import {
  type LevelDbFigures,
  type LevelPoolFigures,
  type LevelWindow,
  levelDbFigures,
  levelPoolFigures,
  NOT_MEASURED_POOL,
  type ScrapeRecord,
} from './levels.ts';
import { countRefusedConnections, type PgSampler, type PgTarget, startPgSampler } from './postgres.ts';
import {
  detectPreset,
  POOL_PRESETS,
  type PoolMetrics,
  type PoolPresetName,
  poolMetricNames,
} from './presets.ts';
import { type Families, familyNames, indexFamilies } from './series.ts';

/**
 * Watches the service's own metrics and its Postgres while the ladder runs: scrapes at each
 * level's start and end and every interval between, pg_stat_activity every interval, and the
 * database log's size at each boundary; then turns them into per-level figures.
 */

/** Which pool metrics to read: a preset (or detection), with roles named in the config on top. */
export interface PoolSettings {
  preset: 'auto' | 'none' | PoolPresetName;
  labels: Record<string, string>;
  overrides: PoolMetrics;
}

export interface WatchOptions {
  windows: readonly LevelWindow[];
  /** seconds from the ladder's start to its end */
  totalS: number;
  /** the service's metrics endpoint; absent: nothing scraped */
  scrape?: { url: string; pool: PoolSettings; intervalS: number };
  /** a Postgres to sample; absent: not sampled */
  postgres?: { containerId: string; logFile: string; target: PgTarget; intervalS: number };
  /** the service container whose CPU use is sampled (the engine's stats API); absent: not sampled */
  cpuContainerId?: string;
  /** a line for the user: something will not be measured, and why */
  warn: (message: string) => void;
  /** a line for the user: what will be measured */
  note?: (message: string) => void;
}

export interface LevelMeasures {
  phase: string;
  level: number;
  pool: LevelPoolFigures;
  /** null: no Postgres sampled */
  db: LevelDbFigures | null;
  /** null: CPU not sampled */
  cpu: LevelCpu | null;
}

const SCRAPE_TIMEOUT_MS = 2000;
/** How long the engine may take to start psql in the database's container. */
const SAMPLER_START_LIMIT_MS = 15_000;
/** A metrics page larger than this is not a metrics page. */
const MAX_SCRAPE_BYTES = 32 * 1024 * 1024;

/** Reads one exposition from an HTTP endpoint; throws with a one-line reason. */
export async function scrapeMetrics(url: string, timeoutMs: number = SCRAPE_TIMEOUT_MS): Promise<Families> {
  const res = await fetch(url, {
    headers: { accept: 'text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const text = await res.text();
  if (text.length > MAX_SCRAPE_BYTES) throw new Error(`the page is over ${MAX_SCRAPE_BYTES} bytes`);
  return indexFamilies(parseExposition(text));
}

/** The pool metrics a run reads, given what the service exposes; notes say what is missing. */
export function resolvePoolMetrics(
  settings: PoolSettings,
  exposed: ReadonlySet<string>,
): { preset: PoolPresetName | null; metrics: PoolMetrics; missing: string[] } {
  const preset =
    settings.preset === 'auto'
      ? (detectPreset(exposed) ?? null)
      : settings.preset === 'none'
        ? null
        : settings.preset;
  const metrics: PoolMetrics = { ...(preset ? POOL_PRESETS[preset].metrics : {}), ...settings.overrides };
  const missing = poolMetricNames(metrics).filter((name) => !familyNames(name).some((n) => exposed.has(n)));
  return { preset, metrics, missing };
}

export class LevelWatch {
  private readonly timeline: ScrapeRecord[] = [];
  private readonly logOffsets = new Map<number, number>();
  private sampler: PgSampler | undefined;
  private samplerStart: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private anchorMs: number | undefined;
  private readonly cpu: CpuWatch | null;

  private constructor(
    private readonly options: WatchOptions,
    private readonly pool: {
      metrics: PoolMetrics;
      labels: Record<string, string>;
      names: string[];
      source: string;
    } | null,
  ) {
    this.cpu = options.cpuContainerId ? new CpuWatch(options.cpuContainerId, options.windows) : null;
  }

  /** The pool metrics read: a preset's name, or "custom"; null when none are read. */
  get poolSource(): string | null {
    return this.pool?.source ?? null;
  }

  /**
   * Checks the endpoint once before the load (a missing one is a warning, and the run goes on
   * without it) and settles which metrics to read.
   */
  static async prepare(options: WatchOptions): Promise<LevelWatch> {
    if (!options.scrape) return new LevelWatch(options, null);
    const { url, pool } = options.scrape;
    let families: Families;
    try {
      families = await scrapeMetrics(url);
    } catch (error) {
      options.warn(
        `the service's metrics at ${url} did not answer (${reason(error)}): pool figures are not measured`,
      );
      return new LevelWatch({ ...options, scrape: undefined }, null);
    }
    const resolved = resolvePoolMetrics(pool, new Set(families.keys()));
    const names = poolMetricNames(resolved.metrics);
    if (names.length === 0) {
      options.warn(
        `no known pool metrics at ${url} (presets: ${Object.keys(POOL_PRESETS).join(', ')}); name yours under metrics: pool figures are not measured`,
      );
      return new LevelWatch({ ...options, scrape: undefined }, null);
    }
    if (resolved.missing.length > 0)
      options.warn(
        `not in the service's metrics yet, so read as not measured: ${resolved.missing.join(', ')}`,
      );
    options.note?.(
      `pool metrics: ${resolved.preset ? `${resolved.preset} (${POOL_PRESETS[resolved.preset].description})` : names.join(', ')}`,
    );
    const wanted = new Set(names.flatMap(familyNames));
    const custom = Object.keys(pool.overrides).length > 0;
    const source = resolved.preset ? `${resolved.preset}${custom ? ' (with custom names)' : ''}` : 'custom';
    return new LevelWatch(options, {
      metrics: resolved.metrics,
      labels: pool.labels,
      names: [...wanted],
      source,
    });
  }

  /** Whether anything will be measured at all. */
  get active(): boolean {
    return this.pool !== null || this.options.postgres !== undefined;
  }

  /** Starts sampling; `anchorMs` is performance.now() when the ladder's scenarios began. */
  start(anchorMs: number): void {
    if (this.anchorMs === undefined && !this.stopped) this.cpu?.start(anchorMs);
    if (this.anchorMs !== undefined || this.stopped || !this.active) return;
    this.anchorMs = anchorMs;
    this.loop = this.run();
    const pg = this.options.postgres;
    if (pg) {
      this.samplerStart = startPgSampler({
        containerId: pg.containerId,
        target: pg.target,
        intervalS: pg.intervalS,
        limitS: this.options.totalS + 60,
        nowS: () => this.nowS(),
      }).then(
        (sampler) => {
          if (this.stopped) sampler.stop();
          else this.sampler = sampler;
        },
        (error) =>
          this.options.warn(
            `the Postgres sampler did not start (${reason(error)}): DB figures are not measured`,
          ),
      );
    }
  }

  /** Stops sampling and computes every level's figures (not measured where nothing was sampled). */
  async finish(): Promise<LevelMeasures[]> {
    this.stopped = true;
    const cpu = (await this.cpu?.finish()) ?? null;
    await this.loop;
    // An engine that never answers the exec must not hold the run: give up on the sampler.
    await Promise.race([
      this.samplerStart,
      new Promise((done) => setTimeout(done, SAMPLER_START_LIMIT_MS).unref()),
    ]);
    this.sampler?.stop();
    const pgError = this.sampler?.error() ?? null;
    if (this.sampler && this.sampler.samples.length === 0 && this.anchorMs !== undefined) {
      this.options.warn(
        `the Postgres sampler read nothing${pgError ? ` (psql: ${pgError})` : ''}: DB figures are not measured`,
      );
    }
    const log = this.options.postgres
      ? await readFile(this.options.postgres.logFile, 'utf8').catch(() => null)
      : null;
    const logBytes = log === null ? null : Buffer.from(log, 'utf8');
    const measures = this.options.windows.map((window, index) => {
      const pool = this.pool
        ? levelPoolFigures(window, this.timeline, this.pool.metrics, this.pool.labels)
        : { ...NOT_MEASURED_POOL };
      let db: LevelDbFigures | null = null;
      if (this.options.postgres && this.sampler) {
        const from = this.logOffsets.get(window.startS);
        const to = this.logOffsets.get(window.endS);
        const refused =
          logBytes && from !== undefined && to !== undefined
            ? countRefusedConnections(logBytes.subarray(from, to).toString('utf8'))
            : null;
        db = levelDbFigures(window, this.sampler.samples, refused);
      }
      return { phase: window.phase, level: window.level, pool, db, cpu: cpu?.[index] ?? null };
    });
    const beyond = measures.map((m) => m.pool.waitP95BeyondMs).find((ms) => ms !== null);
    if (beyond !== undefined && beyond !== null) {
      this.options.warn(
        `the pool wait histogram's highest bucket (${beyond} ms) is below the wait p95 at some levels: there the p95 is not measured (give the histogram larger buckets)`,
      );
    }
    return measures;
  }

  private nowS(): number {
    return (performance.now() - (this.anchorMs as number)) / 1000;
  }

  /** The schedule: every level's start and end, and ticks every interval between. */
  private targets(): { atS: number; boundary: boolean }[] {
    const intervalS = this.options.scrape?.intervalS ?? 1;
    const all = new Map<number, boolean>();
    for (const w of this.options.windows) {
      all.set(w.startS, true);
      all.set(w.endS, true);
      if (this.pool) {
        for (let t = w.startS + intervalS; t < w.endS - intervalS / 4; t += intervalS) {
          const key = Math.round(t * 1000) / 1000;
          if (!all.has(key)) all.set(key, false);
        }
      }
    }
    return [...all.entries()].sort(([a], [b]) => a - b).map(([atS, boundary]) => ({ atS, boundary }));
  }

  private async run(): Promise<void> {
    const intervalS = this.options.scrape?.intervalS ?? 1;
    for (const target of this.targets()) {
      const waitMs = (target.atS - this.nowS()) * 1000;
      if (waitMs > 0) await sleep(waitMs, () => this.stopped);
      if (this.stopped) return;
      // Late ticks are skipped; a late boundary is still taken (its time is recorded).
      if (!target.boundary && this.nowS() > target.atS + intervalS / 2) continue;
      if (target.boundary && this.options.postgres) {
        const size = await stat(this.options.postgres.logFile).then(
          (s) => s.size,
          () => undefined,
        );
        if (size !== undefined) this.logOffsets.set(target.atS, size);
      }
      if (this.pool && this.options.scrape) {
        const atS = this.nowS();
        const families = await scrapeMetrics(this.options.scrape.url).then(
          (all) => this.keep(all),
          () => null,
        );
        this.timeline.push({ targetS: target.atS, atS, families });
      }
    }
  }

  /** Only the families the pool figures read: a JVM's page holds hundreds. */
  private keep(all: Families): Families {
    const kept = new Map();
    for (const name of this.pool?.names ?? []) {
      const family = all.get(name);
      if (family) kept.set(name, family);
    }
    return kept;
  }
}

function sleep(ms: number, stopped: () => boolean): Promise<void> {
  // Woken early every 250 ms to notice a stop.
  return new Promise((done) => {
    const end = performance.now() + ms;
    const tick = () => {
      const left = end - performance.now();
      if (left <= 0 || stopped()) done();
      else setTimeout(tick, Math.min(left, 250));
    };
    tick();
  });
}

function reason(error: unknown): string {
  const message = errorMessage(error);
  return message.split('\n')[0] ?? message;
}
