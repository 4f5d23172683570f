import { describe, expect, it } from 'vitest';
import type { Breach } from '../result/schema.ts';
import { decideVerdict } from './verdict.ts';

const breach = (reason: string): Breach => ({
  metric: 'p95',
  phase: 'clean',
  level: 20,
  request: 'items',
  limit: 800,
  actual: 912,
  reason,
});

describe('decideVerdict', () => {
  it('passes without breaches', () => {
    expect(decideVerdict({ gate: { checked: 24, breaches: [] } })).toEqual({
      verdict: 'pass',
      summary: 'all 24 gate checks passed',
    });
    expect(decideVerdict({ gate: { checked: 1, breaches: [] } }).summary).toBe('the 1 gate check passed');
    expect(decideVerdict({ gate: { checked: 0, breaches: [] } }).summary).toBe(
      'no gate threshold checked anything',
    );
  });

  it("fails when a user script's own thresholds were crossed, before any breach or comparison", () => {
    const decided = decideVerdict({
      gate: {
        checked: 3,
        breaches: [breach('p95 of items at 20 VUs (clean): 912 ms > 800 ms limit')],
        scriptThresholdsCrossed: ['http_req_duration{req:items}: p(95)<1', 'checks: rate>0.99'],
      },
      comparison: { regressions: 2, inconclusive: 0, notComparable: false },
    });
    expect(decided).toEqual({
      verdict: 'fail',
      summary:
        "the script's thresholds were crossed: http_req_duration{req:items}: p(95)<1; checks: rate>0.99 (k6 exit 99; see k6.log)",
    });
    expect(decideVerdict({ gate: { checked: 0, breaches: [], scriptThresholdsCrossed: [] } }).verdict).toBe(
      'pass',
    );
  });

  it('fails on any breach, quoting the reasons', () => {
    const gate = {
      checked: 24,
      breaches: [
        breach('p95 of items at 20 VUs (clean): 912 ms > 800 ms limit'),
        breach('timeout rate of items at 50 VUs (clean): 0.42% > 0.1% limit'),
      ],
    };
    expect(decideVerdict({ gate })).toEqual({
      verdict: 'fail',
      summary:
        '2 gate breaches: p95 of items at 20 VUs (clean): 912 ms > 800 ms limit; ' +
        'timeout rate of items at 50 VUs (clean): 0.42% > 0.1% limit',
    });
    expect(decideVerdict({ gate: { checked: 1, breaches: [breach('r')] } }).summary).toBe('1 gate breach: r');
  });

  it('quotes the first three breaches and counts the rest', () => {
    const breaches = ['a', 'b', 'c', 'd', 'e'].map(breach);
    expect(decideVerdict({ gate: { checked: 9, breaches } }).summary).toBe(
      '5 gate breaches: a; b; c; and 2 more',
    );
  });

  it('keeps the summary on one bounded line', () => {
    const breaches = [breach(`x\n${'y'.repeat(5000)}`)];
    const { summary } = decideVerdict({ gate: { checked: 1, breaches } });
    expect(summary).not.toContain('\n');
    expect(summary.length).toBeLessThanOrEqual(1000);
  });

  it('lets an absolute breach win over a comparison, and says what the comparison found', () => {
    const decision = decideVerdict({
      gate: { checked: 4, breaches: [breach('r')] },
      comparison: { regressions: 2, inconclusive: 1, notComparable: false },
    });
    expect(decision).toEqual({
      verdict: 'fail',
      summary: '1 gate breach: r (also 2 regressions against the baseline, 1 comparison inconclusive)',
    });
  });

  it('ranks not-comparable, regressed, inconclusive and pass', () => {
    const gate = { checked: 4, breaches: [] };
    expect(
      decideVerdict({
        gate,
        comparison: {
          regressions: 0,
          inconclusive: 0,
          notComparable: true,
          notComparableReason: 'config changed',
        },
      }),
    ).toEqual({
      verdict: 'not-comparable',
      summary: 'not comparable with the baseline: config changed; all 4 gate checks passed',
    });
    expect(
      decideVerdict({ gate, comparison: { regressions: 1, inconclusive: 3, notComparable: false } }),
    ).toEqual({
      verdict: 'regressed',
      summary: '1 regression against the baseline, 3 comparisons inconclusive; all 4 gate checks passed',
    });
    expect(
      decideVerdict({ gate, comparison: { regressions: 0, inconclusive: 2, notComparable: false } }),
    ).toEqual({
      verdict: 'inconclusive',
      summary: '2 comparisons inconclusive; all 4 gate checks passed',
    });
    expect(
      decideVerdict({ gate, comparison: { regressions: 0, inconclusive: 0, notComparable: false } }),
    ).toEqual({
      verdict: 'pass',
      summary: 'no regression against the baseline; all 4 gate checks passed',
    });
  });

  it('reports an error above everything', () => {
    expect(
      decideVerdict({
        gate: { checked: 4, breaches: [breach('r')] },
        error: 'k6 exited with code 107',
      }),
    ).toEqual({ verdict: 'error', summary: 'run failed: k6 exited with code 107' });
  });
});
