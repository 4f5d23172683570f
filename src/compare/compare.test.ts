import { describe, expect, it } from 'vitest';
import { BaselineSchema } from '../baseline/schema.ts';
import { decideVerdict } from '../gate/verdict.ts';
import {
  type Check,
  compareBaselines,
  comparisonOutcome,
  judge,
  noiseNote,
  percentileTest,
  rateTest,
  type ShiftEvidence,
  sameDirection,
} from './compare.ts';
import { applyFloorSettings, DEFAULT_POLICY } from './policy.ts';
import { ComparisonSchema, type MetricComparison, type Policy } from './schema.ts';
import { lognormalSamples, type SyntheticCell, syntheticBaseline } from './testing.ts';

const quiet: Policy = {
  ...DEFAULT_POLICY,
  runNoise: { p50Ms: 0, p95Ms: 0, p99Ms: 0 },
  runNoiseMs: { p50Ms: 0, p95Ms: 0, p99Ms: 0 },
  runNoiseSource: 'calibrated',
};
const source = { baselineSource: 'baseline.json' };

/** A ladder of two levels × two requests; `scale` multiplies the latencies of one cell. */
function run(seed: number, n: number, change: { request?: string; level?: number; scale?: number } = {}) {
  const cells: SyntheticCell[] = [];
  for (const level of [2, 8]) {
    for (const [i, request] of ['list', 'item'].entries()) {
      const hit = change.request === request && change.level === level;
      const median = (level === 8 ? 30 : 20) * (hit ? (change.scale ?? 1) : 1);
      cells.push({ level, request, samples: lognormalSamples(n, seed * 100 + level * 10 + i, median) });
    }
  }
  return cells;
}

function find(metrics: readonly MetricComparison[], where: Partial<MetricComparison>): MetricComparison {
  const found = metrics.find((m) =>
    Object.entries(where).every(([k, v]) => (m as Record<string, unknown>)[k] === v),
  );
  if (!found) throw new Error(`no metric ${JSON.stringify(where)}`);
  return found;
}

describe('compareBaselines', () => {
  it('finds nothing between two runs of the same distribution', () => {
    const comparison = compareBaselines(syntheticBaseline(run(1, 4000)), syntheticBaseline(run(2, 4000)), {
      ...source,
      policy: quiet,
    });
    expect(ComparisonSchema.parse(comparison)).toEqual(comparison);
    expect(comparison.counts.regressed).toBe(0);
    expect(comparison.counts.improved).toBe(0);
    // 4 cells × (3 percentiles; no errors, so no rate tests)
    expect(comparison.checks).toBe(12);
    expect(comparison.metrics).toHaveLength(20);
    expect(comparison.verdict === 'pass' || comparison.verdict === 'inconclusive').toBe(true);
    expect(find(comparison.metrics, { metric: 'errorRate', request: 'list', level: 2 })).toMatchObject({
      verdict: 'unchanged',
      pWorse: null,
    });
  });

  it('says regressed when one request is 30% slower, and names it', () => {
    const comparison = compareBaselines(
      syntheticBaseline(run(1, 4000)),
      syntheticBaseline(run(2, 4000, { request: 'item', level: 8, scale: 1.3 })),
      { ...source, policy: quiet },
    );
    expect(comparison.verdict).toBe('regressed');
    const p95 = find(comparison.metrics, { request: 'item', level: 8, metric: 'p95Ms' });
    expect(p95.verdict).toBe('regressed');
    expect(p95.change).toBeGreaterThan(0.2);
    expect(p95.change).toBeLessThan(0.4);
    expect(p95.changeLow).toBeGreaterThan(0);
    expect(p95.pWorseAdjusted).toBeLessThan(0.05);
    expect(p95.pWorseAdjusted).toBeGreaterThanOrEqual(p95.pWorse ?? 1);
    expect(p95.reason).toMatch(
      /^p95 of item at 8 VUs \(clean\): \+\d+(\.\d)?% .*slower beyond the 10% floor/,
    );
    expect(comparison.summary).toMatch(/regressed: p\d\d of item at 8 VUs/);
    // the other cells did not move
    for (const m of comparison.metrics.filter((x) => x.request !== 'item' || x.level !== 8)) {
      expect(m.verdict).not.toBe('regressed');
    }
    const outcome = comparisonOutcome(comparison);
    expect(outcome.regressions).toBeGreaterThan(0);
    expect(decideVerdict({ gate: { checked: 3, breaches: [] }, comparison: outcome }).verdict).toBe(
      'regressed',
    );
  });

  it('keeps a real but small change under the floor unchanged', () => {
    const comparison = compareBaselines(
      syntheticBaseline(run(1, 40000)),
      syntheticBaseline(run(2, 40000, { request: 'list', level: 2, scale: 1.04 })),
      { ...source, policy: quiet },
    );
    const p50 = find(comparison.metrics, { request: 'list', level: 2, metric: 'p50Ms' });
    expect(p50.pWorseAdjusted).toBeLessThan(0.05);
    expect(p50.verdict).toBe('unchanged');
    expect(p50.reason).toContain('a real change under the floor');
  });

  it('has no millisecond floor by default: a fast endpoint’s real shift is a regression', () => {
    // a 2 ms endpoint 40% slower (+0.8 ms), certain: the fixed 2 ms floor hid shifts like this
    const fast = (seed: number, median: number) =>
      syntheticBaseline([{ level: 2, request: 'health', samples: lognormalSamples(40000, seed, median) }]);
    expect(DEFAULT_POLICY.floors.latencyMs).toBeUndefined();
    const byDefault = compareBaselines(fast(1, 2), fast(2, 2.8), { ...source, policy: quiet });
    const p50 = find(byDefault.metrics, { request: 'health', metric: 'p50Ms' });
    expect(p50.verdict).toBe('regressed');
    expect(p50.reason).toContain('slower beyond the 10% floor');
    // the interval's half-width, what this comparison resolves, is recorded beside it
    expect(p50.resolution).toBeGreaterThan(0);
    expect(p50.resolution).toBeLessThan(0.05);
    // a millisecond floor can still be set: then the same move is a real change under it
    const floored = compareBaselines(fast(1, 2), fast(2, 2.8), {
      ...source,
      policy: applyFloorSettings(quiet, ['latency=2ms']),
    });
    const under = find(floored.metrics, { request: 'health', metric: 'p50Ms' });
    expect(under.pWorseAdjusted).toBeLessThan(0.05);
    expect(under.verdict).toBe('unchanged');
    expect(under.reason).toContain('within ±2 ms, a real change under the floor');
    // the same share of a 20 ms endpoint (+8 ms) is a regression under it; so is 2 → 8 ms
    const withFloor = applyFloorSettings(quiet, ['latency=2ms']);
    const slow = compareBaselines(fast(1, 20), fast(2, 28), { ...source, policy: withFloor });
    expect(find(slow.metrics, { metric: 'p50Ms' }).verdict).toBe('regressed');
    const much = compareBaselines(fast(1, 2), fast(2, 8), { ...source, policy: withFloor });
    expect(find(much.metrics, { metric: 'p50Ms' }).reason).toContain('slower beyond the 2 ms floor');
    expect(() => applyFloorSettings(quiet, ['latency=2'])).toThrow(
      /latency floor is milliseconds, e.g. latency=2ms/,
    );
  });

  it('needs the estimate itself beyond a set millisecond floor, not merely the interval’s end', () => {
    // few, spread-out samples of a 2 ms endpoint: +1.2 ms is significant and the interval reaches
    // past +2 ms, yet the move itself is under the floor
    const fast = (seed: number, median: number) =>
      syntheticBaseline([{ level: 8, request: 'health', samples: lognormalSamples(150, seed, median, 1.5) }]);
    const policy = applyFloorSettings(quiet, ['latency=2ms']);
    const comparison = compareBaselines(fast(3, 2.25), fast(4, 3.45), { ...source, policy });
    const p50 = find(comparison.metrics, { request: 'health', metric: 'p50Ms' });
    const base = p50.baseline ?? 0;
    expect(p50.pWorseAdjusted).toBeLessThan(0.05);
    expect(base * (p50.changeHigh ?? 0)).toBeGreaterThan(2);
    expect((p50.candidate ?? 0) - base).toBeLessThan(2);
    expect(p50.verdict).toBe('inconclusive');
    expect(p50.reason).toMatch(
      /slower \(p = .*\), but the estimate is under the 2 ms floor and the interval reaches it/,
    );
    // without the floor it is what the interval says
    const off = compareBaselines(fast(3, 2.25), fast(4, 3.45), { ...source, policy: quiet });
    expect(find(off.metrics, { metric: 'p50Ms' }).verdict).toBe('regressed');
  });

  it('needs the estimate beyond the relative floor: significant +5% against 10% is never regressed', () => {
    // 20,000 requests a side make +5% certain; its interval (+4% … +6%) lies under the 10% floor
    const cells = (seed: number, scale: number) =>
      syntheticBaseline([{ level: 8, request: 'items', samples: lognormalSamples(20000, seed, 60 * scale) }]);
    const small = compareBaselines(cells(1, 1), cells(2, 1.05), { ...source, policy: quiet });
    const p50 = find(small.metrics, { metric: 'p50Ms' });
    expect(p50.pWorseAdjusted).toBeLessThan(0.05);
    expect(p50.verdict).toBe('unchanged');
    // few requests: +8% significant, interval past the floor: inconclusive, never regressed
    const few = (seed: number, scale: number) =>
      syntheticBaseline([
        { level: 8, request: 'items', samples: lognormalSamples(1500, seed, 60 * scale, 0.2) },
      ]);
    const wide = compareBaselines(few(5, 1), few(6, 1.08), { ...source, policy: quiet });
    const w = find(wide.metrics, { metric: 'p50Ms' });
    expect(w.change).toBeLessThan(0.1);
    expect((w.changeHigh as number) > 0.1).toBe(true);
    expect(w.verdict).toBe('inconclusive');
  });

  it('judges a fast endpoint by the runner’s jitter in milliseconds, not by a slow one’s share', () => {
    // both 15% slower; a 2 ms endpoint's 0.3 ms is within a runner's scheduling noise (0.25 ms),
    // a 60 ms endpoint's 9 ms is not
    const cells = (seed: number, scale: number) =>
      syntheticBaseline([
        { level: 8, request: 'health', samples: lognormalSamples(20000, seed, 2 * scale) },
        { level: 8, request: 'items', samples: lognormalSamples(20000, seed + 1, 60 * scale) },
      ]);
    const noisy = (runNoiseMs: number): Policy => ({
      ...applyFloorSettings(quiet, ['latency=0ms']),
      runNoise: { p50Ms: 0.04, p95Ms: 0.04, p99Ms: 0.04 },
      runNoiseMs: { p50Ms: runNoiseMs, p95Ms: runNoiseMs, p99Ms: runNoiseMs },
    });
    const verdicts = (policy: Policy) => {
      const c = compareBaselines(cells(10, 1), cells(20, 1.15), { ...source, policy });
      return ['health', 'items'].map((request) => find(c.metrics, { request, metric: 'p50Ms' }).verdict);
    };
    expect(verdicts(noisy(0.25))).toEqual(['inconclusive', 'regressed']);
    // a relative noise alone judges both alike
    expect(verdicts(noisy(0))).toEqual(['regressed', 'regressed']);
    expect(noiseNote(noisy(0.25))).toContain('p50 4% + 0.25 ms');
  });

  it('calls a faster request improved', () => {
    const comparison = compareBaselines(
      syntheticBaseline(run(1, 4000)),
      syntheticBaseline(run(2, 4000, { request: 'list', level: 2, scale: 0.6 })),
      { ...source, policy: quiet },
    );
    expect(find(comparison.metrics, { request: 'list', level: 2, metric: 'p50Ms' }).verdict).toBe('improved');
    expect(comparison.counts.improved).toBeGreaterThan(0);
    expect(comparison.verdict).not.toBe('regressed');
  });

  it('does not judge a percentile from fewer than 20 samples beyond it', () => {
    // 1000 requests leave 10 beyond p99: inconclusive, even with a 2× change, and not tested
    const comparison = compareBaselines(
      syntheticBaseline([{ level: 4, request: 'a', samples: lognormalSamples(1000, 1) }]),
      syntheticBaseline([{ level: 4, request: 'a', samples: lognormalSamples(1000, 2, 40) }]),
      { ...source, policy: quiet },
    );
    const p99 = find(comparison.metrics, { metric: 'p99Ms' });
    expect(p99).toMatchObject({ verdict: 'inconclusive', pWorse: null, pWorseAdjusted: null });
    expect(p99.reason).toContain(
      'too few samples beyond p99 to judge it: 10 in the baseline, 10 here (at least 20',
    );
    expect(p99.change).toBeGreaterThan(0.5);
    expect(find(comparison.metrics, { metric: 'p95Ms' }).verdict).toBe('regressed');
    expect(comparison.checks).toBe(2);
  });

  it('widens the interval by the assumed run-to-run noise and says so', () => {
    const base = syntheticBaseline(run(1, 20000));
    const slower = syntheticBaseline(run(2, 20000, { request: 'list', level: 2, scale: 1.12 }));
    const without = compareBaselines(base, slower, { ...source, policy: quiet });
    const noisy = compareBaselines(base, slower, {
      ...source,
      policy: { ...DEFAULT_POLICY, runNoise: { p50Ms: 0.1, p95Ms: 0.1, p99Ms: 0.1 } },
    });
    const where = { request: 'list', level: 2, metric: 'p50Ms' } as const;
    expect(find(without.metrics, where).verdict).toBe('regressed');
    expect(find(noisy.metrics, where).verdict).toBe('inconclusive');
    const width = (m: MetricComparison) => (m.changeHigh ?? 0) - (m.changeLow ?? 0);
    expect(width(find(noisy.metrics, where))).toBeGreaterThan(3 * width(find(without.metrics, where)));
    expect(noisy.notes.join(' ')).toContain('run-to-run noise assumed, not measured: p50 10%');
  });

  it('tests error and timeout rates with a ratio and an absolute floor, failures independent', () => {
    // rateDispersion 1: requests fail independently (the binomial), to test the floors' logic
    const independent: Policy = { ...quiet, rateDispersion: 1 };
    const cell = (seed: number, errors: number, timeouts = 0): SyntheticCell[] => [
      { level: 4, request: 'a', samples: lognormalSamples(5000, seed), errors, timeouts },
    ];
    const compare = (b: SyntheticCell[], c: SyntheticCell[], policy = independent) =>
      compareBaselines(syntheticBaseline(b), syntheticBaseline(c), { ...source, policy }).metrics;

    const worse = find(compare(cell(1, 0), cell(2, 100, 100)), { metric: 'timeoutRate' });
    expect(worse.verdict).toBe('regressed');
    expect(worse.reason).toContain('0% → 2% (0 of 5000 → 100 of 5000)');
    expect(worse).toMatchObject({ df: null, units: 1 });
    expect(find(compare(cell(1, 1), cell(2, 2)), { metric: 'errorRate' }).verdict).toBe('unchanged');
    // significant (200 vs 300 of 5000) but not twice the rate: under the floor
    const small = find(compare(cell(1, 200), cell(2, 300)), { metric: 'errorRate' });
    expect(small.pWorse).toBeLessThan(0.01);
    expect(small.verdict).toBe('unchanged');
    expect(find(compare(cell(1, 100), cell(2, 0)), { metric: 'errorRate' }).verdict).toBe('improved');
    // too few requests to tell 0 from 3 of 100
    const few = compareBaselines(
      syntheticBaseline([{ level: 4, request: 'a', samples: lognormalSamples(100, 1) }]),
      syntheticBaseline([{ level: 4, request: 'a', samples: lognormalSamples(100, 2), errors: 3 }]),
      { ...source, policy: independent },
    );
    expect(find(few.metrics, { metric: 'errorRate' }).verdict).toBe('inconclusive');
    // no failure on either side: nothing to test
    expect(find(compare(cell(1, 0), cell(2, 0)), { metric: 'errorRate' })).toMatchObject({
      verdict: 'unchanged',
      pWorse: null,
    });
  });

  it('does not call a burst of errors in one run a regression: failures are overdispersed', () => {
    // a burst of 40 errors in a run of 5000 against a clean baseline: 0.8%, past both floors, and
    // as requests it would be certain; as one burst among runs (the assumed dispersion) it is not
    const cell = (seed: number, errors: number): SyntheticCell[] => [
      { level: 4, request: 'a', samples: lognormalSamples(5000, seed), errors },
    ];
    const burst = compareBaselines(syntheticBaseline(cell(1, 0)), syntheticBaseline(cell(2, 40)), {
      ...source,
      policy: quiet,
    });
    expect(find(burst.metrics, { metric: 'errorRate' }).verdict).toBe('inconclusive');
    expect(burst.verdict).not.toBe('regressed');
    const asRequests = compareBaselines(syntheticBaseline(cell(1, 0)), syntheticBaseline(cell(2, 40)), {
      ...source,
      policy: { ...quiet, rateDispersion: 1 },
    });
    expect(find(asRequests.metrics, { metric: 'errorRate' }).verdict).toBe('regressed');
    // a real failure, one in ten requests, is found all the same
    const real = compareBaselines(syntheticBaseline(cell(1, 0)), syntheticBaseline(cell(2, 500)), {
      ...source,
      policy: quiet,
    });
    expect(find(real.metrics, { metric: 'errorRate' }).verdict).toBe('regressed');
  });

  it('cannot test without per-request samples', () => {
    const comparison = compareBaselines(
      syntheticBaseline(run(1, 4000), { summaryOnly: true }),
      syntheticBaseline(run(2, 4000, { request: 'item', level: 8, scale: 2 })),
      { ...source, policy: quiet },
    );
    const p95 = find(comparison.metrics, { request: 'item', level: 8, metric: 'p95Ms' });
    expect(p95.verdict).toBe('inconclusive');
    expect(p95.reason).toContain('no per-request samples');
    expect(p95.change).toBeGreaterThan(0.5);
    expect(comparison.verdict).toBe('inconclusive');
  });

  it('refuses another load, load model, k6 or runner, and gives no per-metric verdict', () => {
    const base = syntheticBaseline(run(1, 1000));
    const cases: [Parameters<typeof syntheticBaseline>[1], RegExp][] = [
      [
        { comparability: { loadHash: 'other' } },
        /the load differs \(levels, durations, requests or phases; load hash load0000/,
      ],
      [{ comparability: { loadModel: 'open' } }, /the load model differs: closed in the baseline, open here/],
      [{ comparability: { k6Version: '2.3.0' } }, /k6 differs: 2\.2\.0 in the baseline, 2\.3\.0 here/],
      [
        {
          comparability: { runner: { cpuCount: 4, cpuModel: 'Intel Xeon', platform: 'linux', arch: 'x64' } },
        },
        /the runner has 4 CPUs, the baseline's had 2/,
      ],
      [
        {
          comparability: { runner: { cpuCount: 2, cpuModel: 'AMD EPYC', platform: 'linux', arch: 'arm64' } },
        },
        /the runner is linux\/arm64, the baseline's was linux\/x64/,
      ],
    ];
    for (const [options, reason] of cases) {
      const comparison = compareBaselines(base, syntheticBaseline(run(2, 1000), options), source);
      expect(comparison).toMatchObject({ verdict: 'not-comparable', metrics: [], checks: 0, knees: [] });
      expect(comparison.summary).toMatch(reason);
      const decided = decideVerdict({
        gate: { checked: 2, breaches: [] },
        comparison: comparisonOutcome(comparison),
      });
      expect(decided.verdict).toBe('not-comparable');
      expect(decided.summary).toMatch(reason);
    }
    // the CPU model alone never refuses: it is a note (see the runner-class test)
    const cpus = compareBaselines(base, syntheticBaseline(run(2, 1000), cases[3]?.[0]), source);
    expect(cpus.notComparable).toEqual(["the runner has 4 CPUs, the baseline's had 2"]);
    expect(cpus.notes.join(' ')).toContain("the runner's CPU is Intel Xeon, the baseline's was AMD EPYC");
    // the gate still wins
    const breach = {
      metric: 'p95',
      phase: 'clean',
      level: 2,
      request: 'list',
      limit: 1,
      actual: 2,
      reason: 'p95 too high',
    };
    const notComparable = compareBaselines(base, syntheticBaseline(run(2, 1000), cases[0]?.[0]), source);
    expect(
      decideVerdict({
        gate: { checked: 1, breaches: [breach] },
        comparison: comparisonOutcome(notComparable),
      }).verdict,
    ).toBe('fail');
  });

  it('notes a config that differs outside the load and still compares', () => {
    const comparison = compareBaselines(
      syntheticBaseline(run(1, 2000)),
      syntheticBaseline(run(2, 2000), { comparability: { configHash: 'changed' } }),
      source,
    );
    expect(comparison.verdict).not.toBe('not-comparable');
    expect(comparison.notes[0]).toMatch(
      /config differs outside the load .*config00 → changed.*compared as the same load/,
    );
    expect(comparison.notes[1]).toBe('compared with one stored run');
    expect(comparison.notes[2]).toMatch(/run-to-run noise assumed, not measured/);
    expect(comparison.historyRecords).toBe(1);
  });

  it('compares runners by class: another CPU model widens the noise, another memory class refuses', () => {
    const runner = { cpuCount: 2, cpuModel: 'AMD EPYC 7763', platform: 'linux', arch: 'x64', memoryGiB: 7.8 };
    const base = syntheticBaseline(run(1, 20000), { comparability: { runner } });
    const slower = (r: typeof runner) =>
      syntheticBaseline(run(2, 20000, { request: 'list', level: 2, scale: 1.12 }), {
        comparability: { runner: r },
      });
    const same = compareBaselines(base, slower(runner), { ...source, policy: quiet });
    const other = compareBaselines(base, slower({ ...runner, cpuModel: 'AMD EPYC 9V74', memoryGiB: 8 }), {
      ...source,
      policy: quiet,
    });
    expect(other.verdict).not.toBe('not-comparable');
    expect(other.notes.join(' ')).toContain(
      "the runner's CPU is AMD EPYC 9V74, the baseline's was AMD EPYC 7763",
    );
    expect(other.notes.join(' ')).toContain('15% of run-to-run noise added');
    const where = { request: 'list', level: 2, metric: 'p50Ms' } as const;
    const width = (m: MetricComparison) => (m.changeHigh ?? 0) - (m.changeLow ?? 0);
    expect(find(same.metrics, where).verdict).toBe('regressed');
    // 15% of noise on a +12% change: no longer certain
    expect(find(other.metrics, where).verdict).toBe('inconclusive');
    expect(width(find(other.metrics, where))).toBeGreaterThan(5 * width(find(same.metrics, where)));
    // 16 GiB is another class than 8; a record without memory is compared all the same
    const bigger = compareBaselines(base, slower({ ...runner, memoryGiB: 16 }), source);
    expect(bigger.verdict).toBe('not-comparable');
    expect(bigger.summary).toMatch(/the runner has 16 GiB of memory, the baseline's had 8 GiB/);
    const { memoryGiB: _, ...older } = runner;
    expect(
      compareBaselines(
        syntheticBaseline(run(1, 2000), { comparability: { runner: older } }),
        slower(runner),
        source,
      ).verdict,
    ).not.toBe('not-comparable');
  });

  it('refuses a baseline that lacks some of the run\u2019s slices', () => {
    const comparison = compareBaselines(
      syntheticBaseline(run(1, 1000).filter((c) => c.request === 'list')),
      syntheticBaseline(run(2, 1000)),
      source,
    );
    expect(comparison.verdict).toBe('not-comparable');
    expect(comparison.notComparable[0]).toMatch(/lacks 2 of this run's .* e\.g\. item at 2 VUs \(clean\)/);
  });

  it('reports the knee moving', () => {
    const ladder = (kneeAt: number, seed: number): SyntheticCell[] =>
      [1, 2, 4, 8].map((level, i) => ({
        level,
        request: 'a',
        samples: lognormalSamples(2000, seed + i, level > kneeAt ? 100 : 20),
      }));
    const comparison = compareBaselines(syntheticBaseline(ladder(8, 1)), syntheticBaseline(ladder(2, 10)), {
      ...source,
      policy: quiet,
    });
    expect(comparison.knees).toEqual([
      expect.objectContaining({ phase: 'clean', baseline: 8, candidate: 2, moved: 'earlier' }),
    ]);
    expect(comparison.knees[0]?.headline).toBe('the knee moved from beyond 8 VUs to 2 VUs');
    expect(comparison.summary).toContain('the knee moved from beyond 8 VUs to 2 VUs');
    expect(comparison.verdict).toBe('regressed');
  });

  it('keeps the false alarms of A/A comparisons near α, all checks counted', () => {
    // 40 pairs of runs of one distribution: 4 cells × 3 percentiles each, Holm at α = 5%
    let alarms = 0;
    for (let i = 0; i < 40; i++) {
      const c = compareBaselines(
        syntheticBaseline(run(1000 + i, 3000)),
        syntheticBaseline(run(2000 + i, 3000)),
        {
          ...source,
          policy: quiet,
        },
      );
      if (c.counts.regressed > 0) alarms++;
    }
    // expected about 2 of 40; 6 or more would happen by chance less than 1% of the time
    expect(alarms).toBeLessThanOrEqual(5);
  });

  it('parses as a baseline after the round trip through JSON', () => {
    const base = syntheticBaseline(run(1, 500));
    expect(BaselineSchema.parse(JSON.parse(JSON.stringify(base)))).toEqual(base);
  });
});

describe('the decision rules, on constructed evidence', () => {
  const cell = { phase: 'clean', levelIndex: 0, level: 8, request: 'items' };
  const evidence = (d: number, se: number, over: Partial<ShiftEvidence> = {}): ShiftEvidence => ({
    d,
    se,
    df: 5,
    units: 6,
    signs: null,
    ...over,
  });
  const decide = (check: Check) => judge([check], 'closed').metrics[0] as MetricComparison;
  const p50 = (d: number, se: number, over: Partial<ShiftEvidence> = {}) =>
    decide(
      percentileTest(
        { cell, metric: 'p50Ms', baseline: 60, candidate: 60 * Math.exp(d) },
        evidence(d, se, over),
        DEFAULT_POLICY,
      ),
    );

  it('regressed: significant and the estimate itself beyond the floor', () => {
    expect(p50(Math.log(1.15), 0.02)).toMatchObject({ verdict: 'regressed', df: 5, units: 6 });
    // significant, the interval past the floor, the estimate under it: inconclusive
    const under = p50(Math.log(1.08), 0.012);
    expect(under.pWorse).toBeLessThan(0.001);
    expect(under.changeHigh).toBeGreaterThan(0.1);
    expect(under.verdict).toBe('inconclusive');
    // significant and the whole interval under the floor: a real change under it, unchanged
    expect(p50(Math.log(1.05), 0.005)).toMatchObject({ verdict: 'unchanged' });
    expect(p50(Math.log(1.05), 0.005).reason).toContain('a real change under the floor');
    // not significant, the interval reaching the floor: inconclusive
    expect(p50(0.02, 0.05)).toMatchObject({ verdict: 'inconclusive' });
    expect(p50(0.02, 0.05).reason).toContain('not significant, yet the interval reaches the 10% floor');
    // improved mirrors regressed
    expect(p50(Math.log(0.8), 0.02)).toMatchObject({ verdict: 'improved' });
    expect(p50(Math.log(0.92), 0.012)).toMatchObject({ verdict: 'inconclusive' });
  });

  it('never unchanged when every one of enough blocks moved the same way', () => {
    expect(sameDirection({ worse: 6, better: 0 }, 0.05)).toBe('worse');
    expect(sameDirection({ worse: 0, better: 6 }, 0.05)).toBe('better');
    // five blocks agree by chance in 6% of A/A checks: not enough at α = 5%
    expect(sameDirection({ worse: 5, better: 0 }, 0.05)).toBeNull();
    expect(sameDirection({ worse: 5, better: 1 }, 0.05)).toBeNull();
    expect(sameDirection(null, 0.05)).toBeNull();
    const shifted = p50(Math.log(1.03), 0.005, { signs: { worse: 6, better: 0 } });
    expect(shifted.changeHigh).toBeLessThan(0.1);
    expect(shifted).toMatchObject({ verdict: 'inconclusive', sameDirection: 'worse' });
    // the same interval without agreement in every block: unchanged
    expect(p50(Math.log(1.03), 0.005, { signs: { worse: 5, better: 1 } }).verdict).toBe('unchanged');
  });

  it('records what a check resolves: the interval’s half-width', () => {
    // t(5) at 95%: 2.015
    expect(p50(0, 0.02).resolution).toBeCloseTo(Math.expm1(2.015048 * 0.02), 5);
    // and an undecided one says it in milliseconds: 60 ms × (e^(2.015·0.05) − 1) ≈ 6.4 ms
    expect(p50(0.02, 0.05).reason).toMatch(/resolves 6\.\d ms/);
  });

  it('rates: significant and past both floors on the estimates', () => {
    const rate = (rb: number, rc: number, se: number, over: Partial<ShiftEvidence> = {}) =>
      decide(
        rateTest(
          { cell, metric: 'errorRate', baseline: rb, candidate: rc },
          evidence(rc - rb, se, over),
          DEFAULT_POLICY,
          'x',
        ),
      );
    expect(rate(0, 0.02, 0.002).verdict).toBe('regressed');
    // significant, but not twice the baseline's rate
    expect(rate(0.02, 0.03, 0.001).verdict).toBe('unchanged');
    // twice, but not half a point more
    expect(rate(0.001, 0.003, 0.0002).verdict).toBe('unchanged');
    // not significant, the interval reaching both floors
    expect(rate(0, 0.006, 0.01).verdict).toBe('inconclusive');
    expect(rate(0.02, 0, 0.002).verdict).toBe('improved');
    // more in every one of 6 blocks, under the floor: never unchanged
    expect(rate(0.001, 0.0015, 0.0001, { signs: { worse: 6, better: 0 } }).verdict).toBe('inconclusive');
  });

  it('judges nothing on a NaN: an error names it', () => {
    expect(() => p50(Number.NaN, 0.02)).toThrow(/test statistic is NaN/);
    expect(() => p50(0.1, 0.02, { df: Number.NaN })).toThrow(/degrees of freedom NaN/);
  });
});
