import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lognormalSamples, syntheticBaseline } from '../compare/testing.ts';
import {
  ActionsCacheStore,
  type CacheClient,
  cacheKey,
  cacheKeyPrefix,
  MAX_CACHE_KEY_CHARS,
} from './cacheStore.ts';

/**
 * The cache as GitHub documents it: an exact key first, then each restore key as a prefix, the
 * newest matching entry winning; an entry's version comes from its paths (other paths, no hit);
 * a key is written once.
 */
class DocumentedCache implements CacheClient {
  private readonly entries: { key: string; paths: string; files: string[]; created: number }[] = [];
  private clock = 0;
  constructor(private readonly store: string) {}

  async save(paths: string[], key: string): Promise<void> {
    if (key.includes(',') || key.length > 512) throw new Error(`invalid key ${key}`);
    if (this.entries.some((e) => e.key === key)) throw new Error(`Unable to reserve cache with key ${key}`);
    const files: string[] = [];
    for (const [i, path] of paths.entries()) {
      const copy = join(this.store, `${this.entries.length}-${i}`);
      await copyFile(path, copy);
      files.push(copy);
    }
    this.entries.push({ key, paths: paths.join('\n'), files, created: this.clock++ });
  }

  async restore(paths: string[], primaryKey: string, restoreKeys: string[]): Promise<string | undefined> {
    const version = paths.join('\n');
    const candidates = this.entries.filter((e) => e.paths === version);
    const newest = (list: typeof candidates) => list.sort((a, b) => b.created - a.created)[0];
    const hit =
      candidates.find((e) => e.key === primaryKey) ??
      restoreKeys.map((prefix) => newest(candidates.filter((e) => e.key.startsWith(prefix)))).find(Boolean);
    if (!hit) return undefined;
    for (const [i, path] of paths.entries()) {
      await mkdir(dirname(path), { recursive: true });
      await copyFile(hit.files[i] as string, path);
    }
    return hit.key;
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-cache-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (runId: string, finishedAt: string) => ({
  ...syntheticBaseline([{ level: 2, request: 'a', samples: lognormalSamples(200, runId.length) }], { runId }),
  finishedAt,
});

describe('cache keys', () => {
  it('are write-once per run, sortable, and never a prefix of another series', () => {
    const key = cacheKey('main', { finishedAt: '2026-01-02T03:04:05.678Z', runId: '20260102-030400-abc123' });
    expect(key).toBe('loadgate-baseline-v1-main--20260102T030405Z-20260102-030400-abc123');
    expect(key.startsWith(cacheKeyPrefix('main'))).toBe(true);
    expect(key.startsWith(cacheKeyPrefix('main-2'))).toBe(false);
    expect(
      cacheKey('main-2', { finishedAt: '2026-01-02T03:04:05Z', runId: 'r' }).startsWith(
        cacheKeyPrefix('main'),
      ),
    ).toBe(false);
    // a branch name with '/', '--' or commas stays one safe series
    expect(cacheKeyPrefix('feature/x--y,z')).toBe('loadgate-baseline-v1-feature_x-y_z--');
    expect(
      cacheKey('b'.repeat(600), { finishedAt: '2026-01-01T00:00:00Z', runId: 'r' }).length,
    ).toBeLessThanOrEqual(MAX_CACHE_KEY_CHARS);
  });
});

describe('ActionsCacheStore', () => {
  it('restores the newest baseline of the series; each run saves under its own key', async () => {
    const cache = new DocumentedCache(await mkdtemp(join(dir, 'entries-')));
    const path = join(dir, 'work');
    // two jobs (two store objects) sharing the same path, as every job of a workflow does
    const writer = new ActionsCacheStore(cache, path);
    const reader = new ActionsCacheStore(cache, path);
    expect(await reader.latest('main')).toBeNull();

    const first = await writer.add('main', run('run-1', '2026-01-01T00:00:00Z'));
    await writer.add('main', run('run-2', '2026-01-02T00:00:00Z'));
    await writer.add('release', run('run-r', '2026-01-03T00:00:00Z'));
    expect(first.ref).toBe('cache:loadgate-baseline-v1-main--20260101T000000Z-run-1');

    const latest = await reader.latest('main');
    expect(latest?.baseline.runId).toBe('run-2');
    expect(latest?.ref).toBe('cache:loadgate-baseline-v1-main--20260102T000000Z-run-2');
    expect((await reader.latest('release'))?.baseline.runId).toBe('run-r');
    expect(await reader.latest('feature')).toBeNull();

    // write-once: the same run again is refused by the cache, and the newest stays
    await expect(writer.add('main', run('run-2', '2026-01-02T00:00:00Z'))).rejects.toThrow(
      /Unable to reserve/,
    );
    expect((await reader.latest('main'))?.baseline.runId).toBe('run-2');
  });

  it('needs the same path in every job: the cache versions entries by their paths', async () => {
    const cache = new DocumentedCache(await mkdtemp(join(dir, 'entries-')));
    await new ActionsCacheStore(cache, join(dir, 'one')).add('main', run('run-1', '2026-01-01T00:00:00Z'));
    expect(await new ActionsCacheStore(cache, join(dir, 'other')).latest('main')).toBeNull();
    expect((await new ActionsCacheStore(cache, join(dir, 'one')).latest('main'))?.baseline.runId).toBe(
      'run-1',
    );
  });
});
