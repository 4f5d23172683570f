import { describe, expect, it } from 'vitest';
import { blockEvidence } from './paired.ts';
import { type LookPlan, lookAlpha, lookOf, type Spending, spentAlpha } from './sequential.ts';
import { oneSidedP, seededRandom } from './stats.ts';

const normal = (random: () => number) =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

describe('α spending over the looks', () => {
  it('spends all of α by the last look, never more, for both spending functions', () => {
    for (const spending of ['pocock', 'obrien-fleming'] as Spending[]) {
      const plan: LookPlan = { blocks: 3, maxBlocks: 6, spending };
      const levels = [3, 4, 5, 6].map((k) => lookAlpha(0.05, k, plan));
      expect(levels.reduce((a, b) => a + b, 0)).toBeCloseTo(0.05, 12);
      for (const level of levels) expect(level).toBeGreaterThan(0);
      expect(spentAlpha(0.05, 1, spending)).toBeCloseTo(0.05, 12);
      expect(spentAlpha(0.05, 0, spending)).toBe(0);
    }
    // Pocock spends most at the first look; O'Brien–Fleming keeps it for the last
    const pocock = lookAlpha(0.05, 3, { blocks: 3, maxBlocks: 6, spending: 'pocock' });
    const obf = lookAlpha(0.05, 3, { blocks: 3, maxBlocks: 6, spending: 'obrien-fleming' });
    expect(pocock).toBeCloseTo(0.05 * Math.log1p((Math.E - 1) / 2), 12);
    expect(obf).toBeLessThan(0.01);
    expect(lookAlpha(0.05, 6, { blocks: 3, maxBlocks: 6, spending: 'obrien-fleming' })).toBeGreaterThan(
      lookAlpha(0.05, 6, { blocks: 3, maxBlocks: 6, spending: 'pocock' }),
    );
    // one look: the full α; blocks past the plan are the last look's
    expect(lookAlpha(0.05, 4, { blocks: 4, maxBlocks: 4, spending: 'pocock' })).toBe(0.05);
    expect(lookOf(5, { blocks: 3, maxBlocks: 6, spending: 'pocock' })).toEqual({ look: 3, looks: 4 });
    expect(lookOf(2, { blocks: 3, maxBlocks: 6, spending: 'pocock' })).toEqual({ look: 1, looks: 4 });
  });

  it('keeps the false alarms of a check that extends while undecided at α; full α at every look does not', () => {
    // A/A block estimates (normal, sd 1) tested over the blocks as paired mode does, at looks after
    // 3, 4, 5 and 6 blocks, stopping at the first look that rejects (the worst case for a stopping
    // rule: every undecided check goes on). 4,000 checks: the rate's 95% interval is about ±0.7%.
    const checks = 4000;
    const rates: Record<string, number> = {};
    for (const rule of ['naive', 'pocock', 'obrien-fleming'] as const) {
      const random = seededRandom(99);
      let alarms = 0;
      for (let c = 0; c < checks; c++) {
        const ys = Array.from({ length: 6 }, () => normal(random));
        for (let k = 3; k <= 6; k++) {
          const e = blockEvidence(ys.slice(0, k).map((y) => ({ y, v: 0 })));
          const level =
            rule === 'naive' ? 0.05 : lookAlpha(0.05, k, { blocks: 3, maxBlocks: 6, spending: rule });
          if (oneSidedP(e.d / e.se, e.df).greater < level) {
            alarms++;
            break;
          }
        }
      }
      rates[rule] = alarms / checks;
    }
    expect(rates.naive).toBeGreaterThan(0.08);
    expect(rates.pocock).toBeLessThanOrEqual(0.05);
    expect(rates['obrien-fleming']).toBeLessThanOrEqual(0.05);
    // conservative, not useless: the union bound costs little at these correlations
    expect(rates.pocock).toBeGreaterThan(0.025);
  });
});
