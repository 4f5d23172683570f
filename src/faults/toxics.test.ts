import { describe, expect, it } from 'vitest';
import type { PhaseConfig } from '../config/schema.ts';
import { stubBehaviour } from './stub.ts';
import { describeFaults, hasFaults, proxyStates, toxicBody } from './toxics.ts';

const degraded: PhaseConfig = {
  name: 'degraded',
  toxics: {
    upstream: [{ type: 'latency', latencyMs: 780, jitterMs: 20, stream: 'downstream', toxicity: 1 }],
    db: [
      { type: 'bandwidth', kilobytesPerSecond: 64, stream: 'upstream', toxicity: 0.5 },
      { type: 'timeout', timeoutMs: 0, stream: 'downstream', toxicity: 1 },
      { type: 'down' },
    ],
  },
  stubs: { payments: { latency: { kind: 'fixed', ms: 900 }, errors: [{ status: 503, rate: 0.02 }] } },
};

describe('toxicBody', () => {
  it("speaks Toxiproxy's API: its attribute names and units", () => {
    expect(
      toxicBody({ type: 'latency', latencyMs: 780, jitterMs: 20, stream: 'downstream', toxicity: 1 }, 0),
    ).toEqual({
      name: 'latency_0',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 780, jitter: 20 },
    });
    const cases = [
      [{ type: 'timeout', timeoutMs: 0, stream: 'upstream', toxicity: 0.5 }, { timeout: 0 }],
      [{ type: 'reset_peer', timeoutMs: 100, stream: 'downstream', toxicity: 1 }, { timeout: 100 }],
      [{ type: 'bandwidth', kilobytesPerSecond: 64, stream: 'downstream', toxicity: 1 }, { rate: 64 }],
      [{ type: 'slow_close', delayMs: 500, stream: 'downstream', toxicity: 1 }, { delay: 500 }],
      [{ type: 'limit_data', bytes: 1000, stream: 'downstream', toxicity: 1 }, { bytes: 1000 }],
    ] as const;
    for (const [toxic, attributes] of cases) expect(toxicBody(toxic, 3)?.attributes).toEqual(attributes);
    expect(toxicBody({ type: 'down' }, 0)).toBeNull();
  });
});

describe('proxyStates', () => {
  it('puts every proxy into the phase: its toxics in order, down as disabled, the others clean', () => {
    const states = proxyStates(['db', 'upstream', 'cache'], degraded);
    expect(states.get('db')).toEqual({
      enabled: false,
      toxics: [
        {
          name: 'bandwidth_0',
          type: 'bandwidth',
          stream: 'upstream',
          toxicity: 0.5,
          attributes: { rate: 64 },
        },
        { name: 'timeout_1', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } },
      ],
    });
    expect(states.get('upstream')?.toxics.map((t) => t.type)).toEqual(['latency']);
    expect(states.get('cache')).toEqual({ enabled: true, toxics: [] });
    expect([...proxyStates(['db'], null).values()]).toEqual([{ enabled: true, toxics: [] }]);
  });
});

describe('hasFaults and describeFaults', () => {
  it('a phase with toxics or stub changes has faults, one line per target', () => {
    expect(hasFaults(degraded)).toBe(true);
    expect(hasFaults({ toxics: { db: [] }, stubs: { payments: {} } })).toBe(false);
    expect(describeFaults(degraded)).toEqual([
      'upstream: latency +780 ms ± 20 ms',
      'db: bandwidth 64 KB/s, on requests, 50% of connections, data stops (connections hang), down (connections refused)',
      'payments (stub): latency 900 ms, 503 for 2% of requests',
    ]);
    expect(
      describeFaults({
        toxics: {},
        stubs: { a: { latency: { kind: 'lognormal', p50Ms: 100, p99Ms: 400 }, errors: [] } },
      }),
    ).toEqual(['a (stub): latency p50 100 ms, p99 400 ms (lognormal), no errors']);
  });
});

describe('stubBehaviour', () => {
  it("keeps the routes, takes the phase's latency and errors where it sets them", () => {
    const base = {
      routes: [{ path: '/q', prefix: false, method: null, status: 200, headers: {}, body: '{}' }],
      latency: { kind: 'fixed' as const, ms: 120 },
      errors: [{ status: 503, rate: 0.02 }],
    };
    expect(stubBehaviour(base, undefined)).toEqual(base);
    expect(stubBehaviour(base, { latency: { kind: 'fixed', ms: 900 } })).toEqual({
      ...base,
      latency: { kind: 'fixed', ms: 900 },
    });
    expect(stubBehaviour(base, { errors: [] }).errors).toEqual([]);
  });
});
