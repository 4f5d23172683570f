import { describe, expect, it } from 'vitest';
import type { PhaseConfig } from '../config/schema.ts';
import { buildLadderPlan } from '../load/plan.ts';
import type { LevelTotals, TimelineBucket } from '../load/summary.ts';
import { bandsFor, phaseResults, phaseRoles, recoverySeconds, withinBand } from './recovery.ts';

const clean: PhaseConfig = { name: 'clean', toxics: {}, stubs: {} };
const degraded: PhaseConfig = {
  name: 'degraded',
  toxics: { upstream: [{ type: 'latency', latencyMs: 780, jitterMs: 0, stream: 'downstream', toxicity: 1 }] },
  stubs: {},
};
const recovery: PhaseConfig = { name: 'recovery', toxics: {}, stubs: {} };

describe('phaseRoles', () => {
  it('the first clean phase is the reference; a clean phase right after a faulty one measures recovery', () => {
    expect(phaseRoles([clean, degraded, recovery])).toEqual({
      reference: 'clean',
      roles: [
        { name: 'clean', faults: [], measuresRecovery: false },
        { name: 'degraded', faults: ['upstream: latency +780 ms'], measuresRecovery: false },
        { name: 'recovery', faults: [], measuresRecovery: true },
      ],
    });
    // no clean phase before it: nothing to recover to
    expect(phaseRoles([degraded, recovery]).roles.map((r) => r.measuresRecovery)).toEqual([false, false]);
    expect(phaseRoles([degraded]).reference).toBeNull();
  });
});

const bucket = (index: number, count: number, p95Ms: number | null, failed = 0): TimelineBucket => ({
  index,
  startS: index,
  count,
  p95Ms,
  failed,
});

describe('withinBand', () => {
  const band = { p95Ms: 120, p99Ms: null, errorRate: 0 };
  it('p95 within 1.5× and 25 ms of the band (or its p99), failures within chance', () => {
    expect(withinBand(bucket(0, 8, 180), band)).toBe(true);
    expect(withinBand(bucket(0, 8, 181), band)).toBe(false);
    // a small band gets the floor: 10 ms + 25 ms
    expect(withinBand(bucket(0, 8, 35), { p95Ms: 10, p99Ms: null, errorRate: 0 })).toBe(true);
    expect(withinBand(bucket(0, 8, 36), { p95Ms: 10, p99Ms: null, errorRate: 0 })).toBe(false);
    // a slice of a few requests: its p95 is nearly its maximum, so the reference's p99 counts too
    expect(withinBand(bucket(0, 8, 300), { p95Ms: 170, p99Ms: 320, errorRate: 0 })).toBe(true);
    expect(withinBand(bucket(0, 8, 321), { p95Ms: 170, p99Ms: 320, errorRate: 0 })).toBe(false);
    // one failure is chance, two are not, when the band has none
    expect(withinBand(bucket(0, 8, 120, 1), band)).toBe(true);
    expect(withinBand(bucket(0, 8, 120, 2), band)).toBe(false);
    // 2% errors: in 50 requests 1 is expected, up to 1 + 3·1 + 1 = 5 allowed
    expect(withinBand(bucket(0, 50, 120, 5), { p95Ms: 120, p99Ms: null, errorRate: 0.02 })).toBe(true);
    expect(withinBand(bucket(0, 50, 120, 6), { p95Ms: 120, p99Ms: null, errorRate: 0.02 })).toBe(false);
    expect(withinBand(bucket(0, 0, null), band)).toBeNull();
  });
});

describe('recoverySeconds', () => {
  const band = () => ({ p95Ms: 120, p99Ms: null, errorRate: 0 });
  it('counts from the phase start to the first slice after which everything stays in the band', () => {
    const buckets = [
      bucket(0, 3, 900),
      bucket(1, 8, 400),
      bucket(2, 8, 130),
      bucket(3, 0, null),
      bucket(4, 8, 125),
    ];
    expect(recoverySeconds(buckets, band)).toBe(2);
    expect(recoverySeconds([bucket(0, 8, 125), bucket(1, 8, 130)], band)).toBe(0);
  });

  it('a dip back into the band that does not last is not recovery', () => {
    const buckets = [bucket(0, 8, 125), bucket(1, 8, 900), bucket(2, 8, 125), bucket(3, 2, 2000, 2)];
    expect(recoverySeconds(buckets, band)).toBeNull();
  });

  it('nothing measured, or no band: not recovered', () => {
    expect(recoverySeconds([bucket(0, 0, null)], band)).toBeNull();
    expect(recoverySeconds([bucket(0, 8, 100)], () => null)).toBeNull();
  });
});

describe('bandsFor and phaseResults', () => {
  const plan = buildLadderPlan({
    baseUrl: 'http://127.0.0.1:1',
    model: 'closed',
    levels: [1, 30],
    levelDurationS: 4,
    warmupS: 1,
    requestTimeoutMs: 2000,
    requests: [{ name: 'items', path: '/items' }],
    phases: ['clean', 'degraded', 'recovery'],
    probe: { path: '/health', ratePerS: 5, idleS: 2 },
    timelinePhases: ['recovery'],
  });
  const totals: LevelTotals[] = [
    { phase: 'clean', levelIndex: 0, level: 1, count: 30, p95Ms: 125, p99Ms: 140, errorRate: 0 },
    { phase: 'clean', levelIndex: 1, level: 30, count: 300, p95Ms: 400, p99Ms: 700, errorRate: 0.01 },
  ];

  it("takes each slice's band from the reference phase at the level running then", () => {
    const timeline = plan.timelines?.[0];
    expect(timeline).toEqual({ phase: 'recovery', startS: 27, bucketS: 1, buckets: 10 });
    const bandOf = bandsFor(
      plan,
      totals,
      'clean',
      'recovery',
      timeline as { startS: number; bucketS: number },
    );
    // slices 0-4: warm-up and level 1; 5-9: level 30
    expect([0, 4, 5, 9].map((i) => bandOf(bucket(i, 1, 1))?.p95Ms)).toEqual([125, 125, 400, 400]);
  });

  it('fills result.json phases: faults, and recovery where measured', () => {
    const healthy = Array.from({ length: 10 }, (_, i) => bucket(i, 10, i < 5 ? (i === 0 ? 700 : 130) : 420));
    const phases = phaseResults([clean, degraded, recovery], plan, {
      levelTotals: totals,
      timelines: [{ phase: 'recovery', bucketS: 1, buckets: healthy }],
    });
    expect(phases).toEqual([
      { name: 'clean', recoverySeconds: null, recoveryMeasured: false, faults: [] },
      {
        name: 'degraded',
        recoverySeconds: null,
        recoveryMeasured: false,
        faults: ['upstream: latency +780 ms'],
      },
      { name: 'recovery', recoverySeconds: 1, recoveryMeasured: true, faults: [] },
    ]);
    const leaking = Array.from({ length: 10 }, (_, i) => bucket(i, 2, 2000, 2));
    expect(
      phaseResults([clean, degraded, recovery], plan, {
        levelTotals: totals,
        timelines: [{ phase: 'recovery', bucketS: 1, buckets: leaking }],
      })[2],
    ).toEqual({ name: 'recovery', recoverySeconds: null, recoveryMeasured: true, faults: [] });
  });
});
