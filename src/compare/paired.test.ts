import { describe, expect, it } from 'vitest';
import { compareBaselines } from './compare.ts';
import {
  blockStatuses,
  comparePaired,
  type PairedOptions,
  pairedShift,
  pool,
  type Slot,
  slotSchedule,
} from './paired.ts';
import { DEFAULT_POLICY } from './policy.ts';
import { ComparisonSchema } from './schema.ts';
import { seededRandom } from './stats.ts';
import { lognormalSamples, syntheticBaseline } from './testing.ts';

const options: PairedOptions = {
  level: 40,
  model: 'open',
  baseline: {
    runId: 'base',
    startedAt: '2026-01-01T00:00:00Z',
    toolVersion: '0.1.0',
    commit: 'abc',
    source: 'git:main',
  },
};

interface World {
  blocks: number;
  seed: number;
  /** candidate latencies × this */
  effect?: number;
  /** the runner's speed: a slow drift over the run plus a jitter per slot (log sd) */
  driftPerSlot?: number;
  jitter?: number;
  requestsPerSlot?: number;
}

/** Slots of an ABBA run: one request 'items' (median 50 ms) and the canary (1 ms), both slowed by the runner alike. */
function simulate(world: World): Slot[] {
  const random = seededRandom(world.seed);
  const n = world.requestsPerSlot ?? 1000;
  return slotSchedule(world.blocks).map(({ block, position, variant }, i) => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const runner = Math.exp((world.driftPerSlot ?? 0) * i + (world.jitter ?? 0) * z);
    const effect = variant === 'candidate' ? (world.effect ?? 1) : 1;
    const samples = lognormalSamples(n, world.seed * 1000 + i, 50 * runner * effect, 0.3);
    return {
      block,
      position,
      variant,
      requests: [{ name: 'items', samples, count: n, errors: 0, timeouts: 0 }],
      canary: lognormalSamples(200, world.seed * 1000 + 500 + i, 5 * runner, 0.1),
      droppedIterations: 0,
    };
  });
}

describe('slotSchedule', () => {
  it('runs ABBA, then BAAB', () => {
    expect(slotSchedule(2).map((s) => s.variant[0])).toEqual(['b', 'c', 'c', 'b', 'c', 'b', 'b', 'c']);
    expect(slotSchedule(1).map((s) => [s.block, s.position])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
    ]);
  });
});

describe('pairedShift', () => {
  const sides = (seed: number, baseMs: number, candMs: number, n = 2000) => ({
    base: lognormalSamples(n, seed, baseMs, 0.3),
    cand: lognormalSamples(n, seed + 1, candMs, 0.3),
  });
  const pooledOf = (blocks: { base: Float64Array; cand: Float64Array }[]) => ({
    base: pool(blocks.map((b) => b.base)),
    cand: pool(blocks.map((b) => b.cand)),
  });

  it('is the sampling error alone when the blocks agree', () => {
    const blocks = [sides(1, 50, 55), sides(3, 50, 55), sides(5, 50, 55)];
    const shift = pairedShift(pooledOf(blocks), blocks, 0.5, 9);
    expect(Math.expm1(shift.d)).toBeGreaterThan(0.07);
    expect(Math.expm1(shift.d)).toBeLessThan(0.13);
    // the median of 6,000 lognormal(σ 0.3) samples: log se ≈ 0.3·1.25/√6000 ≈ 0.005 per side
    expect(shift.se).toBeGreaterThan(0.004);
    expect(shift.se).toBeLessThan(0.012);
    expect(shift.df).toBe(Number.POSITIVE_INFINITY);
    expect(shift.betweenShare).toBe(0);
  });

  it('widens to the blocks spread, with blocks − 1 degrees of freedom, when they disagree', () => {
    const blocks = [sides(1, 50, 40), sides(3, 50, 50), sides(5, 50, 62)];
    const shift = pairedShift(pooledOf(blocks), blocks, 0.5, 9);
    // per-block shifts ≈ ln 0.8, 0, ln 1.24: sd ≈ 0.22, so se ≈ 0.22/√3 ≈ 0.125
    expect(shift.se).toBeGreaterThan(0.09);
    expect(shift.se).toBeLessThan(0.16);
    expect(shift.df).toBeLessThan(2.1);
    expect(shift.betweenShare).toBeGreaterThan(0.95);
  });
});

describe('comparePaired', () => {
  it('detects +10% in p50 and p95 through a drifting runner', () => {
    // the runner slows 2% per slot: 20% over a stored comparison's worth of time
    const outcome = comparePaired(
      simulate({ blocks: 3, seed: 1, effect: 1.1, driftPerSlot: 0.02, jitter: 0.005 }),
      options,
    );
    expect(ComparisonSchema.parse(outcome.comparison)).toEqual(outcome.comparison);
    const byMetric = Object.fromEntries(outcome.comparison.metrics.map((m) => [m.metric, m]));
    expect(byMetric.p50Ms?.verdict).toBe('regressed');
    expect(byMetric.p95Ms?.verdict).toBe('regressed');
    expect(byMetric.p50Ms?.change).toBeGreaterThan(0.07);
    expect(byMetric.p50Ms?.change).toBeLessThan(0.13);
    expect(outcome.comparison).toMatchObject({ mode: 'paired', verdict: 'regressed', knees: [] });
    expect(outcome.comparison.policy.runNoiseSource).toBe('paired');
    expect(outcome.comparison.notes[1]).toBe('3 of 3 ABBA blocks valid');
    expect(byMetric.p95Ms?.reason).toMatch(/^p95 of items at 40 req\/s \(paired\): \+/);
  });

  it('keeps A/A quiet: false alarms near α with all checks counted, drift and jitter included', () => {
    let alarms = 0;
    for (let i = 0; i < 40; i++) {
      const outcome = comparePaired(
        simulate({ blocks: 3, seed: 100 + i, driftPerSlot: 0.02, jitter: 0.01 }),
        options,
      );
      if (outcome.comparison.counts.regressed > 0) alarms++;
    }
    expect(alarms).toBeLessThanOrEqual(5);
  });

  it('stays quiet when blocks disagree beyond their sampling error, by widening the interval', () => {
    // a runner whose speed jumps 8% from slot to slot: ABBA cannot cancel it, the blocks' spread shows it
    let alarms = 0;
    let widened = 0;
    for (let i = 0; i < 40; i++) {
      const outcome = comparePaired(simulate({ blocks: 3, seed: 300 + i, jitter: 0.08 }), options);
      if (outcome.comparison.counts.regressed > 0) alarms++;
      const p50 = outcome.comparison.metrics.find((m) => m.metric === 'p50Ms');
      if ((p50?.changeHigh ?? 0) - (p50?.changeLow ?? 0) > 0.1) widened++;
    }
    expect(alarms).toBeLessThanOrEqual(3);
    expect(widened).toBeGreaterThan(20);
  });

  it('needs pairs: the same drift fools a comparison of two single runs', () => {
    // candidate = base, but measured later on a runner 20% slower: the stored mode cannot tell
    const early = lognormalSamples(6000, 1, 50, 0.3);
    const late = lognormalSamples(6000, 2, 60, 0.3);
    const quiet = {
      ...DEFAULT_POLICY,
      runNoise: { p50Ms: 0, p95Ms: 0, p99Ms: 0 },
      runNoiseMs: { p50Ms: 0, p95Ms: 0, p99Ms: 0 },
    };
    const stored = compareBaselines(
      syntheticBaseline([{ level: 40, request: 'items', samples: early }]),
      syntheticBaseline([{ level: 40, request: 'items', samples: late }]),
      { baselineSource: 'x', policy: quiet },
    );
    expect(stored.verdict).toBe('regressed');
    const paired = comparePaired(simulate({ blocks: 3, seed: 7, driftPerSlot: 0.03 }), options);
    expect(paired.comparison.counts.regressed).toBe(0);
  });

  it('leaves out invalid slots and blocks, saying why, and judges nothing without enough', () => {
    const slots = simulate({ blocks: 3, seed: 2, effect: 1.3 });
    (slots[1] as Slot).droppedIterations = 12; // block 0
    (slots[6] as Slot).invalidReason = 'k6 exited with 107'; // block 1
    const outcome = comparePaired(slots, options);
    expect(outcome.blocks.map((b) => b.valid)).toEqual([false, false, true]);
    expect(outcome.blocks[0]?.reason).toBe(
      'slot 2 (candidate): k6 dropped 12 iterations, the rate was not kept',
    );
    expect(outcome.comparison.notes[1]).toMatch(
      /^1 of 3 ABBA blocks valid; block 1: slot 2 .*; block 2: slot 3 \(base\): k6 exited with 107$/,
    );
    expect(outcome.comparison.metrics.find((m) => m.metric === 'p50Ms')).toMatchObject({
      verdict: 'inconclusive',
      reason: expect.stringContaining('only 1 valid ABBA blocks (at least 2 needed)'),
    });
    expect(outcome.comparison.verdict).toBe('inconclusive');
  });

  it('tells a slow runner from a slow service by the canary', () => {
    const slots = simulate({ blocks: 2, seed: 3 });
    // block 1: the runner was 30% slower during the candidate's slots (the canary too)
    for (const slot of slots.filter((s) => s.block === 1 && s.variant === 'candidate')) {
      slot.canary = (slot.canary as Float64Array).map((v) => v * 1.3);
      const first = slot.requests[0] as Slot['requests'][0];
      slot.requests[0] = { ...first, samples: first.samples.map((v) => v * 1.3) };
    }
    const statuses = blockStatuses(slots, options);
    expect(statuses[0]?.valid).toBe(true);
    expect(statuses[1]).toMatchObject({ valid: false });
    expect(statuses[1]?.reason).toMatch(
      /the canary's p50 moved \+(2[5-9]|3[0-5])\.\d% between base and candidate slots/,
    );
    // a saturated load generator: the canary waits in one slot
    const saturated = simulate({ blocks: 2, seed: 4 });
    (saturated[2] as Slot).canary = Float64Array.from({ length: 200 }, () => 40);
    expect(blockStatuses(saturated, options)[0]?.reason).toMatch(
      /slot 3 \(candidate\): the canary's p50 was 40\.0 ms, over 3× its usual 5\.\d ms: the runner was saturated/,
    );
    // a small canary's jitter of a fraction of a millisecond is no reason
    const small = simulate({ blocks: 1, seed: 6 }).map((slot) => ({
      ...slot,
      canary: Float64Array.from({ length: 50 }, () => (slot.variant === 'candidate' ? 1.4 : 1)),
    }));
    expect(blockStatuses(small, options)[0]?.valid).toBe(true);
  });

  it('does not judge a tail the pooled sides cannot fill, and pools failures over the valid blocks', () => {
    const slots = simulate({ blocks: 3, seed: 5, requestsPerSlot: 300 });
    for (const slot of slots) {
      const r = slot.requests[0] as Slot['requests'][0];
      slot.requests[0] = { ...r, errors: slot.variant === 'candidate' ? 30 : 0, timeouts: 0 };
    }
    const outcome = comparePaired(slots, options);
    const p99 = outcome.comparison.metrics.find((m) => m.metric === 'p99Ms');
    expect(p99?.verdict).toBe('inconclusive');
    expect(p99?.reason).toContain('too few samples beyond p99 on a side: 18 (at least 20');
    // the same slots judge p95, whose tail the pooled blocks fill (90 samples beyond it)
    expect(outcome.comparison.metrics.find((m) => m.metric === 'p95Ms')?.verdict).not.toBe('inconclusive');
    const errors = outcome.comparison.metrics.find((m) => m.metric === 'errorRate');
    expect(errors).toMatchObject({ verdict: 'regressed', baseline: 0, candidate: 0.1 });
  });
});
