import { describe, expect, it } from 'vitest';
import { drainingResult } from '../report/testing/draining-pool.ts';
import type { Breach } from '../result/schema.ts';
import {
  findingsFromBreaches,
  findingsFromComparison,
  findingsOf,
  formatChange,
  formatMetricValue,
  kneeHeadlines,
  verdictExplanation,
} from './findings.ts';
import { BASE_RUN, comparedResult, pairedResult, SLOWER_RUN } from './testing/compared.ts';

const breach: Breach = {
  metric: 'p95',
  phase: 'clean',
  level: 160,
  request: 'items',
  limit: 150,
  actual: 190.4,
  reason: 'p95 of items at 160 VUs (clean): 190 ms > 150 ms limit',
};

describe('findingsFromComparison', () => {
  const result = comparedResult();
  const comparison = result.comparison;
  if (!comparison) throw new Error('compared');

  it('one row per metric that regressed, improved or is inconclusive, with base, run, change and interval', () => {
    expect(comparison.verdict).toBe('regressed');
    const findings = findingsFromComparison(comparison);
    const count = (status: string) => findings.filter((f) => f.status === status).length;
    expect(count('regressed')).toBe(comparison.counts.regressed);
    expect(count('improved')).toBe(comparison.counts.improved);
    expect(count('inconclusive')).toBe(comparison.counts.inconclusive);
    expect(findings).toHaveLength(comparison.metrics.length - comparison.counts.unchanged);
    const p95 = comparison.metrics.find(
      (m) => m.metric === 'p95Ms' && m.level === 80 && m.request === 'items',
    );
    expect(p95?.verdict).toBe('regressed');
    expect(findings).toContainEqual({
      status: 'regressed',
      phase: 'clean',
      level: 80,
      request: 'items',
      metric: 'p95Ms',
      base: p95?.baseline,
      candidate: p95?.candidate,
      limit: null,
      change: { value: p95?.change, low: p95?.changeLow, high: p95?.changeHigh },
      reason: p95?.reason,
    });
    // the slower run failed 15% of items at 160 VUs: less reliable, not only slower
    expect(findings.find((f) => f.metric === 'errorRate')).toMatchObject({
      status: 'regressed',
      level: 160,
      base: 0,
      candidate: 0.15,
    });
  });

  it('a comparison that could not be made has no rows', () => {
    const other = comparedResult(BASE_RUN, SLOWER_RUN, {
      baseOptions: { comparability: { k6Version: '1.0.0' } },
    });
    expect(other.comparison?.verdict).toBe('not-comparable');
    expect(other.verdict).toBe('not-comparable');
    expect(findingsFromComparison(other.comparison as NonNullable<typeof other.comparison>)).toEqual([]);
  });

  it('findingsOf: the gate’s breaches first, then the comparison’s verdicts', () => {
    const both = comparedResult(BASE_RUN, SLOWER_RUN, { breaches: [breach] });
    expect(both.verdict).toBe('fail');
    const findings = findingsOf(both);
    expect(findings[0]).toEqual(findingsFromBreaches([breach])[0]);
    expect(findings.slice(1)).toEqual(
      findingsFromComparison(both.comparison as NonNullable<typeof both.comparison>),
    );
    expect(findingsOf(drainingResult())).toEqual([]);
  });
});

describe('formatting', () => {
  it('changes: percentiles relative, rates in percentage points, a true minus sign', () => {
    expect(formatChange({ metric: 'p95Ms', change: { value: 0.25, low: 0.101, high: 0.4 } })).toBe(
      '+25.0% (+10.1% … +40.0%)',
    );
    expect(formatChange({ metric: 'p99Ms', change: { value: -0.2, low: -0.31, high: -0.05 } })).toBe(
      '−20.0% (−31.0% … −5.0%)',
    );
    expect(formatChange({ metric: 'errorRate', change: { value: 0.012, low: null, high: null } })).toBe(
      '+1.20 pp',
    );
    expect(formatChange({ metric: 'p50Ms', change: null })).toBe('—');
  });

  it('values: gate metrics and compared metrics alike', () => {
    expect(formatMetricValue('p95', 912.4)).toBe('912 ms');
    expect(formatMetricValue('p95Ms', 8.44)).toBe('8.4 ms');
    expect(formatMetricValue('timeoutRate', 0.0042)).toBe('0.42%');
    expect(formatMetricValue('errorRate', 0.00001)).toBe('&lt;0.01%');
    expect(formatMetricValue('throughputRps', 41.24)).toBe('41.2 req/s');
    expect(formatMetricValue('poolTimeouts', 3)).toBe('3');
    expect(formatMetricValue('p95', null)).toBe('—');
  });
});

describe('verdictExplanation', () => {
  it('says slower and less reliable than the base, and where', () => {
    const result = comparedResult();
    const text = verdictExplanation(result, findingsOf(result));
    expect(text).toMatch(
      /^slower than the base: items at 80 VUs \(p50 \+\d+\.\d%, p95 \+\d+\.\d%, p99 \+\d+\.\d%\); items at 160 VUs \(p50 .*\); less reliable: items at 160 VUs \(error rate \+15\.00 pp, timeout rate \+15\.00 pp\)$/,
    );
  });

  it('says which: the absolute gate, the comparison, or both', () => {
    const both = comparedResult(BASE_RUN, SLOWER_RUN, { breaches: [breach] });
    expect(verdictExplanation(both, findingsOf(both))).toMatch(
      /^fails the absolute gate \(1 breach: p95 of items at 160 VUs 190 ms\); and regressed, slower than the base: items at 80 VUs/,
    );
  });

  it('a failure outside loadgate’s gate (k6’s own thresholds) keeps its summary first', () => {
    const r = {
      ...comparedResult(),
      verdict: 'fail' as const,
      summary: 'k6 thresholds of your script were crossed (k6 exit 99; see k6.log)',
    };
    expect(verdictExplanation(r, findingsOf(r))).toMatch(
      /^k6 thresholds of your script were crossed \(k6 exit 99; see k6\.log\); slower than the base: items at 80 VUs/,
    );
  });

  it('no regression: how many comparisons, and how many improved', () => {
    const faster = comparedResult(SLOWER_RUN, BASE_RUN);
    expect(faster.comparison?.counts.regressed).toBe(0);
    const improved = faster.comparison?.counts.improved ?? 0;
    expect(improved).toBeGreaterThan(0);
    const text = verdictExplanation(faster, findingsOf(faster));
    expect(text).toContain(`, ${improved} improved`);
    expect(text).toMatch(/^no regression (found )?against the base/);
  });

  it('inconclusive: names where', () => {
    // 300 requests per level: 3 beyond p99, 15 beyond p95, too few to judge either; the rest within
    // the assumed run-to-run noise
    const thin = comparedResult({ ...BASE_RUN, samples: 300 }, { ...BASE_RUN, seed: 3, samples: 300 });
    expect(thin.verdict).toBe('inconclusive');
    expect(verdictExplanation(thin, findingsOf(thin))).toMatch(
      /^no regression found against the base, but \d+ of \d+ comparisons are inconclusive \(p\d\d of (items|health) at 10 VUs(, p\d\d of (items|health) at 10 VUs){2} and \d+ more\)$/,
    );
  });

  it('not comparable: says why and judges nothing', () => {
    const other = comparedResult(BASE_RUN, SLOWER_RUN, {
      baseOptions: { comparability: { k6Version: '1.0.0' } },
    });
    expect(verdictExplanation(other, findingsOf(other))).toBe(
      'not compared with the base, so no verdict on regressions: k6 differs: 1.0.0 in the baseline, 2.2.0 here',
    );
  });

  it('paired: the base revision, at its one rate', () => {
    const paired = pairedResult();
    expect(paired.comparison?.mode).toBe('paired');
    expect(verdictExplanation(paired, findingsOf(paired))).toMatch(
      /^slower than the base revision: items at 40 req\/s \(p50 \+\d+\.\d%, p95 \+\d+\.\d%, p99 \+\d+\.\d%\)$/,
    );
  });

  it('without a comparison: the run’s own summary, escaped', () => {
    const r = drainingResult({ summary: 'p95 <b>high</b>' });
    expect(verdictExplanation(r, [])).toBe('p95 &lt;b&gt;high&lt;/b&gt;');
  });
});

describe('kneeHeadlines', () => {
  it('the knee’s move as a headline, only when it moved', () => {
    expect(kneeHeadlines(comparedResult().comparison)).toEqual([
      '📉 **The knee moved from 80 VUs to 40 VUs**: this run saturates at a lower level.',
    ]);
    expect(kneeHeadlines(comparedResult(SLOWER_RUN, BASE_RUN).comparison)).toEqual([
      '📈 **The knee moved from 40 VUs to 80 VUs**: this run holds up to a higher level.',
    ]);
    expect(kneeHeadlines(comparedResult(BASE_RUN, { ...BASE_RUN, seed: 5 }).comparison)).toEqual([]);
    expect(kneeHeadlines(pairedResult().comparison)).toEqual([]);
    expect(kneeHeadlines(undefined)).toEqual([]);
  });
});
