import { describe, expect, it } from 'vitest';
import { analysePool, renderTable } from '../../bench/detect/analyse.ts';
import { pairedCheck, runOfSide, shuffled, storedCheck } from '../../bench/detect/checks.ts';
import { ratioAlert, tTestAlert, tTestUpperLimit } from '../../bench/detect/peers.ts';
import { type Pool, poolFromJson, poolToJson, type RecordedBlock } from '../../bench/detect/pool.ts';
import { rateOf, rateText } from '../../bench/detect/rates.ts';
import { variantsOf } from '../../bench/detect/variants.ts';
import { slotVariant } from '../../src/compare/paired.ts';
import { seededRandom } from '../../src/compare/stats.ts';
import { lognormalSamples } from '../../src/compare/testing.ts';

// bench:detect's pure parts: the peers' rules, the rates, and the checks on synthetic blocks.

/** A block of four slots whose candidate side is `factor` times slower; canary alike on both. */
function block(seed: number, factor: number, parity: number): RecordedBlock {
  return {
    at: '2026-01-01T00:00:00Z',
    slots: [0, 1, 2, 3].map((position) => {
      const variant = slotVariant(parity, position);
      const scale = variant === 'candidate' ? factor : 1;
      const samples = lognormalSamples(800, seed * 10 + position, 5 * scale, 0.3);
      return {
        block: 0,
        position,
        variant,
        requests: [{ name: 'list', samples, count: samples.length, errors: 0, timeouts: 0 }],
        canary: lognormalSamples(40, seed * 10 + position + 5, 1.5, 0.1),
        droppedIterations: 0,
        cpuMs: 1000 * scale,
        wallS: 12,
      };
    }),
  };
}
const poolOf = (factor: number, n = 8) => Array.from({ length: n }, (_, i) => block(i + 1, factor, i));

describe('github-action-benchmark ratio alert', () => {
  it('alerts when the value passes the ratio of the previous run, not at it', () => {
    expect(ratioAlert(10, 20, 2)).toBe(false);
    expect(ratioAlert(10, 20.1, 2)).toBe(true);
    expect(ratioAlert(10, 11.5, 1.1)).toBe(true);
    expect(ratioAlert(10, 10.9, 1.1)).toBe(false);
    expect(ratioAlert(0, 5, 2)).toBe(false);
  });
});

describe("Bencher's t-test threshold", () => {
  it('puts the limit at the t quantile of the window, scaled by its standard deviation', () => {
    // mean 11, sd 1 (sample), t(0.99, 2) = 6.965
    expect(tTestUpperLimit([10, 11, 12], 0.99)).toBeCloseTo(11 + 6.9646, 3);
    expect(tTestUpperLimit([10], 0.99)).toBeNull();
    expect(tTestAlert([10, 11, 12], 17.9)).toBe(false);
    expect(tTestAlert([10, 11, 12], 18)).toBe(true);
    expect(tTestAlert([10], 100)).toBe(false);
  });
});

describe('rates', () => {
  it('takes its interval from the distinct blocks, not the checks', () => {
    const few = rateOf(0, 200, 8);
    expect(few.rate).toBe(0);
    expect(few.high).toBeGreaterThan(0.3);
    expect(rateOf(0, 200, 200).high).toBeLessThan(0.02);
    expect(rateText(rateOf(100, 200, 10))).toMatch(/^50% \(\d+–\d+%\)$/);
  });
});

describe('pools', () => {
  it('round-trip through JSON to the microsecond', () => {
    const pool: Pool = {
      variant: 'articles-aa',
      rate: 100,
      slotS: 10,
      warmupS: 2,
      startupS: [30],
      blocks: poolOf(1, 2),
    };
    const back = poolFromJson(poolToJson(pool));
    const a = pool.blocks[0]?.slots[0]?.requests[0]?.samples as Float64Array;
    const b = back.blocks[0]?.slots[0]?.requests[0]?.samples as Float64Array;
    expect(b).toBeInstanceOf(Float64Array);
    expect(b.length).toBe(a.length);
    expect(Math.abs((b[17] as number) - (a[17] as number))).toBeLessThanOrEqual(0.0005);
  });
  it('names the variants of one service and refuses a mix or an unknown one', () => {
    expect(variantsOf('articles-aa,articles-cpu')).toEqual({
      service: 'articles',
      names: ['articles-aa', 'articles-cpu'],
    });
    expect(() => variantsOf('articles-aa,demo-aa')).toThrow(/one service/);
    expect(() => variantsOf('nope')).toThrow(/unknown variant nope/);
  });
});

describe('checks on synthetic blocks', () => {
  it('finds a 30% slower candidate in paired mode, as a run decides, and not an unchanged one', () => {
    const random = seededRandom(3);
    const slow = pairedCheck(poolOf(1.3), shuffled(8, random), {
      rate: 100,
      plan: { blocks: 3, maxBlocks: 6 },
    });
    expect(slow.regressedMetrics).toContain('list/p50Ms');
    expect(slow.blocksUsed).toBeGreaterThanOrEqual(3);
    const same = pairedCheck(poolOf(1), shuffled(8, random), {
      rate: 100,
      plan: { blocks: 3, maxBlocks: 6 },
    });
    expect(same.regressed).toBe(false);
    expect(same.used.length).toBe(same.blocksUsed);
  });
  it('judges a stored run against the median of its history, and applies the peers to the same runs', () => {
    const pool = [...poolOf(1, 5), ...poolOf(2.5, 1).map((b) => ({ ...b }))];
    const check = storedCheck(pool, [0, 1, 2, 3, 4], 5, 100);
    expect(check.regressedMetrics).toContain('list/p50Ms');
    expect(check.peers.gab200).toContain('list/p50Ms');
    expect(check.peers.bencher).toContain('list/p50Ms');
    const calm = storedCheck(poolOf(1, 6), [0, 1, 2, 3, 4], 5, 100);
    expect(calm.regressed).toBe(false);
    expect(calm.peers.gab200).toEqual([]);
  });
  it('pools a side of a block into one run', () => {
    const run = runOfSide(block(1, 1, 0), 'base', 100, '2026-01-01T00:00:00.000Z');
    expect(run.cells.find((c) => c.request === 'list')?.count).toBe(1600);
  });
});

describe('the analysis of a pool', () => {
  it('rates a 30% slower candidate as detected, with an interval on the distinct blocks, and renders it', () => {
    const pool: Pool = {
      variant: 'articles-query',
      rate: 100,
      slotS: 10,
      warmupS: 2,
      startupS: [40],
      blocks: poolOf(1.3),
    };
    const result = analysePool(pool, { checks: 6, seed: 1 });
    expect(result.paired.p50.rate).toBe(1);
    expect(result.paired.p50.distinct).toBe(8);
    expect(result.effect.p50).toBeCloseTo(0.3, 1);
    expect(result.effect.cpu).toBeCloseTo(0.3, 5);
    // the stack's 40 s and at least 3 blocks of 4 slots of 12 s
    expect(result.paired.minutes.mean).toBeGreaterThanOrEqual((40 + 3 * 48) / 60);
    const table = renderTable([result]);
    expect(table).toContain('| articles list + one query: list p50 regressed | 8 (0) | +');
    expect(table).toMatch(/\| 100% \(\d+–100%\) \|/);
  });
  it('makes no paired check from a pool of fewer blocks than a run starts with', () => {
    const pool: Pool = {
      variant: 'articles-aa',
      rate: 100,
      slotS: 10,
      warmupS: 2,
      startupS: [40],
      blocks: poolOf(1, 2),
    };
    const result = analysePool(pool, { checks: 4, seed: 1 });
    expect(result.paired.any.checks).toBe(0);
    expect(result.stored.any.checks).toBe(4);
    expect(renderTable([result])).toContain('| — | — |');
  });
});
