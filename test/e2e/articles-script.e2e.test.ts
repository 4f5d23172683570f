import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { ResultSchema } from '../../src/result/schema.ts';
import { repoRoot, runCli } from '../helpers/cli.ts';

// The project's second service driven by examples/articles/script.js exactly as written: its
// setup() registers a user, logs in (reading the token from the response body) and writes
// articles; its iterations use the token and the slugs. Once through `run` (one short level)
// and once through `paired` (two ABBA blocks of 2 s slots, setup() once per slot), about 2 min.
const config = join(repoRoot, 'examples', 'articles', 'script.yml');
const REQUESTS = ['list', 'article', 'favorite'];

describe('a k6 script that logs in during setup()', () => {
  const out = mkdtempSync(join(tmpdir(), 'loadgate-articles-script-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs through the ladder with its token: every request answered, its thresholds held', async () => {
    const dir = join(out, 'run');
    const run = await runCli([
      'run',
      '--config',
      config,
      '--out',
      dir,
      '--set',
      'load.levels=[2]',
      '--set',
      'load.levelDuration=3s',
      '--set',
      'load.warmup=1s',
    ]);
    // a null body (setup's login) would end k6 at once; a bad token fails favorite's checks (exit 1)
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')));
    expect(result.verdict).toBe('pass');
    expect(result.gate.scriptThresholdsCrossed).toBeUndefined();
    const level = result.levels[0];
    expect(level?.requests.map((r) => r.name)).toEqual(REQUESTS);
    for (const request of level?.requests ?? []) {
      expect(request.count, request.name).toBeGreaterThan(0);
      expect(request.errorRate, request.name).toBe(0);
    }
    // the live line (one per level in a log) shows the level's figures
    expect(run.stdout).toMatch(
      /clean {2}level 1\/1 \(2 VUs\) {2}\d+:\d+\/\d+:\d+ {2}p95 [\d.]+ ms {2}errors 0\.00%/,
    );
    // setup()'s data (the login token) stays out of the summary loadgate keeps
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'k6-summary.json'), 'utf8')))).not.toContain(
      'setup_data',
    );
    expect(await listRunLeftovers(result.runId)).toEqual({ containers: 0, networks: 0 });
  });

  it('runs through paired mode, slot by slot, with the canary beside it', async () => {
    const dir = join(out, 'paired');
    const run = await runCli([
      'paired',
      '--config',
      config,
      '--out',
      dir,
      '--base-set',
      'service.env.ARTICLES_POOL_SIZE=4',
      '--rate',
      '20',
      '--slot',
      '2',
      '--warmup',
      '1',
      '--blocks',
      '2',
      '--max-blocks',
      '2',
    ]);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    const written = JSON.parse(readFileSync(join(dir, 'paired.json'), 'utf8')) as {
      verdict: string;
      crossedThresholds: { base: string[]; candidate: string[] };
      slots: {
        variant: string;
        invalidReason: string | null;
        canaryP50Ms: number | null;
        requests: { name: string; count: number; errors: number }[];
      }[];
    };
    expect(written.crossedThresholds).toEqual({ base: [], candidate: [] });
    expect(written.slots).toHaveLength(8);
    for (const slot of written.slots) {
      expect(slot.invalidReason).toBeNull();
      // the canary ran in its own scenario beside the script
      expect(slot.canaryP50Ms).not.toBeNull();
      expect(slot.requests.map((r) => r.name)).toEqual(REQUESTS);
      const list = slot.requests.find((r) => r.name === 'list');
      expect(list?.count).toBeGreaterThan(5);
      // favorite needs setup()'s token, in every slot
      for (const request of slot.requests) expect(request.errors, request.name).toBe(0);
    }
    expect(['pass', 'inconclusive']).toContain(written.verdict);
    // this run's own containers (other runs may share the engine)
    const runId = /paired run (\S+),/.exec(run.stdout)?.[1];
    expect(runId).toBeDefined();
    expect(await listRunLeftovers(runId)).toEqual({ containers: 0, networks: 0 });
  });
});
