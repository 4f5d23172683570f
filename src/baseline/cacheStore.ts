import { mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBaseline, writeBaseline } from './file.ts';
import type { Baseline } from './schema.ts';
import { type BaselineStore, recordName, type StoredBaseline, seriesName } from './store.ts';

/**
 * Baselines in the GitHub Actions cache. Cache entries cannot be overwritten, so each accepted
 * run saves under a key of its own, `loadgate-baseline-v1-<series>--<time>-<runId>`; a reader
 * restores by the series' prefix, and the cache hands back the newest entry that matches. A pull
 * request can restore what its base branch saved, which is the baseline it wants. The cache
 * itself sits behind CacheClient (what @actions/cache's restoreCache and saveCache do).
 */
export interface CacheClient {
  /** restores `paths` from the exact key, else from the newest entry whose key starts with a restore key; the key hit, or undefined */
  restore(paths: string[], primaryKey: string, restoreKeys: string[]): Promise<string | undefined>;
  /** saves `paths` under `key`; a key that exists already fails */
  save(paths: string[], key: string): Promise<void>;
}

export const CACHE_KEY_VERSION = 'v1';
/** GitHub's limit on a cache key's length. */
export const MAX_CACHE_KEY_CHARS = 512;
const FILE_NAME = 'loadgate-baseline.json';

/**
 * The prefix every key of a series starts with, ending in `--` so that no series' prefix is
 * another's ("main--" never matches "main-2--…": a series name holds no "--").
 */
export function cacheKeyPrefix(series: string): string {
  return `loadgate-baseline-${CACHE_KEY_VERSION}-${seriesName(series).replace(/-{2,}/g, '-')}--`;
}

/** The write-once key of one run's baseline in a series. */
export function cacheKey(series: string, baseline: Pick<Baseline, 'finishedAt' | 'runId'>): string {
  return `${cacheKeyPrefix(series)}${recordName(baseline)}`.replace(/,/g, '_').slice(0, MAX_CACHE_KEY_CHARS);
}

export class ActionsCacheStore implements BaselineStore {
  readonly description = 'the Actions cache';
  private readonly dir: string;

  /**
   * `dir`: where the file is saved from and restored to. It must be the same path in every job:
   * the cache's version of an entry is derived from its paths (default: <tmpdir>/loadgate-baseline-cache).
   */
  constructor(
    private readonly cache: CacheClient,
    dir?: string,
  ) {
    this.dir = dir ?? join(process.env.RUNNER_TEMP || tmpdir(), 'loadgate-baseline-cache');
  }

  async latest(series: string): Promise<StoredBaseline | null> {
    const dir = this.dir;
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    try {
      const path = join(dir, FILE_NAME);
      const prefix = cacheKeyPrefix(series);
      // no entry has the bare prefix as its key: the newest one starting with it is restored
      const hit = await this.cache.restore([path], prefix, [prefix]);
      if (hit === undefined) return null;
      return {
        baseline: parseBaseline(await readFile(path, 'utf8'), `cache entry ${hit}`),
        ref: `cache:${hit}`,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async add(series: string, baseline: Baseline): Promise<{ ref: string }> {
    const dir = this.dir;
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    try {
      const path = join(dir, FILE_NAME);
      await writeBaseline(path, baseline);
      const key = cacheKey(series, baseline);
      await this.cache.save([path], key);
      return { ref: `cache:${key}` };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
