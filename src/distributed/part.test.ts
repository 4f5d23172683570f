import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PartManifest } from '../../k6-scripts/contract.ts';
import { buildLadderPlan } from '../load/plan.ts';
import { findParts } from './part.ts';
import { k6Segment } from './segments.ts';

const root = await mkdtemp(join(tmpdir(), 'loadgate-parts-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const plan = buildLadderPlan({
  baseUrl: 'http://127.0.0.1:8000',
  model: 'closed',
  levels: [1],
  levelDurationS: 1,
  warmupS: 0,
  requestTimeoutMs: 500,
  requests: [{ name: 'home', path: '/' }],
});

function manifest(index: number, files: PartManifest['files']): PartManifest {
  return {
    partVersion: 1,
    configHash: 'cafe',
    plan,
    ...k6Segment({ index, count: 2 }),
    startedAtMs: 1,
    k6Version: null,
    runId: null,
    partial: false,
    problem: null,
    files,
  };
}

describe('findParts', () => {
  it("reads a part folder's part.json, and each runner's prefixed manifest in a shared volume", async () => {
    const own = join(root, 'own');
    await mkdir(own);
    await writeFile(
      join(own, 'part.json'),
      JSON.stringify(manifest(1, { summary: 'k6-summary.json', samples: 'k6-samples.csv.gz' })),
    );
    const shared = join(root, 'shared');
    await mkdir(shared);
    for (const runner of ['run-1', 'run-2']) {
      await writeFile(
        join(shared, `${runner}-part.json`),
        JSON.stringify(
          manifest(2, { summary: `${runner}-k6-summary.json`, samples: `${runner}-k6-samples.csv.gz` }),
        ),
      );
    }
    const found = await findParts([own, shared]);
    expect(found.map((f) => ('manifest' in f ? f.samplesPath : f.problem))).toEqual([
      join(own, 'k6-samples.csv.gz'),
      join(shared, 'run-1-k6-samples.csv.gz'),
      join(shared, 'run-2-k6-samples.csv.gz'),
    ]);
  });

  it("reads the parts in a folder's subfolders, one per runner's artifact, and names a subfolder without one", async () => {
    const downloaded = join(root, 'downloaded');
    for (const name of ['loadgate-part-1', 'loadgate-part-2'])
      await mkdir(join(downloaded, name), { recursive: true });
    await writeFile(
      join(downloaded, 'loadgate-part-1', 'part.json'),
      JSON.stringify(manifest(1, { summary: 'k6-summary.json', samples: 'k6-samples.csv.gz' })),
    );
    const found = await findParts([downloaded]);
    expect(found.map((f) => ('manifest' in f ? f.where : `${f.where} ${f.problem}`))).toEqual([
      join(downloaded, 'loadgate-part-1', 'part.json'),
      `${join(downloaded, 'loadgate-part-2')} holds no part.json (did its runner fail before it finished?)`,
    ]);
  });

  it('names what is wrong with a folder that holds no part, or a manifest that is not one', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    const broken = join(root, 'broken');
    await mkdir(broken);
    await writeFile(join(broken, 'part.json'), '{"partVersion": 1');
    const escaping = join(root, 'escaping');
    await mkdir(escaping);
    await writeFile(
      join(escaping, 'part.json'),
      JSON.stringify(manifest(1, { summary: '../../etc/passwd', samples: 'k6-samples.csv.gz' })),
    );
    const found = await findParts([empty, broken, escaping, join(root, 'nowhere')]);
    expect(found.map((f) => ('problem' in f ? f.problem : 'found'))).toEqual([
      'holds no part.json (did its runner fail before it finished?)',
      expect.stringMatching(/^is not readable JSON/),
      'names "../../etc/passwd" as one of its files; expected a file name beside it',
      expect.stringMatching(/^cannot be read \(ENOENT/),
    ]);
  });
});
