import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { at, type DemoRun, demoService, POSTGRES, runConfig } from './demo.ts';

// The built-in stub upstream for a third-party API, end to end: the demo calls it for /quote
// (through Toxiproxy), the stub answers after 5 ms and fails 2% of the calls with 503, which
// the demo turns into 502. Postgres is proxied too. A second phase makes the stub slower
// (200 ms) and healthy, and adds 50 ms to the database's answers. One run,
// one level of 4 s per phase. Cost: about 40 s on 2 cores (more the first time: the stub's
// image is built from debian:bookworm-slim and Debian's python3).
const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-stub-int-'));
let run: DemoRun;

beforeAll(async () => {
  run = await runConfig(join(outRoot, 'stub'), {
    service: demoService('quote'),
    // Postgres behind Toxiproxy too: the demo's DATABASE_URL names the proxy
    dependencies: { db: { ...POSTGRES, proxied: true } },
    upstreams: {
      quote: {
        stub: {
          routes: [{ path: '/quote', body: { symbol: 'DEMO', price_cents: 4217 } }],
          latency: { fixed: '5ms' },
          errors: [{ status: 503, rate: '2%' }],
        },
      },
    },
    load: {
      levels: [1],
      levelDuration: '4s',
      warmup: '1s',
      requestTimeout: '2s',
      requests: [{ name: 'items', path: '/items' }],
    },
    phases: [
      'clean',
      {
        name: 'slow',
        toxics: { db: [{ type: 'latency', latency: '50ms' }] },
        stubs: { quote: { latency: { fixed: '200ms' }, errors: [] } },
      },
    ],
  });
});

afterAll(() => {
  if (!process.env.LOADGATE_KEEP_OUT) rmSync(outRoot, { recursive: true, force: true });
});

describe('the stub upstream', () => {
  it('2% 503 from the stub: the error rate at the lowest level is within 1.5 points of 2%', () => {
    const { request } = at(run.result, 'clean', 1);
    expect(request.count).toBeGreaterThan(100);
    expect(Math.abs(request.errorRate - 0.02)).toBeLessThanOrEqual(0.015);
    // every failure is the demo's 502 for the stub's 503
    expect(request.http5xxRate).toBe(request.errorRate);
  });

  it("a phase changes the stub's behaviour (slower, no errors) and slows the proxied database", () => {
    const clean = at(run.result, 'clean', 1).request;
    const slow = at(run.result, 'slow', 1).request;
    expect(slow.errorRate).toBe(0);
    // 195 ms more from the stub and 50 ms on the database's answer
    expect((slow.p50Ms as number) - (clean.p50Ms as number)).toBeGreaterThan(220);
    expect(run.result.phases.find((p) => p.name === 'slow')?.faults).toEqual([
      'db: latency +50 ms',
      'quote (stub): latency 200 ms, no errors',
    ]);
    expect(run.steps).toContain('Toxiproxy in front of db, quote');
  });

  it('leaves nothing running', async () => {
    expect(await listRunLeftovers(run.result.runId)).toEqual({ containers: 0, networks: 0 });
  });
});
