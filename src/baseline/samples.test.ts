import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LadderPlan, submetric } from '../../k6-scripts/contract.ts';
import { InfraError } from '../errors.ts';
import { parseLadderSummary } from '../load/summary.ts';
import { buildBaseline } from './build.ts';
import { cellKey, LatencySampleCollector, readLatencySamples, splitCsvLine, tagValue } from './samples.ts';
import { BaselineSchema } from './schema.ts';

// Recorded from the real k6 by test/baseline/record-samples-fixture.mjs: two phases × two levels
// of three requests (fast, hang: times out at 200 ms, fail: 503), with warm-ups; and a user's
// script without request names.
const fixtures = join(import.meta.dirname, '../../test/baseline/fixtures');
const load = async (name: string) => ({
  plan: JSON.parse(await readFile(join(fixtures, `${name}.plan.json`), 'utf8')) as LadderPlan,
  summary: JSON.parse(await readFile(join(fixtures, `${name}.summary.json`), 'utf8')) as {
    metrics: Record<string, { values: Record<string, number> }>;
  },
  samples: join(fixtures, `${name}.samples.csv.gz`),
});

/** k6's own percentile (its trend sink interpolates between neighbouring order statistics). */
function k6Percentile(sorted: Float64Array, p: number): number {
  const i = p * (sorted.length - 1);
  const lo = sorted[Math.floor(i)] as number;
  const hi = sorted[Math.ceil(i)] as number;
  return lo + (hi - lo) * (i - Math.floor(i));
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'loadgate-samples-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('readLatencySamples on k6 output', () => {
  it('keeps exactly the measured requests k6 summarised, slice by slice', async () => {
    const { plan, summary, samples } = await load('ladder');
    const read = await readLatencySamples(samples, plan);
    const measured = plan.scenarios.filter((s) => s.measured);
    expect(read.byCell.size).toBe(measured.length * 3);
    for (const s of measured) {
      for (const req of plan.requestNames) {
        const values = read.byCell.get(cellKey(s.phase, s.levelIndex, req));
        const trend = summary.metrics[submetric('http_req_duration', s.name, req)]?.values;
        if (!values || !trend) throw new Error(`missing ${s.name} ${req}`);
        expect(values.length).toBe(trend.count);
        expect(values.length).toBe(summary.metrics[submetric('http_reqs', s.name, req)]?.values.count);
        // the same samples: k6's percentiles and extremes, recomputed from ours
        for (const [stat, p] of [
          ['p(50)', 0.5],
          ['p(95)', 0.95],
          ['p(99)', 0.99],
        ] as const) {
          expect(k6Percentile(values, p)).toBeCloseTo(trend[stat] as number, 4);
        }
        expect(values[0]).toBeCloseTo(trend.min as number, 4);
        expect(values.at(-1)).toBeCloseTo(trend.max as number, 4);
        // ascending
        expect(values.every((v, i) => i === 0 || (values[i - 1] as number) <= v)).toBe(true);
      }
    }
    // timed-out requests are there too, at about the 200 ms timeout (k6 measures up to when it gave up)
    const hang = read.byCell.get(cellKey('again', 1, 'hang'));
    expect(hang?.[0]).toBeGreaterThan(150);
    expect(hang?.at(-1)).toBeLessThan(300);
    // warm-ups were read and dropped
    const all = [...read.byCell.values()].reduce((n, v) => n + v.length, 0);
    expect(read.rows).toBeGreaterThan(all);
  });

  it('slices a user script without request names per level, like the summary', async () => {
    const { plan, summary, samples } = await load('user-untagged');
    const read = await readLatencySamples(samples, plan);
    const values = read.byCell.get(cellKey('clean', 0, 'all'));
    expect(read.byCell.size).toBe(1);
    expect(values?.length).toBe(
      summary.metrics[submetric('http_req_duration', 'clean__L0', null)]?.values.count,
    );
  });

  it('reads the uncompressed CSV as well', async () => {
    const { plan, samples } = await load('user-untagged');
    const plain = join(scratch, 'samples.csv');
    await writeFile(plain, gunzipSync(await readFile(samples)));
    const fromPlain = await readLatencySamples(plain, plan);
    const fromGzip = await readLatencySamples(samples, plan);
    expect(fromPlain.byCell).toEqual(fromGzip.byCell);
  });

  it('fails clearly on a missing, damaged or foreign file', async () => {
    const { plan } = await load('ladder');
    await expect(readLatencySamples(join(scratch, 'none.csv.gz'), plan)).rejects.toThrow(InfraError);
    const damaged = join(scratch, 'damaged.csv.gz');
    await writeFile(damaged, 'not gzip at all');
    await expect(readLatencySamples(damaged, plan)).rejects.toThrow(/could not be read/);
    const foreign = join(scratch, 'foreign.csv');
    await writeFile(foreign, 'a,b,c\n1,2,3\n');
    await expect(readLatencySamples(foreign, plan)).rejects.toThrow(/no 'metric_name' column/);
    const empty = join(scratch, 'empty.csv');
    await writeFile(empty, '');
    await expect(readLatencySamples(empty, plan)).rejects.toThrow(/empty/);
  });

  it("keeps the probe's samples beside each level apart from the requests (paired mode's canary)", () => {
    const collector = new LatencySampleCollector({
      scenarios: [
        { name: 'paired__W0', phase: 'paired', levelIndex: 0, measured: false },
        { name: 'paired__L0', phase: 'paired', levelIndex: 0, measured: true },
      ],
      requestNames: [],
      probe: { scenarios: [{ name: 'paired__P0', phase: 'paired', levelIndex: 0 }] },
    } as unknown as LadderPlan);
    collector.add('metric_name,timestamp,metric_value,scenario,extra_tags');
    collector.add('http_req_duration,1,40,paired__L0,req=login');
    collector.add('http_req_duration,1,30,paired__L0,');
    collector.add('http_req_duration,1,1.5,paired__P0,name=probe');
    collector.add('http_req_duration,1,9,paired__W0,');
    collector.add('http_req_duration,1,1.25,paired__P0,name=probe');
    const read = collector.finish();
    expect(read.byCell.get(cellKey('paired', 0, 'all'))).toEqual(Float64Array.from([30, 40]));
    expect(read.byProbe?.get('paired__P0')).toEqual(Float64Array.from([1.25, 1.5]));
    expect(read.byCell.size).toBe(1);
  });

  it('rejects a duration that is not a number', () => {
    const collector = new LatencySampleCollector({
      scenarios: [{ name: 'clean__L0', phase: 'clean', levelIndex: 0, measured: true }],
      requestNames: ['a'],
    } as unknown as LadderPlan);
    collector.add('metric_name,timestamp,metric_value,scenario,extra_tags');
    collector.add('http_req_duration,1,12.5,clean__L0,req=a');
    expect(() => collector.add('http_req_duration,1,NaN,clean__L0,req=a')).toThrow(
      /line 3: 'NaN' is not a duration/,
    );
    // a longer metric name that starts alike is another metric
    collector.add('http_req_duration_custom,1,99,clean__L0,req=a');
    expect(collector.finish().byCell.get(cellKey('clean', 0, 'a'))).toEqual(Float64Array.from([12.5]));
  });
});

describe('CSV fields and tags', () => {
  it('splits quoted fields as Go writes them', () => {
    expect(splitCsvLine('a,b,,c')).toEqual(['a', 'b', '', 'c']);
    expect(splitCsvLine('http_req_duration,"dial tcp: refused, really","say ""hi""",x')).toEqual([
      'http_req_duration',
      'dial tcp: refused, really',
      'say "hi"',
      'x',
    ]);
  });

  it('finds a tag in extra_tags in any order', () => {
    expect(tagValue('req=list&phase=clean&level=2', 'req')).toBe('list');
    expect(tagValue('phase=clean&req=item', 'req')).toBe('item');
    expect(tagValue('phase=clean&request=x', 'req')).toBeNull();
    expect(tagValue('', 'req')).toBeNull();
  });
});

describe('buildBaseline from a recorded run', () => {
  it('gives every slice its percentiles with spreads, and counts errors and timeouts', async () => {
    const { plan, summary, samples } = await load('ladder');
    const levels = parseLadderSummary(JSON.stringify(summary), plan).map((l) => ({
      ...l,
      probe: { p95Ms: null },
      pool: { waitP95Ms: null, waitMeanMs: null, timeouts: null, peakDbConnections: null },
    }));
    const baseline = buildBaseline({
      result: {
        tool: { name: 'loadgate', version: '0.1.0' },
        runId: 'r1',
        startedAt: '2026-01-01T00:00:00Z',
        finishedAt: '2026-01-01T00:00:30Z',
        k6Version: '2.2.0',
        loadModel: 'closed',
        configHash: 'c',
        levels,
      },
      loadHash: 'l',
      runner: { cpuCount: 2, cpuModel: 'x', platform: 'linux', arch: 'x64' },
      source: { commit: 'abc', ref: 'refs/heads/main' },
      samples: await readLatencySamples(samples, plan),
      replicates: 200,
    });
    expect(BaselineSchema.parse(baseline)).toEqual(baseline);
    expect(baseline.statistics).toEqual({ method: 'bootstrap-requests', replicates: 200 });
    expect(baseline.cells).toHaveLength(12);
    expect(baseline.cells.map((c) => `${c.phase}/${c.levelIndex}/${c.request}`).slice(0, 4)).toEqual([
      'clean/0/fast',
      'clean/0/hang',
      'clean/0/fail',
      'clean/1/fast',
    ]);
    for (const cell of baseline.cells) {
      expect(cell.samples).toBe(cell.count);
      expect(cell.p95Ms?.logSe).not.toBeNull();
      expect(cell.p95Ms?.tailSamples).toBeCloseTo(cell.count * 0.05, 9);
      if (cell.request === 'hang') expect(cell).toMatchObject({ errors: cell.count, timeouts: cell.count });
      if (cell.request === 'fail') expect(cell).toMatchObject({ errors: cell.count, timeouts: 0 });
      if (cell.request === 'fast') expect(cell).toMatchObject({ errors: 0, timeouts: 0 });
    }
  });
});
