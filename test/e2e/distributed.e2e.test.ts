import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LadderPlan, submetric } from '../../k6-scripts/contract.ts';
import { cellKey, readLatencySamples } from '../../src/baseline/samples.ts';
import { RunContainers } from '../../src/containers/environment.ts';
import { k6Percentile, unionSorted } from '../../src/distributed/figures.ts';
import { PartManifestSchema } from '../../src/distributed/part.ts';
import { ResultSchema } from '../../src/result/schema.ts';
import { runCli } from '../helpers/cli.ts';
import { leftoversOf } from '../helpers/engine.ts';

// A deployed target driven from three runners at once, as a CI matrix or k6-operator would:
// the demo (FastAPI + Postgres) started here stands for the deployed service, reached on
// 127.0.0.1 only. Three `loadgate run --segment i/3` start together (--start-at: k6 starts
// paused and is resumed at that time), then `loadgate merge` makes them one run: counts that
// add up, percentiles of the union of the samples, a gate, a baseline saved and compared; a
// missing part makes it partial. Then a plain run against a target of the test's own, which
// must carry the target's header on every request and write it nowhere.
// Cost: the demo's start (its image is cached) and about 12 s of load, twice.

const demoDir = join(import.meta.dirname, '..', '..', 'examples', 'demo');
const out = mkdtempSync(join(tmpdir(), 'loadgate-distributed-'));
const runId = `distributed-e2e-${process.pid}`;
const LEVELS = [10, 20];
const LEVEL_S = 3;

let containers: RunContainers;
let demoUrl: string;

beforeAll(async () => {
  containers = await RunContainers.create({ runId, logsDir: join(out, 'logs') });
  await containers.start({
    name: 'db',
    image: 'postgres:15',
    ports: [5432],
    env: { POSTGRES_USER: 'demo', POSTGRES_PASSWORD: 'demo', POSTGRES_DB: 'demo' },
    wait: { kind: 'log', message: 'database system is ready to accept connections', times: 2 },
    startupTimeoutMs: 60_000,
  });
  const service = await containers.start({
    name: 'service',
    build: { context: demoDir, dockerfile: 'Dockerfile', args: {} },
    ports: [8000],
    env: { DATABASE_URL: 'postgresql+asyncpg://demo:demo@db:5432/demo' },
    wait: { kind: 'http', path: '/health', port: 8000 },
    startupTimeoutMs: 90_000,
  });
  demoUrl = `http://127.0.0.1:${service.hostPorts.get(8000)}`;
});

afterAll(async () => {
  await containers?.[Symbol.asyncDispose]();
  expect((await leftoversOf(runId)).containers).toBe(0);
  rmSync(out, { recursive: true, force: true });
});

function writeConfig(name: string, url: string, extra: Record<string, unknown> = {}): string {
  const path = join(out, name);
  writeFileSync(
    path,
    JSON.stringify({
      version: 1,
      target: { url },
      load: {
        model: 'open',
        levels: LEVELS,
        levelDuration: `${LEVEL_S}s`,
        warmup: '1s',
        requestTimeout: '2s',
        probe: { path: '/health', rate: 3, idle: '1s' },
        requests: [
          { name: 'items', path: '/items', weight: 3 },
          { name: 'health', path: '/health', weight: 1 },
        ],
      },
      gate: {
        thresholds: [
          { metric: 'p95', max: '2s' },
          { metric: 'errorRate', max: '5%' },
        ],
      },
      ...extra,
    }),
  );
  return path;
}

describe('three runners against one deployed target, merged', () => {
  const parts = [1, 2, 3].map((i) => join(out, `part-${i}`));
  let config: string;

  it("merges into one run: counts add up, percentiles are the union's, the rate is the level's", async () => {
    config = writeConfig('target.json', demoUrl);
    // every runner's k6 is ready (paused) well before this; then all start at once
    const startAt = new Date(Date.now() + 8_000).toISOString();
    const runs = await Promise.all(
      parts.map((dir, i) =>
        runCli(['run', '--config', config, '--segment', `${i + 1}/3`, '--start-at', startAt, '--out', dir]),
      ),
    );
    for (const run of runs) expect(run.exitCode, run.stderr + run.stdout).toBe(0);

    const manifests = parts.map((dir) =>
      PartManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'part.json'), 'utf8'))),
    );
    expect(manifests.map((m) => m.executionSegment)).toEqual(['0:1/3', '1/3:2/3', '2/3:1']);
    const summaries = parts.map(
      (dir) =>
        JSON.parse(readFileSync(join(dir, 'k6-summary.json'), 'utf8')) as {
          metrics: Record<string, { values: Record<string, number> }>;
          loadgateSegment: { executionSegment: string };
        },
    );
    // k6's own word on what it ran
    expect(summaries.map((s) => s.loadgateSegment.executionSegment)).toEqual(['0:1/3', '1/3:2/3', '2/3:1']);

    const baselinePath = join(out, 'merged-baseline.json');
    const merge = await runCli([
      'merge',
      '--config',
      config,
      '--out',
      join(out, 'merged'),
      '--segments',
      '3',
      '--save-baseline',
      baselinePath,
      ...parts,
    ]);
    expect(merge.exitCode, merge.stderr + merge.stdout).toBe(0);
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'merged', 'result.json'), 'utf8')));
    expect(result.partial).toBe(false);
    expect(result.verdict).toBe('pass');
    expect(result.merged?.parts.map((p) => [p.segment, p.used])).toEqual([
      ['1/3', true],
      ['2/3', true],
      ['3/3', true],
    ]);
    expect(result.merged?.skewS).toBeLessThanOrEqual(result.merged?.maxSkewS as number);

    const plan = manifests[0]?.plan as LadderPlan;
    const samples = await Promise.all(
      parts.map((dir) => readLatencySamples(join(dir, 'k6-samples.csv.gz'), plan)),
    );
    const measured = plan.scenarios.filter((s) => s.measured);
    expect(result.levels).toHaveLength(measured.length);
    measured.forEach((scenario, i) => {
      const level = result.levels[i];
      let iterations = level?.droppedIterations ?? 0;
      for (const request of level?.requests ?? []) {
        // counts: the sum of what each runner's k6 counted
        const partCounts = summaries.map(
          (s) => s.metrics[submetric('http_reqs', scenario.name, request.name)]?.values.count ?? 0,
        );
        expect(request.count).toBe(partCounts.reduce((a, b) => a + b, 0));
        iterations += request.count;
        // percentiles: k6's own over the union of every runner's samples
        const key = cellKey(scenario.phase, scenario.levelIndex, request.name);
        const union = unionSorted(samples.map((s) => s.byCell.get(key) ?? new Float64Array(0)));
        expect(union.length).toBe(request.count);
        expect(request.p95Ms).toBe(k6Percentile(union, 0.95));
        expect(request.p99Ms).toBe(k6Percentile(union, 0.99));
        expect(request.p50Ms).toBe(k6Percentile(union, 0.5));
        expect(request.maxMs).toBe(union[union.length - 1]);
      }
      // One k6 at R/s for D s starts an iteration at the level's start and every 1/R s after,
      // through its end: R·D or R·D + 1 of them. The runners' shares add up to exactly that.
      const rate = LEVELS[i] as number;
      expect(iterations).toBeGreaterThanOrEqual(rate * LEVEL_S);
      expect(iterations).toBeLessThanOrEqual(rate * LEVEL_S + 1);
    });
    // each runner's own p95 is k6's over its own samples: the union's is what one k6 would say
    const first =
      summaries[0]?.metrics[submetric('http_req_duration', 'clean__L1', 'items')]?.values['p(95)'];
    expect(k6Percentile(samples[0]?.byCell.get(cellKey('clean', 1, 'items')) ?? [], 0.95)).toBeCloseTo(
      first as number,
      5,
    );

    // the merged run became the baseline, and a later merge is compared with it
    expect(existsSync(baselinePath)).toBe(true);
    const again = await runCli([
      'merge',
      '-c',
      config,
      '-o',
      join(out, 'again'),
      '--baseline',
      baselinePath,
      ...parts,
    ]);
    expect(again.exitCode, again.stderr).toBe(0);
    const compared = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'again', 'result.json'), 'utf8')));
    // the same parts again: comparable, and nothing regressed
    expect(compared.comparison?.notComparable).toEqual([]);
    expect(compared.comparison?.counts.regressed).toBe(0);
    expect(compared.comparison?.metrics.length).toBeGreaterThan(0);
  });

  it('a missing part makes the merge partial with the reason, never a smaller run; another config is refused', async () => {
    const baselinePath = join(out, 'partial-baseline.json');
    const partial = await runCli([
      'merge',
      '-c',
      config,
      '-o',
      join(out, 'partial'),
      '--segments',
      '3',
      '--save-baseline',
      baselinePath,
      parts[0] as string,
      parts[2] as string,
    ]);
    expect(partial.exitCode).toBe(3);
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'partial', 'result.json'), 'utf8')));
    expect(result.partial).toBe(true);
    expect(result.verdict).toBe('error');
    expect(result.summary).toBe('partial: segment 2/3 is missing: no part of it was given or readable');
    expect(result.merged?.missing).toEqual(['2/3']);
    expect(readFileSync(join(out, 'partial', 'report.md'), 'utf8')).toContain('- segment 2/3: missing');
    expect(existsSync(baselinePath)).toBe(false);

    const other = await runCli([
      'merge',
      '-c',
      config,
      '--set',
      'load.levels=[5,10]',
      '-o',
      join(out, 'other'),
      ...parts,
    ]);
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toMatch(
      /the parts do not make one run:\n {2}.*part-1\/part\.json was made from another config/,
    );
  });
});

describe('a plain run against a deployed target', () => {
  const secret = `Bearer e2e-${process.pid}-s3cret`;
  const seen: (string | undefined)[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      setTimeout(() => res.end('ok'), 2);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('needs no container engine, and carries the headers on every request and probe, never into a file', async () => {
    const config = writeConfig('plain.json', url, {});
    const raw = JSON.parse(readFileSync(config, 'utf8'));
    raw.target.headers = { Authorization: secret };
    raw.load = { ...raw.load, model: 'closed', levels: [1, 2], levelDuration: '1s', warmup: '0s' };
    writeFileSync(config, JSON.stringify(raw));
    const dir = join(out, 'plain');
    // no engine at all: a target starts nothing
    const run = await runCli(['run', '-c', config, '-o', dir], {
      env: { DOCKER_HOST: 'unix:///nonexistent.sock' },
    });
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')));
    expect(result.levels.map((l) => l.level)).toEqual([1, 2]);
    expect(result.probeIdleP95Ms).not.toBeNull();
    expect(seen.length).toBeGreaterThan(10);
    expect(new Set(seen)).toEqual(new Set([secret]));
    for (const file of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const bytes = readFileSync(join(file.parentPath, file.name));
      const text = (file.name.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
      expect(text, file.name).not.toContain('s3cret');
    }
    expect(run.stdout + run.stderr).not.toContain('s3cret');
  });
});
