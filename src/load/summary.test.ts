import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InfraError } from '../errors.ts';
import { LevelResultSchema, type RequestResult } from '../result/schema.ts';
import type { LadderPlan } from './plan.ts';
import { crossedThresholds, type LevelLoadResult, parseLadderExtras, parseLadderSummary } from './summary.ts';

// Recorded from real k6 v2.2.0 runs by scripts/record-k6-fixtures.mjs.
function fixture(name: string): { plan: LadderPlan; text: string } {
  const dir = new URL('../../test/fixtures/k6/', import.meta.url);
  return {
    plan: JSON.parse(readFileSync(new URL(`${name}.plan.json`, dir), 'utf8')) as LadderPlan,
    text: readFileSync(new URL(`${name}.summary.json`, dir), 'utf8'),
  };
}

function parse(name: string): LevelLoadResult[] {
  const { plan, text } = fixture(name);
  return parseLadderSummary(text, plan);
}

function request(level: LevelLoadResult, name: string): RequestResult {
  const found = level.requests.find((r) => r.name === name);
  if (!found) throw new Error(`no request ${name} at level ${level.level}`);
  return found;
}

/** What every recorded result must satisfy, whatever the run. */
function expectConsistent(levels: LevelLoadResult[]): void {
  for (const level of levels) {
    // the schema the result file is checked against (probe and pool come from elsewhere)
    expect(() =>
      LevelResultSchema.parse({ ...level, probe: { p95Ms: null }, pool: emptyPool }),
    ).not.toThrow();
    for (const r of level.requests) {
      expect(r.throughputRps).toBeCloseTo(r.count / level.durationS, 9);
      const parts = r.timeoutRate + r.connectionErrorRate + r.http5xxRate + r.http4xxRate;
      expect(parts).toBeLessThanOrEqual(r.errorRate + 1e-9);
      if (r.count === 0) {
        expect([r.p50Ms, r.p95Ms, r.p99Ms, r.maxMs]).toEqual([null, null, null, null]);
        continue;
      }
      const [p50, p90, p95, p99, max] = [r.p50Ms, r.p90Ms, r.p95Ms, r.p99Ms, r.maxMs].map(Number);
      expect(p50).toBeLessThanOrEqual(p90 as number);
      expect(p90).toBeLessThanOrEqual(p95 as number);
      expect(p95).toBeLessThanOrEqual(p99 as number);
      expect(p99).toBeLessThanOrEqual(max as number);
    }
  }
}
const emptyPool = { waitP95Ms: null, waitMeanMs: null, timeouts: null, peakDbConnections: null };

/** The submetric counts of a fixture, to check the parser's sums against k6's own totals. */
function rawCount(name: string, metric: string): number {
  const data = JSON.parse(fixture(name).text) as {
    metrics: Record<string, { values: Record<string, number> }>;
  };
  const value = data.metrics[metric]?.values.count;
  if (value === undefined) throw new Error(`fixture ${name} has no ${metric}`);
  return value;
}

describe('parseLadderSummary: closed model, 3 levels, two weighted requests', () => {
  const levels = parse('closed-3-levels');

  it('gives one result per level in ladder order, each with both requests', () => {
    expect(levels.map((l) => [l.phase, l.level, l.durationS])).toEqual([
      ['clean', 1, 2],
      ['clean', 2, 2],
      ['clean', 4, 2],
    ]);
    for (const level of levels) expect(level.requests.map((r) => r.name)).toEqual(['list', 'item']);
    expectConsistent(levels);
  });

  it('counts add up to the level total and follow the 3:1 weights', () => {
    levels.forEach((level, i) => {
      const sum = level.requests.reduce((n, r) => n + r.count, 0);
      expect(sum).toBe(rawCount('closed-3-levels', `http_req_duration{scenario:clean__L${i}}`));
      const share = request(level, 'list').count / sum;
      expect(share).toBeGreaterThan(0.6);
      expect(share).toBeLessThan(0.9);
    });
  });

  it('a healthy service: no errors, no drops, real latencies', () => {
    for (const level of levels) {
      expect(level.droppedIterations).toBe(0);
      for (const r of level.requests) {
        expect(r.count).toBeGreaterThan(0);
        expect(r.errorRate).toBe(0);
        expect(r.p99Ms).toBeGreaterThan(0);
      }
    }
  });
});

describe('parseLadderSummary: open model past capacity', () => {
  const levels = parse('open-dropped');

  it('reports the iterations k6 dropped at the level the service cannot keep up with', () => {
    expectConsistent(levels);
    const [low, high] = levels as [LevelLoadResult, LevelLoadResult];
    expect(low.droppedIterations).toBe(0);
    expect(high.droppedIterations).toBeGreaterThan(0);
    // 2 VUs, 200 ms per response: about 10 requests/s get through whatever the arrival rate
    expect(request(high, 'slow').throughputRps).toBeLessThan(high.level);
    expect(request(high, 'slow').p50Ms).toBeGreaterThanOrEqual(200);
  });
});

describe('parseLadderSummary: a request that hangs', () => {
  const levels = parse('timeouts');

  it('counts the hanging request as timeouts, and only it', () => {
    expectConsistent(levels);
    for (const level of levels) {
      const hang = request(level, 'hang');
      expect(hang.count).toBeGreaterThan(0);
      expect(hang.timeoutRate).toBe(1);
      expect(hang.errorRate).toBe(1);
      expect(hang.connectionErrorRate + hang.http5xxRate + hang.http4xxRate).toBe(0);
      // a timed-out request lasts its timeout (300 ms)
      expect(hang.p50Ms).toBeGreaterThanOrEqual(300);
      const fast = request(level, 'fast');
      expect(fast.timeoutRate).toBe(0);
      expect(fast.errorRate).toBe(0);
    }
  });
});

describe('parseLadderSummary: 5xx, 4xx and a refused connection', () => {
  const levels = parse('errors');

  it('classifies each failure by its cause', () => {
    expectConsistent(levels);
    for (const level of levels) {
      expect(request(level, 'ok').errorRate).toBe(0);
      expect(request(level, 'unavailable')).toMatchObject({ errorRate: 1, http5xxRate: 1, http4xxRate: 0 });
      expect(request(level, 'missing')).toMatchObject({ errorRate: 1, http4xxRate: 1, http5xxRate: 0 });
      // expectStatus 201: a 201 is success
      expect(request(level, 'created').errorRate).toBe(0);
      expect(request(level, 'refused')).toMatchObject({
        errorRate: 1,
        connectionErrorRate: 1,
        timeoutRate: 0,
      });
      // /flaky answers 500, 429, 200, 200 in turn
      const flaky = request(level, 'flaky');
      expect(flaky.http5xxRate).toBeGreaterThan(0.15);
      expect(flaky.http4xxRate).toBeGreaterThan(0.15);
      expect(flaky.errorRate).toBeCloseTo(flaky.http5xxRate + flaky.http4xxRate, 9);
      expect(flaky.errorRate).toBeLessThan(0.75);
    }
  });

  it('agrees with k6 on how many requests failed per level', () => {
    levels.forEach((level, i) => {
      const failed = level.requests.reduce((n, r) => n + Math.round(r.errorRate * r.count), 0);
      const data = JSON.parse(fixture('errors').text) as {
        metrics: Record<string, { values: { passes: number } }>;
      };
      expect(failed).toBe(data.metrics[`http_req_failed{scenario:clean__L${i}}`]?.values.passes);
    });
  });
});

describe("parseLadderSummary: a user's own script", () => {
  const levels = parse('user-script');

  it('slices by the req tags it sets and classifies from k6 built-in metrics', () => {
    expectConsistent(levels);
    for (const level of levels) {
      expect(level.requests.map((r) => r.name)).toEqual(['home', 'broken', 'stuck']);
      expect(request(level, 'home').errorRate).toBe(0);
      expect(request(level, 'stuck')).toMatchObject({ timeoutRate: 1, errorRate: 1, connectionErrorRate: 0 });
      const broken = request(level, 'broken');
      expect(broken.http5xxRate).toBeGreaterThan(0);
      expect(broken.http4xxRate).toBeGreaterThan(0);
      expect(broken.timeoutRate).toBe(0);
    }
  });

  it('gives one slice per level named "all" when no req names are given', () => {
    const untagged = parse('user-script-untagged');
    expectConsistent(untagged);
    for (const level of untagged) {
      expect(level.requests.map((r) => r.name)).toEqual(['all']);
      const [all] = level.requests as [RequestResult];
      expect(all.timeoutRate).toBeGreaterThan(0);
      expect(all.http5xxRate).toBeGreaterThan(0);
      expect(all.http4xxRate).toBeGreaterThan(0);
    }
  });
});

describe('parseLadderSummary: input it must refuse', () => {
  const { plan, text } = fixture('timeouts');

  it('a truncated file', () => {
    expect(() => parseLadderSummary(text.slice(0, text.length / 2), plan)).toThrow(
      /not valid JSON \(truncated\?\)/,
    );
  });

  it('a file of another shape, naming the path that is wrong', () => {
    expect(() => parseLadderSummary('{"metrics": {"http_reqs": {"type": "histogram"}}}', plan)).toThrow(
      /unexpected shape: metrics\.http_reqs\.type/,
    );
    expect(() => parseLadderSummary('[]', plan)).toThrow(InfraError);
  });

  it('a summary that lacks a submetric of the plan, naming it', () => {
    const data = JSON.parse(text) as { metrics: Record<string, unknown> };
    delete data.metrics['http_reqs{scenario:clean__L1,req:hang}'];
    expect(() => parseLadderSummary(JSON.stringify(data), plan)).toThrow(
      "k6 summary lacks the metric 'http_reqs{scenario:clean__L1,req:hang}'",
    );
  });

  it('a summary without p(99) (summaryTrendStats overridden)', () => {
    const data = JSON.parse(text) as { metrics: Record<string, { values: Record<string, number> }> };
    for (const metric of Object.values(data.metrics)) delete metric.values['p(99)'];
    expect(() => parseLadderSummary(JSON.stringify(data), plan)).toThrow(
      /lacks 'p\(99\)'.*summaryTrendStats/,
    );
  });
});

describe('the blocking detector and the recovery timeline', () => {
  const { plan, text } = fixture('probe-timeline');

  it("gives each level its probe's p95, and none where no probe ran", () => {
    const levels = parse('probe-timeline');
    expectConsistent(levels);
    expect(levels.map((l) => [l.phase, l.level])).toEqual([
      ['clean', 1],
      ['clean', 2],
      ['recovery', 1],
      ['recovery', 2],
    ]);
    for (const level of levels) expect(level.probe.p95Ms).toBeGreaterThan(0);
    for (const level of parse('closed-3-levels')) expect(level.probe).toEqual({ p95Ms: null });
  });

  it('reads the idle probe, each level in total, and the time slices of the recovery phase', () => {
    const extras = parseLadderExtras(text, plan);
    expect(extras.probeIdleP95Ms).toBeGreaterThan(0);
    expect(extras.levelTotals.map((t) => [t.phase, t.levelIndex, t.level])).toEqual([
      ['clean', 0, 1],
      ['clean', 1, 2],
      ['recovery', 0, 1],
      ['recovery', 1, 2],
    ]);
    // a quarter of the requests hang and time out: they are failures, with their 300 ms
    for (const totals of extras.levelTotals) {
      expect(totals.errorRate).toBeGreaterThan(0.05);
      expect(totals.p95Ms).toBeGreaterThanOrEqual(300);
    }
    const [timeline] = extras.timelines;
    expect(timeline?.phase).toBe('recovery');
    expect(timeline?.buckets.map((b) => [b.index, b.startS])).toEqual(
      Array.from({ length: 6 }, (_, i) => [i, i]),
    );
    // the slices hold the measured levels' requests and the warm-ups' too, probes excluded
    const counted = (timeline?.buckets ?? []).reduce((sum, b) => sum + b.count, 0);
    const perLevel = plan.scenarios
      .filter((s) => s.phase === 'recovery' && s.measured)
      .reduce((sum, s) => sum + rawCount('probe-timeline', `http_req_duration{scenario:${s.name}}`), 0);
    expect(counted).toBeGreaterThanOrEqual(perLevel);
    for (const bucket of timeline?.buckets ?? []) {
      expect(bucket.failed).toBeGreaterThan(0);
      expect(bucket.failed).toBeLessThanOrEqual(bucket.count);
    }
  });

  it("a user's own script: its iterations carry the time slice too", () => {
    const recorded = fixture('user-script-timeline');
    const extras = parseLadderExtras(recorded.text, recorded.plan);
    expect(extras.timelines[0]?.buckets.map((b) => b.count > 0)).toEqual([true, true, true]);
    expect(parseLadderSummary(recorded.text, recorded.plan)[0]?.probe.p95Ms).toBeGreaterThan(0);
  });

  it('plans from before probes and timelines have none', () => {
    const old = fixture('closed-3-levels');
    expect(parseLadderExtras(old.text, old.plan)).toMatchObject({ probeIdleP95Ms: null, timelines: [] });
  });
});

describe('crossedThresholds', () => {
  it("names the user script's crossed thresholds, not those that held nor the ladder's own", () => {
    // recorded with k6 exiting 99: p(95) of `home` under 1 µs cannot hold, a count > 0 must
    const { plan, text } = fixture('user-script-thresholds');
    expect(crossedThresholds(text)).toEqual(['http_req_duration{req:home}: p(95)<0.001']);
    // the ladder still reads its levels from the same summary
    expect(parseLadderSummary(text, plan).map((l) => l.level)).toEqual([2]);
  });

  it('finds none in a run whose thresholds all held', () => {
    expect(crossedThresholds(fixture('user-script').text)).toEqual([]);
  });
});
