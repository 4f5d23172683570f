import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { CAUSE_WORDS } from '../../src/faults/diagnosis.ts';
import { at, type DemoRun, demoService, demoUpstream, POSTGRES, runConfig } from './demo.ts';

// The blocking detector end to end: the demo behind a 100 ms upstream, three whole runs of two
// levels (1 and 40 VUs) with the probe (/health, 10/s) beside each and an idle probe first:
// as it is, with a blocking call in its handler (DEMO_BLOCKING=1: 100 ms of time.sleep on the
// event loop per /items), and with a pool of 2. The probe waits for the blocked handler ahead
// of it on the event loop (a 20 ms call would hide in this machine's noise), while the healthy
// demo, held back by its pool (10 connections for 100 ms each), uses about a third of a core.
// Cost: about 1.5 minutes on 2 cores.
const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-blocking-int-'));
const TOP = 40;

function config(env: Record<string, string>) {
  return {
    // the blocking call, when DEMO_BLOCKING=1 switches it on, lasts 100 ms
    service: demoService('upstream', { DEMO_BLOCKING_MS: '100', ...env }),
    dependencies: { db: POSTGRES, upstream: demoUpstream(100) },
    load: {
      levels: [1, TOP],
      levelDuration: '4s',
      warmup: '1s',
      requestTimeout: '2s',
      probe: { path: '/health', rate: '10/s', idle: '2s' },
      requests: [{ name: 'items', path: '/items' }],
    },
  };
}

const runs: Record<'healthy' | 'blocking' | 'pool2', DemoRun> = {} as never;

beforeAll(async () => {
  runs.healthy = await runConfig(join(outRoot, 'healthy'), config({}));
  runs.blocking = await runConfig(join(outRoot, 'blocking'), config({ DEMO_BLOCKING: '1' }));
  runs.pool2 = await runConfig(join(outRoot, 'pool2'), config({ DEMO_POOL_SIZE: '2' }));
});

afterAll(() => {
  if (!process.env.LOADGATE_KEEP_OUT) rmSync(outRoot, { recursive: true, force: true });
});

const BLOCKING_WORDS = CAUSE_WORDS.blocking;

describe('the blocking detector on the demo', () => {
  it('measures the probe idle and beside every level', () => {
    for (const run of Object.values(runs)) {
      expect(run.result.probeIdleP95Ms).not.toBeNull();
      for (const level of run.result.levels) expect(level.probe.p95Ms).not.toBeNull();
    }
  });

  it('DEMO_BLOCKING=1: the probe under load is at least 5× slower than without it, and the report names blocking', () => {
    const blocked = at(runs.blocking.result, 'clean', TOP).level.probe.p95Ms as number;
    const healthy = at(runs.healthy.result, 'clean', TOP).level.probe.p95Ms as number;
    expect(blocked).toBeGreaterThanOrEqual(5 * healthy);
    expect(runs.blocking.report).toContain(BLOCKING_WORDS);
    expect(runs.blocking.report).toMatch(
      new RegExp(`- ${TOP} VUs: \\*\\*${BLOCKING_WORDS}\\*\\*: probe p95 [0-9.]+ ms \\(`),
    );
  });

  it('without it the report does not name blocking; with a pool of 2 it names the pool', () => {
    expect(runs.healthy.report).not.toContain(BLOCKING_WORDS);
    expect(runs.pool2.report).not.toContain(BLOCKING_WORDS);
    // a pool of 2 makes /items queue for connections while /health answers at once
    const pool2 = at(runs.pool2.result, 'clean', TOP);
    expect(pool2.request.p95Ms as number).toBeGreaterThan(
      2 * (at(runs.pool2.result, 'clean', 1).request.p95Ms as number),
    );
    expect(runs.pool2.report).toContain(CAUSE_WORDS.pool);
  });

  it('leaves nothing running', async () => {
    for (const run of Object.values(runs))
      expect(await listRunLeftovers(run.result.runId)).toEqual({ containers: 0, networks: 0 });
  });
});
