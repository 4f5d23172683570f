import { describe, expect, it } from 'vitest';
import { compareBaselines } from './compare.ts';
import {
  blockEvidence,
  blockPercentile,
  blockStatuses,
  comparePaired,
  type PairedOptions,
  type Slot,
  slotSchedule,
} from './paired.ts';
import { DEFAULT_POLICY, PAIRED_POLICY } from './policy.ts';
import { ComparisonSchema } from './schema.ts';
import { lookAlpha } from './sequential.ts';
import { seededRandom } from './stats.ts';
import { lognormalSamples, syntheticBaseline } from './testing.ts';

// the rules at the stored mode's floors (10%, 15%): most tests below are about what a floor means
const options: PairedOptions = {
  policy: DEFAULT_POLICY,
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
  /** the request's median, ms (default 50) */
  medianMs?: number;
  /** the canary's latencies beside the candidate × this: the candidate's CPU cost (default 1) */
  canaryEffect?: number;
  /** latencies rounded to this many ms (a coarse timer); default none */
  roundMs?: number;
  /** errors in the slot of this index (in run order) */
  burst?: { slot: number; errors: number };
}

/** Slots of an ABBA run: one request 'items' (median 50 ms) and the canary (1 ms), both slowed by the runner alike. */
function simulate(world: World): Slot[] {
  const random = seededRandom(world.seed);
  const n = world.requestsPerSlot ?? 1000;
  return slotSchedule(world.blocks).map(({ block, position, variant }, i) => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const runner = Math.exp((world.driftPerSlot ?? 0) * i + (world.jitter ?? 0) * z);
    const effect = variant === 'candidate' ? (world.effect ?? 1) : 1;
    const canaryEffect = variant === 'candidate' ? (world.canaryEffect ?? 1) : 1;
    let samples = lognormalSamples(n, world.seed * 1000 + i, (world.medianMs ?? 50) * runner * effect, 0.3);
    if (world.roundMs) {
      const r = world.roundMs;
      samples = samples.map((v) => Math.max(r, Math.round(v / r) * r));
    }
    const errors = world.burst?.slot === i ? world.burst.errors : 0;
    return {
      block,
      position,
      variant,
      requests: [{ name: 'items', samples, count: n, errors, timeouts: 0 }],
      canary: lognormalSamples(200, world.seed * 1000 + 500 + i, 5 * runner * canaryEffect, 0.1),
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

describe('blockEvidence', () => {
  const sides = (seed: number, baseMs: number, candMs: number, n = 2000) =>
    blockPercentile(
      lognormalSamples(n, seed, baseMs, 0.3),
      lognormalSamples(n, seed + 1, candMs, 0.3),
      0.5,
      1000,
      seed,
    );

  it('is the blocks’ own sampling error when they agree more closely than sampling allows', () => {
    const estimates = [sides(1, 50, 55), sides(3, 50, 55), sides(5, 50, 55)];
    const e = blockEvidence(estimates);
    expect(Math.expm1(e.d)).toBeGreaterThan(0.07);
    expect(Math.expm1(e.d)).toBeLessThan(0.13);
    // the median of 2,000 lognormal(σ 0.3) samples: log se ≈ 0.3·1.25/√2000 ≈ 0.0084 per side, so a
    // block's ratio ≈ 0.012 and the mean of three ≈ 0.007 — never less, however closely they agree
    const sampling = Math.sqrt(estimates.reduce((s, x) => s + x.v, 0) / 3 / 3);
    expect(e.se).toBeGreaterThanOrEqual(sampling);
    expect(e.se).toBeGreaterThan(0.004);
    expect(e.se).toBeLessThan(0.012);
    expect(e).toMatchObject({ df: 2, units: 3, signs: { worse: 3, better: 0 } });
  });

  it('widens to the blocks’ spread, with blocks − 1 degrees of freedom, when they disagree', () => {
    const e = blockEvidence([sides(1, 50, 40), sides(3, 50, 50), sides(5, 50, 62)]);
    // per-block shifts ≈ ln 0.8, 0, ln 1.24: sd ≈ 0.22, so se ≈ 0.22/√3 ≈ 0.125
    expect(e.se).toBeGreaterThan(0.09);
    expect(e.se).toBeLessThan(0.16);
    expect(e.df).toBe(2);
    expect(e.signs.better).toBeGreaterThanOrEqual(1);
    expect(e.signs.worse).toBeGreaterThanOrEqual(1);
  });

  it('takes the larger of the spread and the sampling variance (modified Knapp–Hartung)', () => {
    const agree = blockEvidence([
      { y: 0.1, v: 0.04 },
      { y: 0.1, v: 0.04 },
    ]);
    expect(agree.se).toBeCloseTo(Math.sqrt(0.04 / 2), 12);
    const spread = blockEvidence([
      { y: 0, v: 0.0001 },
      { y: 0.2, v: 0.0001 },
      { y: 0.4, v: 0.0001 },
    ]);
    expect(spread.se).toBeCloseTo(Math.sqrt(0.04 / 3), 12);
    expect(() => blockEvidence([{ y: 0.1, v: 0.01 }])).toThrow(/at least 2/);
  });

  it('keeps ties at a 1 ms timer from giving no variance at all', () => {
    // every sample 6 ms on one side, 7 ms on the other: the bootstrap has no spread, rounding does
    const six = new Float64Array(400).fill(6);
    const seven = new Float64Array(400).fill(7);
    const estimate = blockPercentile(six, seven, 0.5, 200, 1);
    expect(estimate.y).toBeCloseTo(Math.log(7 / 6), 12);
    expect(estimate.v).toBeCloseTo((1 / 36 + 1 / 49) / 12, 12);
    const same = blockPercentile(six, six, 0.5, 200, 1);
    expect(same.y).toBe(0);
    expect(same.v).toBeGreaterThan(0);
  });
});

describe('comparePaired', () => {
  it('detects +15% in p50 and p95 through a drifting runner', () => {
    // the runner slows 2% per slot: 20% over a stored comparison's worth of time
    const outcome = comparePaired(
      simulate({ blocks: 3, seed: 1, effect: 1.15, driftPerSlot: 0.02, jitter: 0.005 }),
      options,
    );
    expect(ComparisonSchema.parse(outcome.comparison)).toEqual(outcome.comparison);
    const byMetric = Object.fromEntries(outcome.comparison.metrics.map((m) => [m.metric, m]));
    expect(byMetric.p50Ms?.verdict).toBe('regressed');
    expect(byMetric.p95Ms?.verdict).toBe('regressed');
    expect(byMetric.p50Ms?.change).toBeGreaterThan(0.12);
    expect(byMetric.p50Ms?.change).toBeLessThan(0.18);
    // the blocks are the units: three of them, t(2)
    expect(byMetric.p50Ms).toMatchObject({ df: 2, units: 3 });
    expect(outcome.comparison).toMatchObject({ mode: 'paired', verdict: 'regressed', knees: [] });
    expect(outcome.comparison.policy.runNoiseSource).toBe('paired');
    expect(outcome.comparison.notes[1]).toBe('3 of 3 ABBA blocks valid');
    expect(byMetric.p95Ms?.reason).toMatch(/^p95 of items at 40 req\/s \(paired\): \+/);
  });

  it('calls a true change at the floor regressed only when the estimate passes it', () => {
    // +10% against the 10% floor: significant, but an estimate of +9.8% is not beyond the floor
    const outcome = comparePaired(
      simulate({ blocks: 3, seed: 1, effect: 1.1, driftPerSlot: 0.02, jitter: 0.005 }),
      options,
    );
    const p95 = outcome.comparison.metrics.find((m) => m.metric === 'p95Ms');
    expect(p95?.change).toBeLessThan(0.1);
    expect(p95?.pWorseAdjusted).toBeLessThan(0.05);
    expect(p95?.verdict).toBe('inconclusive');
    expect(p95?.reason).toContain('but the estimate is under the 10% floor and the interval reaches it');
    // undecided: another block could settle it
    expect(outcome.moreBlocksWouldHelp).toBe(true);
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
    // the same slots test p95, whose tail the pooled blocks fill (90 samples beyond it, 30 a block):
    // over 3 blocks, t(2), so its interval is wide, but it is tested
    const p95 = outcome.comparison.metrics.find((m) => m.metric === 'p95Ms');
    expect(p95?.pWorse).not.toBeNull();
    expect(p95).toMatchObject({ df: 2, units: 3 });
    // failures: 10% more in every block (30 of 300 in each candidate slot), regressed over the blocks
    const errors = outcome.comparison.metrics.find((m) => m.metric === 'errorRate');
    expect(errors).toMatchObject({ verdict: 'regressed', baseline: 0, candidate: 0.1, df: 2, units: 3 });
    expect(errors?.reason).toContain('0 of 1800 → 180 of 1800, over 3 blocks');
  });

  it('reports a candidate that slows the canary in every block as its CPU cost, and judges it', () => {
    // 30% slower, and the canary beside it 30% slower too: it competes for the same cores. The old
    // rule dropped every block for its canary and ended inconclusive.
    const outcome = comparePaired(simulate({ blocks: 3, seed: 21, effect: 1.3, canaryEffect: 1.3 }), options);
    expect(outcome.blocks.every((b) => b.valid)).toBe(true);
    expect(outcome.cpuCost?.share).toBeGreaterThan(0.25);
    expect(outcome.cpuCost?.share).toBeLessThan(0.35);
    expect(outcome.comparison.findings?.[0]).toMatch(
      /^the candidate costs more CPU: the canary was 3\d% slower beside it in every block \(3 blocks\)/,
    );
    expect(outcome.comparison.verdict).toBe('regressed');
    expect(outcome.comparison.summary).toContain('the candidate costs more CPU');
    // a block whose canary moved against the others is still dropped: its runner changed speed
    const slots = simulate({ blocks: 4, seed: 22, effect: 1.3, canaryEffect: 1.3 });
    for (const slot of slots.filter((s) => s.block === 2 && s.variant === 'candidate')) {
      slot.canary = (slot.canary as Float64Array).map((v) => v * 1.6);
    }
    const statuses = blockStatuses(slots, options);
    expect(statuses.map((b) => b.valid)).toEqual([true, true, false, true]);
    expect(statuses[2]?.reason).toMatch(/the other blocks agree on \+\d+\.\d%, the candidate's CPU cost/);
    // a cost that is not in every block is no finding
    const mixed = simulate({ blocks: 3, seed: 23 });
    for (const slot of mixed.filter((s) => s.block === 0 && s.variant === 'candidate')) {
      slot.canary = (slot.canary as Float64Array).map((v) => v * 1.1);
    }
    expect(comparePaired(mixed, options).cpuCost).toBeNull();
  });

  it('counts a burst of errors in one slot once, as it happened: A/A stays quiet', () => {
    // 20–40 errors in one candidate slot of one block: a large share of that slot's requests,
    // certain as independent requests, nothing across blocks
    let alarms = 0;
    for (let i = 0; i < 30; i++) {
      const blocks = 4;
      const candidateSlots = slotSchedule(blocks)
        .map((s, index) => ({ ...s, index }))
        .filter((s) => s.variant === 'candidate');
      const at = candidateSlots[i % candidateSlots.length] as { index: number };
      const outcome = comparePaired(
        simulate({ blocks, seed: 500 + i, burst: { slot: at.index, errors: 20 + (i % 21) } }),
        options,
      );
      const errors = outcome.comparison.metrics.find((m) => m.metric === 'errorRate');
      expect(errors?.pWorse).not.toBeNull();
      if (errors?.verdict === 'regressed') alarms++;
    }
    expect(alarms).toBe(0);
  });

  it('never calls a shift in the same direction in every one of enough blocks unchanged', () => {
    // +4%, under the 10% floor, in each of 8 blocks: a real shift, not "unchanged"
    const outcome = comparePaired(
      simulate({ blocks: 8, seed: 31, effect: 1.04, requestsPerSlot: 4000 }),
      options,
    );
    const p50 = outcome.comparison.metrics.find((m) => m.metric === 'p50Ms');
    expect(p50?.sameDirection).toBe('worse');
    expect(p50?.changeHigh).toBeLessThan(0.1);
    expect(p50?.verdict).toBe('inconclusive');
    expect(p50?.reason).toContain('slower in every one of the 8 blocks, a real shift under the 10% floor');
    // not undecided: more blocks would not change it
    expect(outcome.moreBlocksWouldHelp).toBe(false);
    // with too few blocks for agreement to mean anything (5: 2·0.5⁵ > α) it may be unchanged
    const few = comparePaired(
      simulate({ blocks: 5, seed: 31, effect: 1.04, requestsPerSlot: 4000 }),
      options,
    );
    const fewP50 = few.comparison.metrics.find((m) => m.metric === 'p50Ms');
    expect(fewP50?.sameDirection).toBeNull();
  });

  it("judges by paired mode's own floors (5% at p50 and p95) unless given a policy", () => {
    const { policy: _stored, ...defaults } = options;
    // +10% in every block: beyond paired mode's 5% floor, only at the stored mode's 10%
    const slots = simulate({ blocks: 6, seed: 51, effect: 1.1, jitter: 0.005, requestsPerSlot: 2000 });
    const paired = comparePaired(slots, defaults).comparison;
    expect(paired.policy.floors.p50Ms).toBe(PAIRED_POLICY.floors.p50Ms);
    expect(paired.metrics.find((m) => m.metric === 'p50Ms')?.verdict).toBe('regressed');
    expect(paired.metrics.find((m) => m.metric === 'p95Ms')?.verdict).toBe('regressed');
    const stored = comparePaired(slots, options).comparison;
    expect(stored.metrics.find((m) => m.metric === 'p50Ms')?.verdict).not.toBe('regressed');
  });

  it('finds +16% on a 6 ms endpoint (+1 ms): no fixed millisecond floor hides it', () => {
    // the third-party service of issue 13: list p50 6.2 → 7.2 ms in every slot pair
    const outcome = comparePaired(
      simulate({ blocks: 6, seed: 41, medianMs: 6.2, effect: 1.16, jitter: 0.01, requestsPerSlot: 250 }),
      options,
    );
    const p50 = outcome.comparison.metrics.find((m) => m.metric === 'p50Ms');
    expect(p50?.verdict).toBe('regressed');
    expect((p50?.candidate ?? 0) - (p50?.baseline ?? 0)).toBeLessThan(2);
  });

  it('handles ties at a 1 ms timer, tiny slots and no failures without NaN', () => {
    // every latency a whole millisecond, 6 ms at the median on both sides: no NaN, no false alarm
    const ties = comparePaired(simulate({ blocks: 3, seed: 51, medianMs: 6, roundMs: 1 }), options);
    expect(ComparisonSchema.parse(ties.comparison)).toEqual(ties.comparison);
    for (const m of ties.comparison.metrics) {
      for (const v of [m.pWorse, m.pBetter, m.changeLow, m.changeHigh]) expect(Number.isNaN(v)).toBe(false);
    }
    expect(ties.comparison.counts.regressed).toBe(0);
    // the same ties with a real +1 ms in every block: found
    const shifted = comparePaired(
      simulate({ blocks: 6, seed: 52, medianMs: 6, effect: 7 / 6, roundMs: 1 }),
      options,
    );
    expect(shifted.comparison.metrics.find((m) => m.metric === 'p50Ms')?.verdict).toBe('regressed');
    // three requests a slot: nothing can be judged, nothing breaks
    const tiny = comparePaired(simulate({ blocks: 3, seed: 53, requestsPerSlot: 3 }), options);
    expect(tiny.comparison.metrics.filter((m) => m.metric.endsWith('Ms')).map((m) => m.verdict)).toEqual([
      'inconclusive',
      'inconclusive',
      'inconclusive',
    ]);
    expect(tiny.comparison.checks).toBe(0);
    expect(tiny.comparison.metrics.find((m) => m.metric === 'errorRate')?.verdict).toBe('unchanged');
  });

  it('spends α over the looks while extending undecided checks, and says which look it is', () => {
    // as a paired run decides: 3 blocks, then one more while a test is undecided, up to 6; a noisy
    // runner (8% slot jitter) keeps tests undecided. The rate itself is measured in
    // sequential.test.ts (4,000 checks) and bench:stats; here the plumbing and a sanity bound.
    const plan = { blocks: 3, maxBlocks: 6 };
    let alarms = 0;
    let extended = 0;
    for (let i = 0; i < 20; i++) {
      const all = simulate({ blocks: 6, seed: 700 + i, jitter: 0.08, requestsPerSlot: 400 });
      for (let k = 3; k <= 6; k++) {
        const outcome = comparePaired(
          all.filter((s) => s.block < k),
          { ...options, plan, replicates: 200 },
        );
        const looks = outcome.comparison.looks;
        expect(looks).toMatchObject({ look: k - 2, looks: 4, spending: 'obrien-fleming' });
        expect(looks?.alpha).toBeCloseTo(lookAlpha(0.05, k, { ...plan, spending: 'obrien-fleming' }), 12);
        if (!outcome.moreBlocksWouldHelp || k === 6) {
          if (outcome.comparison.counts.regressed > 0) alarms++;
          break;
        }
        extended++;
      }
    }
    expect(extended).toBeGreaterThan(10);
    expect(alarms).toBeLessThanOrEqual(2);
  }, 30_000);
});
