import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LadderPlan, submetric } from '../../k6-scripts/contract.ts';
import { cellKey, type LatencySamples, readLatencySamples } from '../baseline/samples.ts';
import { buildLadderPlan } from '../load/plan.ts';
import type { LevelLoadResult } from '../load/summary.ts';
import type { RequestResult } from '../result/schema.ts';
import { k6Percentile, mergeFigures, unionSorted } from './figures.ts';

// Recorded from the real k6 (test/baseline/record-samples-fixture.mjs): its summary and its CSV samples of one run.
const fixtures = join(import.meta.dirname, '..', '..', 'test', 'baseline', 'fixtures');

describe('k6Percentile', () => {
  it("is k6's own: over a real run's CSV samples it gives the summary's p50..p99 and max exactly", async () => {
    const plan = JSON.parse(readFileSync(join(fixtures, 'ladder.plan.json'), 'utf8')) as LadderPlan;
    const summary = JSON.parse(readFileSync(join(fixtures, 'ladder.summary.json'), 'utf8')) as {
      metrics: Record<string, { values: Record<string, number> }>;
    };
    const samples = await readLatencySamples(join(fixtures, 'ladder.samples.csv.gz'), plan);
    let compared = 0;
    for (const scenario of plan.scenarios.filter((s) => s.measured)) {
      for (const req of plan.requestNames) {
        const values = summary.metrics[submetric('http_req_duration', scenario.name, req)]?.values;
        const sorted = samples.byCell.get(cellKey(scenario.phase, scenario.levelIndex, req));
        if (!values || !sorted) continue;
        expect(sorted.length).toBe(values.count);
        for (const [stat, p] of [
          ['p(50)', 0.5],
          ['p(90)', 0.9],
          ['p(95)', 0.95],
          ['p(99)', 0.99],
          ['max', 1],
        ] as const) {
          // the CSV keeps microseconds' thousandths: 6 decimals of a millisecond
          expect(k6Percentile(sorted, p)).toBeCloseTo(values[stat] as number, 5);
          compared++;
        }
      }
    }
    expect(compared).toBe(60);
  });

  it('interpolates between the closest ranks, and is null without samples', () => {
    expect(k6Percentile([], 0.95)).toBeNull();
    expect(k6Percentile([7], 0.99)).toBe(7);
    expect(k6Percentile([10, 20], 0.5)).toBe(15);
    expect(k6Percentile([1, 2, 3, 4, 5], 0.95)).toBeCloseTo(4.8, 12);
  });
});

const plan = buildLadderPlan({
  baseUrl: 'http://127.0.0.1:8000',
  model: 'open',
  levels: [10],
  levelDurationS: 2,
  warmupS: 0,
  requestTimeoutMs: 1000,
  requests: [
    { name: 'fast', path: '/fast' },
    { name: 'slow', path: '/slow' },
  ],
  probe: { path: '/health', ratePerS: 2, idleS: 1 },
});

function request(name: string, count: number, failures: Partial<Record<string, number>> = {}): RequestResult {
  const rate = (n = 0) => (count > 0 ? n / count : 0);
  const all = Object.values(failures).reduce((a, b) => (a ?? 0) + (b ?? 0), 0) ?? 0;
  return {
    name,
    count,
    throughputRps: count / 2,
    p50Ms: 1,
    p90Ms: 1,
    p95Ms: 1,
    p99Ms: 1,
    maxMs: 1,
    errorRate: rate(all),
    timeoutRate: rate(failures.timeout),
    connectionErrorRate: rate(failures.connection),
    http5xxRate: rate(failures.http5xx),
    http4xxRate: rate(failures.http4xx),
  };
}

function samplesOf(cells: Record<string, number[]>, probes: Record<string, number[]>): LatencySamples {
  const sorted = (o: Record<string, number[]>) =>
    new Map(Object.entries(o).map(([k, v]) => [k, Float64Array.from(v).sort()] as const));
  return { byCell: sorted(cells), byProbe: sorted(probes), rows: 0 };
}

function level(requests: RequestResult[], droppedIterations: number): LevelLoadResult {
  return { phase: 'clean', level: 10, durationS: 2, droppedIterations, requests, probe: { p95Ms: 1 } };
}

describe('mergeFigures', () => {
  // Two runners: one saw a fast service, the other a slow one. The run's p95 is the union's, far
  // from the mean of the two runners' p95s.
  const fastA = Array.from({ length: 19 }, (_, i) => 10 + i);
  const fastB = Array.from({ length: 1 }, () => 500);
  const partA = {
    levels: [level([request('fast', 19, { http5xx: 1 }), request('slow', 3, { timeout: 2 })], 1)],
    samples: samplesOf(
      { [cellKey('clean', 0, 'fast')]: fastA, [cellKey('clean', 0, 'slow')]: [900, 1000, 1000] },
      { clean__P0: [2, 3], idle__P: [1] },
    ),
  };
  const partB = {
    levels: [level([request('fast', 1), request('slow', 2, { connection: 1 })], 2)],
    samples: samplesOf(
      { [cellKey('clean', 0, 'fast')]: fastB, [cellKey('clean', 0, 'slow')]: [800, 950] },
      { clean__P0: [40], idle__P: [2] },
    ),
  };
  const merged = mergeFigures(plan, [partA, partB]);
  const [fast, slow] = merged.levels[0]?.requests ?? [];

  it('adds counts, failures by kind and dropped iterations up over the parts', () => {
    expect(fast?.count).toBe(20);
    expect(fast?.throughputRps).toBe(10);
    expect(fast?.errorRate).toBeCloseTo(1 / 20, 12);
    expect(fast?.http5xxRate).toBeCloseTo(1 / 20, 12);
    expect(slow?.count).toBe(5);
    expect(slow?.timeoutRate).toBeCloseTo(2 / 5, 12);
    expect(slow?.connectionErrorRate).toBeCloseTo(1 / 5, 12);
    expect(slow?.errorRate).toBeCloseTo(3 / 5, 12);
    expect(merged.levels[0]?.droppedIterations).toBe(3);
  });

  it("computes percentiles over the union of the parts' samples", () => {
    const union = unionSorted([Float64Array.from(fastA), Float64Array.from(fastB)]);
    expect(fast?.p95Ms).toBe(k6Percentile(union, 0.95));
    expect(fast?.p50Ms).toBe(k6Percentile(union, 0.5));
    expect(fast?.maxMs).toBe(500);
    // never the mean of the parts' percentiles
    const meanOfParts = ((k6Percentile(fastA, 0.95) as number) + 500) / 2;
    expect(Math.abs((fast?.p95Ms as number) - meanOfParts)).toBeGreaterThan(100);
    expect(merged.levels[0]?.probe.p95Ms).toBe(k6Percentile([2, 3, 40], 0.95));
    expect(merged.extras.probeIdleP95Ms).toBe(k6Percentile([1, 2], 0.95));
    expect(merged.extras.levelTotals[0]).toMatchObject({ count: 25, errorRate: 4 / 25 });
    expect(merged.samples.byCell.get(cellKey('clean', 0, 'slow'))).toEqual(
      Float64Array.from([800, 900, 950, 1000, 1000]),
    );
  });

  it('says a latency was not measured when no part has a sample of it', () => {
    const empty = {
      levels: [level([request('fast', 0), request('slow', 0)], 0)],
      samples: samplesOf({}, {}),
    };
    const none = mergeFigures(plan, [empty]).levels[0]?.requests[0];
    expect(none).toMatchObject({ count: 0, p95Ms: null, maxMs: null, errorRate: 0 });
  });
});
