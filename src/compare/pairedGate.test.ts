import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LevelResult, type Result, ResultSchema } from '../result/schema.ts';
import { comparePaired, type Slot, slotSchedule } from './paired.ts';
import { pairedRateFromLadder, withPairedComparison } from './pairedGate.ts';
import { lognormalSamples } from './testing.ts';

function level(at: number, p95Ms: number, throughputRps: number, errorRate = 0): LevelResult {
  return {
    phase: 'clean',
    level: at,
    requests: [
      {
        name: 'items',
        count: Math.round(throughputRps * 10),
        throughputRps,
        p50Ms: p95Ms / 2,
        p90Ms: p95Ms * 0.9,
        p95Ms,
        p99Ms: p95Ms * 1.5,
        maxMs: p95Ms * 2,
        errorRate,
        timeoutRate: 0,
        errorsByStatus: {},
      },
    ],
  } as unknown as LevelResult;
}

describe('pairedRateFromLadder', () => {
  it('takes 60% of the throughput at the knee', () => {
    const chosen = pairedRateFromLadder({
      loadModel: 'closed',
      levels: [level(2, 50, 30), level(4, 60, 55), level(8, 95, 90), level(16, 400, 95)],
    });
    // the knee is 8 VUs (p95 95 ≤ 2 × 50; 400 is past it): 60% of 90 req/s
    expect(chosen).toEqual({ rate: 54, why: '60% of the 90.0 req/s measured at the knee (8 VUs)' });
  });

  it('says why when the lowest level is already past the knee', () => {
    const chosen = pairedRateFromLadder({
      loadModel: 'open',
      levels: [level(10, 50, 10, 0.2), level(20, 60, 20)],
    });
    expect(chosen.rate).toBeNull();
    expect(chosen.why).toMatch(/lowest level of phase clean is already past the knee.*set paired-rate/);
  });
});

describe('withPairedComparison', () => {
  const slots = (effect: number): Slot[] =>
    slotSchedule(3).map(({ block, position, variant }, i) => {
      const samples = lognormalSamples(3000, 10 + i, variant === 'candidate' ? 50 * effect : 50, 0.3);
      return {
        block,
        position,
        variant,
        requests: [{ name: 'items', samples, count: 3000, errors: 0, timeouts: 0 }],
        canary: null,
        droppedIterations: 0,
      };
    });
  // a real run of the demo (5 closed-model levels, no comparison)
  const base: Result = ResultSchema.parse(
    JSON.parse(
      readFileSync(
        join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'results', 'demo-closed.result.json'),
        'utf8',
      ),
    ),
  );
  const paired = (effect: number) =>
    comparePaired(slots(effect), {
      level: 54,
      model: 'open',
      baseline: { runId: 'paired', startedAt: '', toolVersion: '0', commit: null, source: 'git:abc' },
    }).comparison;

  it('the demo run gets a rate below its knee', () => {
    // knee at 8 VUs (throughput flat beyond it, not health's jitter at 4): 60% of 96.7 + 23.5 req/s
    expect(pairedRateFromLadder(base)).toMatchObject({ rate: 72 });
  });

  it('a regression found by the pairs becomes the run verdict', () => {
    const joined = withPairedComparison(base, paired(1.3));
    expect(joined.result.verdict).toBe('regressed');
    expect(joined.result.comparison?.mode).toBe('paired');
    expect(joined.result.summary).toMatch(/regress/);
    expect(joined.reportMarkdown).toContain('### Comparison: REGRESSED');
  });

  it('a gate breach still wins, and a partial run is left as it was', () => {
    const breach = {
      phase: 'clean',
      level: 8,
      request: 'items',
      metric: 'p95Ms',
      actual: 900,
      limit: 500,
      reason: 'p95 of items at 8 VUs: 900 ms > 500 ms',
    };
    const failing = {
      ...base,
      levels: [],
      loadModel: 'open',
      verdict: 'fail',
      gate: { checked: 2, breaches: [breach] },
    } as unknown as Result;
    expect(withPairedComparison(failing, paired(1)).result.verdict).toBe('fail');
    const partial = {
      ...base,
      levels: [],
      loadModel: 'open',
      partial: true,
      verdict: 'error',
    } as unknown as Result;
    expect(withPairedComparison(partial, paired(1.3)).result).toBe(partial);
  });

  it("a user script's crossed thresholds keep the run failed, whatever the pairs found", () => {
    const crossed = {
      ...base,
      verdict: 'fail',
      gate: { ...base.gate, scriptThresholdsCrossed: ['http_req_failed: rate<0.01'] },
    } as Result;
    const joined = withPairedComparison(crossed, paired(1));
    expect(joined.result.verdict).toBe('fail');
    expect(joined.result.summary).toContain(
      "the script's thresholds were crossed: http_req_failed: rate<0.01",
    );
  });
});
