import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STUB_PORT } from '../../src/config/schema.ts';
import { RunContainers } from '../../src/containers/environment.ts';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { InfraError } from '../../src/errors.ts';
import { setStubBehaviour, stubContainerSpec, stubStats } from '../../src/faults/stub.ts';
import { proxyStates } from '../../src/faults/toxics.ts';
import { FaultProxy } from '../../src/faults/toxiproxy.ts';

// The two fault components on their own: the built-in stub (its image built from
// stub-upstream/) behind the run's Toxiproxy, both on one run network, driven from here through
// the proxy's mapped port. Cost: about 15 s on 2 cores.
const runId = `toxiproxy-int-${process.pid}`;
const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-toxiproxy-int-'));
let containers: RunContainers;
let proxy: FaultProxy;
let stubUrl: string;
let viaProxy: string;

const routes = [
  { path: '/quote', prefix: false, method: null, status: 200, headers: {}, body: '{"price":1}' },
];

beforeAll(async () => {
  containers = await RunContainers.create({ runId, logsDir: join(outRoot, 'logs') });
  proxy = await FaultProxy.start({
    runId,
    logsDir: join(outRoot, 'logs'),
    targets: [{ name: 'api', host: 'api', port: STUB_PORT }],
  });
  const stub = await containers.start(
    stubContainerSpec('api', { routes, latency: { kind: 'fixed', ms: 0 }, errors: [] }),
  );
  stubUrl = `http://127.0.0.1:${stub.hostPorts.get(STUB_PORT)}`;
  const address = proxy.hostAddresses.api;
  viaProxy = `http://${address?.host}:${address?.port}`;
});

afterAll(async () => {
  await proxy?.[Symbol.asyncDispose]();
  await containers?.[Symbol.asyncDispose]();
  rmSync(outRoot, { recursive: true, force: true });
});

/** Milliseconds a GET takes, and its status (0: no answer). */
async function timed(url: string): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await res.text();
    return { ms: performance.now() - started, status: res.status };
  } catch {
    return { ms: performance.now() - started, status: 0 };
  }
}

describe('Toxiproxy in front of the stub', () => {
  it('passes requests through, and names the proxy on the network for the service', async () => {
    expect(proxy.addresses.api).toEqual({ host: 'loadgate-toxiproxy', port: 8666 });
    expect((await timed(`${viaProxy}/quote`)).status).toBe(200);
    expect((await timed(`${viaProxy}/other`)).status).toBe(404);
  });

  it('applies a phase: latency on the answers, then down, then clean again', async () => {
    await proxy.apply(
      proxyStates(['api'], {
        name: 'slow',
        toxics: {
          api: [{ type: 'latency', latencyMs: 300, jitterMs: 0, stream: 'downstream', toxicity: 1 }],
        },
        stubs: {},
      }),
    );
    expect(await proxy.describe()).toMatchObject({
      api: { enabled: true, toxics: [{ type: 'latency', attributes: { latency: 300, jitter: 0 } }] },
    });
    const slow = await timed(`${viaProxy}/quote`);
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(300);

    await proxy.apply(proxyStates(['api'], { name: 'down', toxics: { api: [{ type: 'down' }] }, stubs: {} }));
    expect((await timed(`${viaProxy}/quote`)).status).toBe(0);

    await proxy.apply(proxyStates(['api'], null));
    expect(await proxy.describe()).toMatchObject({ api: { enabled: true, toxics: [] } });
    expect((await timed(`${viaProxy}/quote`)).status).toBe(200);
  });
});

describe('the stub upstream', () => {
  it('fails exactly its share of requests, spread evenly', async () => {
    await setStubBehaviour(stubUrl, {
      routes,
      latency: { kind: 'fixed', ms: 0 },
      errors: [{ status: 503, rate: 0.02 }],
    });
    const before = await stubStats(stubUrl);
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push((await timed(`${viaProxy}/quote`)).status);
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);
    expect(statuses.filter((s) => s === 200)).toHaveLength(98);
    const after = await stubStats(stubUrl);
    expect(after.requests - before.requests).toBe(100);
  });

  it('draws latencies from its distribution', async () => {
    await setStubBehaviour(stubUrl, {
      routes,
      latency: { kind: 'uniform', minMs: 40, maxMs: 80 },
      errors: [],
    });
    const uniform = await Promise.all(Array.from({ length: 40 }, () => timed(`${stubUrl}/quote`)));
    for (const r of uniform) expect(r.ms).toBeGreaterThanOrEqual(40);
    await setStubBehaviour(stubUrl, {
      routes,
      latency: { kind: 'lognormal', p50Ms: 50, p99Ms: 200 },
      errors: [],
    });
    const lognormal = (await Promise.all(Array.from({ length: 60 }, () => timed(`${stubUrl}/quote`))))
      .map((r) => r.ms)
      .sort((a, b) => a - b);
    // a long tail above a median near p50
    expect(lognormal[30]).toBeGreaterThan(30);
    expect(lognormal[59]).toBeGreaterThan(lognormal[30] ?? 0);
  });

  it('refuses a behaviour it cannot follow, saying why', async () => {
    const bad = { routes, latency: { kind: 'uniform', minMs: 90, maxMs: 10 }, errors: [] } as never;
    await expect(setStubBehaviour(stubUrl, bad)).rejects.toThrow(InfraError);
    await expect(setStubBehaviour(stubUrl, bad)).rejects.toThrow(/minMs is above maxMs/);
  });

  it('leaves nothing running once disposed', async () => {
    await proxy[Symbol.asyncDispose]();
    await containers[Symbol.asyncDispose]();
    expect(await listRunLeftovers(runId)).toEqual({ containers: 0, networks: 0 });
  });
});
