import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { at, type DemoRun, demoService, demoUpstream, POSTGRES, runConfig } from './demo.ts';

// A slow upstream, end to end: the demo's upstream container (120 ms per /quote) behind
// Toxiproxy, and a degraded phase adding 780 ms of latency to its answers (900 ms in all).
// The demo holds its DB connection (pool of 10) across the upstream call, so at 30 VUs a slow
// upstream drains the pool. Three whole runs, two levels (1 and 30 VUs) of 4 s (after 3 s of
// warm-up) per phase:
//   no upstream timeout (DEMO_UPSTREAM_TIMEOUT_MS=0), phases clean and degraded;
//   a 300 ms upstream timeout, phases clean, degraded and recovery;
//   the same with DEMO_LEAK=1 (a failed upstream call keeps its DB connection).
// Cost: about 3 minutes on 2 cores.
const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-upstream-int-'));
const ADDED_MS = 780;
const TOP = 30;

const degraded = { name: 'degraded', toxics: { upstream: [{ type: 'latency', latency: `${ADDED_MS}ms` }] } };

function config(env: Record<string, string>, phases: unknown[]) {
  return {
    service: demoService('upstream', env),
    dependencies: { db: POSTGRES },
    upstreams: { upstream: demoUpstream(120) },
    load: {
      levels: [1, TOP],
      levelDuration: '4s',
      // longer than a level's drain (timeout + 0.5 s): the top level's last requests never
      // spill into the next phase's lowest level
      warmup: '3s',
      requestTimeout: '2s',
      probe: { path: '/health', rate: 5, idle: '1s' },
      requests: [{ name: 'items', path: '/items' }],
    },
    phases,
  };
}

const runs: Record<'noTimeout' | 'timeout300' | 'leak', DemoRun> = {} as never;

beforeAll(async () => {
  runs.noTimeout = await runConfig(
    join(outRoot, 'no-timeout'),
    config({ DEMO_UPSTREAM_TIMEOUT_MS: '0' }, ['clean', degraded]),
  );
  runs.timeout300 = await runConfig(
    join(outRoot, 'timeout-300'),
    config({ DEMO_UPSTREAM_TIMEOUT_MS: '300' }, ['clean', degraded, 'recovery']),
  );
  runs.leak = await runConfig(
    join(outRoot, 'leak'),
    config({ DEMO_UPSTREAM_TIMEOUT_MS: '300', DEMO_LEAK: '1' }, ['clean', degraded, 'recovery']),
  );
});

afterAll(() => {
  if (!process.env.LOADGATE_KEEP_OUT) rmSync(outRoot, { recursive: true, force: true });
});

const timeouts = (run: DemoRun, level: number) => {
  const { request } = at(run.result, 'degraded', level);
  return Math.round(request.timeoutRate * request.count);
};

describe('a slow upstream behind Toxiproxy', () => {
  it('at the lowest level, p95 of the calling endpoint rises by the added latency (within 20%)', () => {
    const clean = at(runs.noTimeout.result, 'clean', 1).request.p95Ms as number;
    const slow = at(runs.noTimeout.result, 'degraded', 1).request.p95Ms as number;
    expect(slow - clean).toBeGreaterThanOrEqual(ADDED_MS * 0.8);
    expect(slow - clean).toBeLessThanOrEqual(ADDED_MS * 1.2);
    // the clean phase really ran at the upstream's own speed
    expect(clean).toBeLessThan(400);
    expect(runs.noTimeout.result.phases.find((p) => p.name === 'degraded')?.faults).toEqual([
      `upstream: latency +${ADDED_MS} ms`,
    ]);
  });

  it('without an upstream timeout the top level times out on the client', () => {
    expect(timeouts(runs.noTimeout, TOP)).toBeGreaterThan(0);
    expect(at(runs.noTimeout.result, 'degraded', TOP).request.timeoutRate).toBeGreaterThan(
      at(runs.noTimeout.result, 'clean', TOP).request.timeoutRate,
    );
  });

  it('with a 300 ms upstream timeout the same level answers 5xx, with at most a fifth as many timeouts', () => {
    const { request } = at(runs.timeout300.result, 'degraded', TOP);
    expect(request.http5xxRate).toBeGreaterThan(0);
    expect(timeouts(runs.timeout300, TOP) * 5).toBeLessThanOrEqual(timeouts(runs.noTimeout, TOP));
  });

  it('the healthy demo recovers when the fault ends: a finite recovery time', () => {
    const recovery = runs.timeout300.result.phases.find((p) => p.name === 'recovery');
    expect(recovery?.recoveryMeasured).toBe(true);
    expect(recovery?.recoverySeconds).not.toBeNull();
    expect(runs.timeout300.report).toMatch(/### Phase: recovery\n\nRecovery: [0-9.]+ s\./);
  });

  it('with DEMO_LEAK=1 it does not: "not recovered"', () => {
    const recovery = runs.leak.result.phases.find((p) => p.name === 'recovery');
    expect(recovery).toMatchObject({ recoveryMeasured: true, recoverySeconds: null });
    expect(runs.leak.report).toContain('Recovery: **not recovered**');
    // leaked connections: the pool stays empty, so the recovery phase still fails
    expect(at(runs.leak.result, 'recovery', 1).request.errorRate).toBeGreaterThan(0.5);
  });

  it('leaves nothing running', async () => {
    for (const run of Object.values(runs))
      expect(await listRunLeftovers(run.result.runId)).toEqual({ containers: 0, networks: 0 });
  });
});
