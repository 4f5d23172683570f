import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { drainingLevels, level, request } from '../report/testing/draining-pool.ts';
import { checkThresholds, evaluateGate, type GateThreshold } from './evaluate.ts';

const reasons = (thresholds: GateThreshold[], levels = drainingLevels()) =>
  evaluateGate(levels, thresholds, 'closed').breaches.map((b) => b.reason);

describe('evaluateGate on a draining pool', () => {
  it('breaches the latency limit only at the high levels', () => {
    const gate = evaluateGate(drainingLevels(), [{ metric: 'p95', maxMs: 150, request: 'items' }], 'closed');
    expect(gate.checked).toBe(5);
    expect(gate.breaches.map((b) => b.level)).toEqual([16, 32]);
    expect(gate.breaches.map((b) => b.reason)).toEqual([
      'p95 of items at 16 VUs (clean): 180 ms > 150 ms limit',
      'p95 of items at 32 VUs (clean): 912 ms > 150 ms limit',
    ]);
    expect(gate.breaches[1]).toEqual({
      metric: 'p95',
      phase: 'clean',
      level: 32,
      request: 'items',
      limit: 150,
      actual: 912.4,
      reason: 'p95 of items at 32 VUs (clean): 912 ms > 150 ms limit',
    });
    expect(gate.unmatched).toEqual([]);
  });

  it('applies a threshold without filters to every level and request', () => {
    const gate = evaluateGate(drainingLevels(), [{ metric: 'p95', maxMs: 800 }], 'closed');
    expect(gate.checked).toBe(10);
    expect(gate.breaches.map((b) => b.reason)).toEqual([
      'p95 of items at 32 VUs (clean): 912 ms > 800 ms limit',
    ]);
  });

  it('passes a value equal to the limit', () => {
    expect(reasons([{ metric: 'p95', maxMs: 912.4, request: 'items' }])).toEqual([]);
  });

  it('labels levels by the load model', () => {
    const gate = evaluateGate(drainingLevels(), [{ metric: 'p95', maxMs: 800 }], 'open');
    expect(gate.breaches[0]?.reason).toBe('p95 of items at 32 req/s (clean): 912 ms > 800 ms limit');
  });

  it('prints small latencies with a decimal, and enough digits to tell actual from limit', () => {
    expect(reasons([{ metric: 'p95', maxMs: 2.5, request: 'health' }])).toEqual([
      'p95 of health at 16 VUs (clean): 2.7 ms > 2.5 ms limit',
      'p95 of health at 32 VUs (clean): 2.9 ms > 2.5 ms limit',
    ]);
    expect(reasons([{ metric: 'p95', maxMs: 912, request: 'items', level: 32 }])).toEqual([
      'p95 of items at 32 VUs (clean): 912.4 ms > 912 ms limit',
    ]);
    const near = [
      level({ level: 1, requests: [request({ name: 'a', p95Ms: 5.04, timeoutRate: 0.0010004 })] }),
    ];
    expect(
      reasons(
        [
          { metric: 'p95', maxMs: 5 },
          { metric: 'timeoutRate', maxRate: 0.001 },
        ],
        near,
      ),
    ).toEqual([
      'p95 of a at 1 VU (clean): 5.04 ms > 5 ms limit',
      'timeout rate of a at 1 VU (clean): 0.10004% > 0.1% limit',
    ]);
  });
});

describe('rate thresholds', () => {
  it('breaches a timeout rate as a percentage', () => {
    expect(reasons([{ metric: 'timeoutRate', maxRate: 0.001 }])).toEqual([
      'timeout rate of items at 32 VUs (clean): 0.42% > 0.1% limit',
    ]);
  });

  it('breaches a zero-tolerance rate at the first failure, however small', () => {
    expect(reasons([{ metric: 'errorRate', maxRate: 0, request: 'items' }])).toEqual([
      'error rate of items at 16 VUs (clean): 0.04% > 0% limit',
      'error rate of items at 32 VUs (clean): 0.42% > 0% limit',
    ]);
    const tiny = [level({ level: 10, requests: [request({ name: 'a', http5xxRate: 0.00001 })] })];
    expect(reasons([{ metric: 'http5xxRate', maxRate: 0 }], tiny)).toEqual([
      '5xx rate of a at 10 VUs (clean): 0.001% > 0% limit',
    ]);
  });

  it('names each rate metric', () => {
    const one = [
      level({
        level: 5,
        requests: [request({ name: 'a', connectionErrorRate: 0.02, http4xxRate: 0.5, errorRate: 0.52 })],
      }),
    ];
    expect(
      reasons(
        [
          { metric: 'connectionErrorRate', maxRate: 0.01 },
          { metric: 'http4xxRate', maxRate: 0.1 },
        ],
        one,
      ),
    ).toEqual([
      'connection error rate of a at 5 VUs (clean): 2% > 1% limit',
      '4xx rate of a at 5 VUs (clean): 50% > 10% limit',
    ]);
  });

  it('breaches a throughput below its minimum', () => {
    expect(reasons([{ metric: 'throughputRps', minRps: 40, request: 'items' }])).toEqual([
      'throughput of items at 32 VUs (clean): 35.1 req/s < 40 req/s minimum',
    ]);
  });
});

describe('filters', () => {
  const twoPhases = [...drainingLevels('clean'), ...drainingLevels('latency')];

  it('limits a threshold to one level', () => {
    const gate = evaluateGate(twoPhases, [{ metric: 'p95', maxMs: 150, level: 16 }], 'closed');
    expect(gate.checked).toBe(4);
    expect(gate.breaches.map((b) => `${b.phase}/${b.level}/${b.request}`)).toEqual([
      'clean/16/items',
      'latency/16/items',
    ]);
  });

  it('limits a threshold to one phase and request', () => {
    const gate = evaluateGate(
      twoPhases,
      [{ metric: 'p95', maxMs: 150, phase: 'latency', request: 'items' }],
      'closed',
    );
    expect(gate.checked).toBe(5);
    expect(gate.breaches.map((b) => b.reason)).toEqual([
      'p95 of items at 16 VUs (latency): 180 ms > 150 ms limit',
      'p95 of items at 32 VUs (latency): 912 ms > 150 ms limit',
    ]);
  });

  it('counts every threshold × cell check', () => {
    const gate = evaluateGate(
      twoPhases,
      [
        { metric: 'p95', maxMs: 10_000 },
        { metric: 'errorRate', maxRate: 1, request: 'health' },
        { metric: 'p99', maxMs: 10_000, level: 1, phase: 'clean' },
      ],
      'closed',
    );
    expect(gate).toEqual({ checked: 20 + 10 + 2, breaches: [], unmatched: [] });
  });

  it('reports a threshold that matches nothing instead of passing it silently', () => {
    const gate = evaluateGate(
      drainingLevels(),
      [{ metric: 'p95', maxMs: 100, request: 'itmes', level: 20 }],
      'closed',
    );
    expect(gate.checked).toBe(0);
    expect(gate.unmatched).toEqual([
      'gate threshold p95 ≤ 100 ms for request "itmes", level 20 VUs matched nothing measured, so it checked nothing',
    ]);
  });
});

describe('null latency', () => {
  const silent = [
    level({
      level: 50,
      requests: [request({ name: 'items', count: 0, p50Ms: null, p95Ms: null, p99Ms: null, maxMs: null })],
    }),
  ];

  it('breaches a latency limit when no request completed', () => {
    const gate = evaluateGate(silent, [{ metric: 'p95', maxMs: 800 }], 'closed');
    expect(gate.checked).toBe(1);
    expect(gate.breaches).toEqual([
      {
        metric: 'p95',
        phase: 'clean',
        level: 50,
        request: 'items',
        limit: 800,
        actual: null,
        reason: 'p95 of items at 50 VUs (clean): no request completed (limit 800 ms)',
      },
    ]);
  });

  it('names max latency in words', () => {
    expect(reasons([{ metric: 'max', maxMs: 5 }], silent)).toEqual([
      'max latency of items at 50 VUs (clean): no request completed (limit 5 ms)',
    ]);
  });
});

describe('names in reasons', () => {
  it('stay on one line and are clipped', () => {
    const hostile = [level({ level: 1, requests: [request({ name: `a\nb${'x'.repeat(500)}`, p95Ms: 99 })] })];
    const [reason] = reasons([{ metric: 'p95', maxMs: 1 }], hostile);
    expect(reason).not.toContain('\n');
    expect(reason).toMatch(/^p95 of a bx+… at 1 VU \(clean\): 99 ms > 1 ms limit$/);
    expect(reason?.length).toBeLessThan(120);
  });
});

describe('malformed thresholds', () => {
  it('are every one reported, with its path', () => {
    const bad = [
      { metric: 'p95', maxRate: 0.1 },
      { metric: 'errorRate', maxRate: 5 },
      { metric: 'throughputRps', minRps: Number.NaN },
      { metric: 'p42', maxMs: 1 },
    ] as unknown as GateThreshold[];
    expect(checkThresholds(bad)).toEqual([
      'thresholds[0].maxMs: p95 needs maxMs, a finite number ≥ 0',
      'thresholds[0].maxRate: does not apply to p95 (use maxMs)',
      'thresholds[1].maxRate: a share 0..1 (0.001 is 0.1%), got 5',
      'thresholds[2].minRps: throughputRps needs minRps, a finite number ≥ 0',
      'thresholds[3].metric: unknown metric "p42"',
    ]);
    expect(() => evaluateGate(drainingLevels(), bad, 'closed')).toThrow(ConfigError);
  });
});
