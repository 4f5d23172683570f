import { describe, expect, it } from 'vitest';
import type { LevelResult, RequestResult, Result } from '../result/schema.ts';
import { diagnoseLevel, findSlowLevels, isSlow, SLOW_RULES } from './blocking.ts';

// Numbers from the measurements (FastAPI demo, asyncpg pool of 10, 40 clients):
// /health p99 idle 0.6 ms; under load 5 ms when healthy, 405 ms with a blocking call in the
// handler; pool 2 instead of 10: main p50 113 → 447 ms while the probe stayed at 1.4 ms.
describe('isSlow', () => {
  it('needs the ratio and the floor together', () => {
    // a healthy busy service: 8× idle, but only 4.4 ms more
    expect(isSlow(5, 0.6, SLOW_RULES.probe)).toBe(false);
    expect(isSlow(405, 0.6, SLOW_RULES.probe)).toBe(true);
    // a slow health check: 4× idle is 300 ms more, yet below the ratio
    expect(isSlow(400, 100, SLOW_RULES.probe)).toBe(false);
    expect(isSlow(500, 100, SLOW_RULES.probe)).toBe(true);
    // exactly on both edges counts
    expect(isSlow(62.5, 12.5, SLOW_RULES.probe)).toBe(true);
    expect(isSlow(62.4, 12.5, SLOW_RULES.probe)).toBe(false);
  });

  it('says nothing without both numbers', () => {
    expect(isSlow(null, 1, SLOW_RULES.probe)).toBeNull();
    expect(isSlow(1, null, SLOW_RULES.probe)).toBeNull();
  });
});

describe('diagnoseLevel', () => {
  const idle = { probeReferenceP95Ms: 0.6, mainReferenceP95Ms: 113 };

  it('main slow and probe slow: blocking', () => {
    expect(diagnoseLevel({ ...idle, mainP95Ms: 600, probeP95Ms: 405 })).toBe('blocking');
  });

  it('probe slow while the main request still looks normal: blocking too', () => {
    expect(diagnoseLevel({ ...idle, mainP95Ms: 150, probeP95Ms: 405 })).toBe('blocking');
  });

  it('main slow, probe fast: a wait on a resource', () => {
    expect(diagnoseLevel({ ...idle, mainP95Ms: 447, probeP95Ms: 1.4 })).toBe('resource-wait');
  });

  it('a healthy busy service: nothing', () => {
    expect(diagnoseLevel({ ...idle, mainP95Ms: 140, probeP95Ms: 5 })).toBe('none');
  });

  it('main slow and no probe: slow, cause unknown', () => {
    expect(diagnoseLevel({ ...idle, mainP95Ms: 447, probeP95Ms: null })).toBe('slow-unexplained');
    expect(
      diagnoseLevel({ mainP95Ms: 447, mainReferenceP95Ms: 113, probeP95Ms: 3, probeReferenceP95Ms: null }),
    ).toBe('slow-unexplained');
  });

  it('main request without responses: nothing to judge', () => {
    expect(diagnoseLevel({ ...idle, mainP95Ms: null, probeP95Ms: 1 })).toBe('none');
  });
});

function request(name: string, p95Ms: number | null): RequestResult {
  return {
    name,
    count: 100,
    throughputRps: 10,
    p50Ms: p95Ms,
    p90Ms: p95Ms,
    p95Ms,
    p99Ms: p95Ms,
    maxMs: p95Ms,
    errorRate: 0,
    timeoutRate: 0,
    connectionErrorRate: 0,
    http5xxRate: 0,
    http4xxRate: 0,
  };
}

function level(phase: string, n: number, probe: number | null, items: number | null): LevelResult {
  return {
    phase,
    level: n,
    durationS: 10,
    droppedIterations: 0,
    requests: [request('items', items), request('health', 2)],
    probe: { p95Ms: probe },
    pool: { waitP95Ms: null, waitMeanMs: null, timeouts: null, peakDbConnections: null },
  };
}

type Run = Pick<Result, 'phases' | 'levels' | 'probeIdleP95Ms'>;

describe('findSlowLevels', () => {
  it('blocking: names every level where the probe is slow, with the slow main requests', () => {
    const run: Run = {
      probeIdleP95Ms: 0.8,
      phases: [{ name: 'clean', recoverySeconds: null }],
      levels: [level('clean', 1, 2, 70), level('clean', 4, 70, 110), level('clean', 8, 150, 180)],
    };
    expect(findSlowLevels(run)).toEqual([
      {
        phase: 'clean',
        level: 4,
        diagnosis: 'blocking',
        referencePhase: 'clean',
        slowRequests: [],
        probeP95Ms: 70,
        probeReferenceP95Ms: 0.8,
      },
      {
        phase: 'clean',
        level: 8,
        diagnosis: 'blocking',
        referencePhase: 'clean',
        slowRequests: [{ name: 'items', p95Ms: 180, referenceP95Ms: 70 }],
        probeP95Ms: 150,
        probeReferenceP95Ms: 0.8,
      },
    ]);
  });

  it('a drained pool: main slow, probe fast', () => {
    const run: Run = {
      probeIdleP95Ms: 0.6,
      phases: [{ name: 'clean', recoverySeconds: null }],
      levels: [level('clean', 1, 1.1, 113), level('clean', 40, 1.4, 447)],
    };
    expect(findSlowLevels(run).map((f) => [f.level, f.diagnosis, f.slowRequests.map((r) => r.name)])).toEqual(
      [[40, 'resource-wait', ['items']]],
    );
  });

  it('judges a faulty phase against the first phase without faults, at its lowest level', () => {
    const run: Run = {
      probeIdleP95Ms: null,
      phases: [
        { name: 'degraded', recoverySeconds: null, faults: ['upstream: latency 780 ms'] },
        { name: 'clean', recoverySeconds: null, faults: [] },
      ],
      levels: [level('degraded', 1, 1.5, 905), level('clean', 1, 1.2, 125), level('clean', 2, 1.3, 130)],
    };
    // no idle probe: the reference level's probe stands in for it
    expect(findSlowLevels(run)).toEqual([
      {
        phase: 'degraded',
        level: 1,
        diagnosis: 'resource-wait',
        referencePhase: 'clean',
        slowRequests: [{ name: 'items', p95Ms: 905, referenceP95Ms: 125 }],
        probeP95Ms: 1.5,
        probeReferenceP95Ms: 1.2,
      },
    ]);
  });

  it('no probe at all: slow levels are found but not explained', () => {
    const run: Run = {
      probeIdleP95Ms: null,
      phases: [{ name: 'clean', recoverySeconds: null }],
      levels: [level('clean', 1, null, 100), level('clean', 10, null, 400)],
    };
    expect(findSlowLevels(run).map((f) => f.diagnosis)).toEqual(['slow-unexplained']);
    expect(findSlowLevels({ ...run, levels: [] })).toEqual([]);
  });
});
