import { describe, expect, it } from 'vitest';
import { calibrate } from './calibrate.ts';
import { type Slot, slotSchedule } from './paired.ts';
import { seededRandom, studentQuantile } from './stats.ts';
import { lognormalSamples } from './testing.ts';

/** A/A: the same service on both sides; each slot's runner speed jitters by `jitter` (log sd). */
function aa(blocks: number, jitter: number, seed: number, n = 4000): Slot[] {
  const random = seededRandom(seed);
  return slotSchedule(blocks).map(({ block, position, variant }, i) => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const runner = Math.exp(jitter * z);
    return {
      block,
      position,
      variant,
      requests: [
        {
          name: 'items',
          samples: lognormalSamples(n, seed * 100 + i, 50 * runner, 0.3),
          count: n,
          errors: 0,
          timeouts: 0,
        },
      ],
      canary: null,
      droppedIterations: 0,
    };
  });
}

const options = {
  level: 40,
  model: 'open' as const,
  baseline: { runId: 'a', startedAt: '', toolVersion: '', commit: null, source: 'A/A' },
  alpha: 0.05,
  checks: 15,
  plannedBlocks: 3,
};

describe('calibrate', () => {
  it('measures the block-to-block spread and the change a check could detect', () => {
    const result = calibrate(aa(10, 0.02, 1), options);
    expect(result).toMatchObject({ validBlocks: 10, blocks: 10 });
    const p50 = result.rows.find((r) => r.metric === 'p50Ms');
    // each side pools two slots: the ratio's sd is about the slot jitter, plus a little sampling
    expect(p50?.logSd).toBeGreaterThan(0.01);
    expect(p50?.logSd).toBeLessThan(0.04);
    // 3 blocks, 15 checks at 5%: the paired test is t(2) over the blocks, so
    // (t₂(1 − 0.05/15) + t₂(0.9)) / √3 ≈ (12.22 + 1.886) / 1.732 ≈ 8.1 standard deviations
    const factor = (studentQuantile(1 - 0.05 / 15, 2) + studentQuantile(0.9, 2)) / Math.sqrt(3);
    expect(factor).toBeGreaterThan(8);
    expect(factor).toBeLessThan(8.3);
    expect(p50?.detectable).toBeCloseTo(Math.expm1(factor * (p50?.logSd as number)), 3);
    expect(result.floors.p50Ms).toBe(p50?.detectable);
    // more noise, larger floors
    const noisier = calibrate(aa(10, 0.06, 2), options);
    expect(noisier.floors.p50Ms).toBeGreaterThan(result.floors.p50Ms as number);
    // more blocks per check, smaller floors
    const longer = calibrate(aa(10, 0.02, 1), { ...options, plannedBlocks: 8 });
    expect(longer.floors.p50Ms).toBeLessThan((result.floors.p50Ms as number) / 1.5);
  });

  it('leaves a thin tail unmeasured', () => {
    const result = calibrate(aa(4, 0.02, 3, 500), options);
    expect(result.rows.find((r) => r.metric === 'p99Ms')).toMatchObject({ logSd: null, detectable: null });
    expect(result.floors.p99Ms).toBeUndefined();
  });
});
