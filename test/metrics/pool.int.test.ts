import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunContainers, type StartedContainer } from '../../src/containers/environment.ts';
import { type K6Binary, locateK6, runLadder } from '../../src/load/k6.ts';
import { buildLadderPlan } from '../../src/load/plan.ts';
import { levelWindows } from '../../src/metrics/levels.ts';
import { type LevelMeasures, LevelWatch } from '../../src/metrics/watch.ts';
import { NOTHING_MEASURED } from '../../src/report/pool.ts';
import { formatPoolTable } from '../../src/report/terminal.ts';
import { ResultSchema } from '../../src/result/schema.ts';
import { runLoadgate } from '../../src/run.ts';

// The demo (FastAPI + SQLAlchemy's pool + Postgres + a 50 ms upstream) with a pool of 2, started
// once: loadgate's pool and database figures per level, and checked against the demo's own
// histogram read directly. Then two whole runs through runLoadgate: the default pool of 10, and
// a service without any metrics. Cost: about 2 minutes on 2 cores.
const demoDir = join(import.meta.dirname, '..', '..', 'examples', 'demo');
const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-pool-int-'));
let k6: K6Binary;

afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

describe('a pool of 2 under a rising ladder', () => {
  let containers: RunContainers;
  let db: StartedContainer;
  let baseUrl: string;
  let measures: LevelMeasures[];

  beforeAll(async () => {
    k6 = await locateK6();
    containers = await RunContainers.create({
      runId: `pool-int-${process.pid}`,
      logsDir: join(outRoot, 'logs'),
    });
    db = await containers.start({
      name: 'db',
      image: 'postgres:15',
      ports: [5432],
      env: { POSTGRES_USER: 'demo', POSTGRES_PASSWORD: 'demo', POSTGRES_DB: 'demo' },
      wait: { kind: 'log', message: 'database system is ready to accept connections', times: 2 },
      startupTimeoutMs: 60_000,
    });
    const build = { context: demoDir, dockerfile: 'Dockerfile', args: {} };
    await containers.start({
      name: 'upstream',
      build,
      ports: [8080],
      env: { UPSTREAM_LATENCY_MS: '50' },
      command: [
        'python3',
        '-m',
        'uvicorn',
        'upstream:app',
        '--host',
        '0.0.0.0',
        '--port',
        '8080',
        '--no-access-log',
      ],
      wait: { kind: 'http', path: '/health', port: 8080 },
      startupTimeoutMs: 60_000,
    });
    const service = await containers.start({
      name: 'service',
      build,
      ports: [8000],
      env: {
        DATABASE_URL: 'postgresql+asyncpg://demo:demo@db:5432/demo',
        DEMO_UPSTREAM_URL: 'http://upstream:8080/quote',
        DEMO_POOL_SIZE: '2',
      },
      wait: { kind: 'http', path: '/health', port: 8000 },
      startupTimeoutMs: 90_000,
    });
    baseUrl = `http://127.0.0.1:${service.hostPorts.get(8000)}`;
  });

  afterAll(async () => {
    await containers?.[Symbol.asyncDispose]();
  });

  /** The ladder with loadgate's watch around it, as runLoadgate does it. */
  async function ladder(levels: number[], levelDurationS: number, warmupS: number, name: string) {
    const plan = buildLadderPlan({
      baseUrl,
      model: 'closed',
      levels,
      levelDurationS,
      warmupS,
      requestTimeoutMs: 3000,
      requests: [{ name: 'items', path: '/items' }],
    });
    const warnings: string[] = [];
    const watch = await LevelWatch.prepare({
      windows: levelWindows(plan.scenarios),
      totalS: plan.totalS,
      scrape: {
        url: `${baseUrl}/metrics`,
        pool: { preset: 'auto', labels: {}, overrides: {} },
        intervalS: 0.5,
      },
      postgres: {
        containerId: db.id,
        logFile: db.logFile,
        target: { user: 'demo', database: 'demo' },
        intervalS: 0.5,
      },
      warn: (message) => warnings.push(message),
    });
    expect(watch.poolSource).toBe('loadgate-demo');
    try {
      await runLadder({ k6, plan, outDir: join(outRoot, name), onStart: (t) => watch.start(t) });
    } finally {
      measures = await watch.finish();
    }
    expect(warnings).toEqual([]);
    return measures;
  }

  it('shows the wait rising with the level, near zero at the lowest, and the DB at the pool size', async () => {
    const [low, mid, high] = await ladder([1, 4, 10], 3, 1, 'ladder');
    const p95 = [low, mid, high].map((m) => m?.pool.waitP95Ms ?? Number.NaN);
    // One VU never waits for one of two connections: a few ms at most on a busy machine, against tens of ms above.
    expect(p95[0]).toBeLessThan(5);
    expect(p95[1]).toBeGreaterThan(p95[0] as number);
    expect(p95[2]).toBeGreaterThan(p95[1] as number);
    // 10 VUs share 2 connections each held about 55 ms: most wait for several turns.
    expect(p95[2]).toBeGreaterThan(50);
    for (const m of [low, mid, high]) {
      expect(m?.pool.waits).toBeGreaterThan(0);
      expect(m?.pool.timeouts).toBe(0);
      expect(m?.pool.waitMeanMs).not.toBeNull();
    }
    expect(high?.pool.peakInUse).toBe(2);
    // max_overflow=0: the pool's size is a hard limit on the demo's connections.
    for (const m of [mid, high]) {
      expect(Math.abs((m?.db?.peakConnections ?? Number.NaN) - 2)).toBeLessThanOrEqual(1);
      expect(m?.db?.refusedConnections).toBe(0);
      expect(m?.db?.peakLockWaits).toBe(0);
    }
  });

  it("matches the demo's own histogram read directly before and after one level", async () => {
    const before = await readWaitHistogram(baseUrl);
    const [only] = await ladder([6], 3, 0, 'single');
    const after = await readWaitHistogram(baseUrl);
    const direct = {
      count: after.count - before.count,
      sum: after.sum - before.sum,
      buckets: after.buckets.map(([le, c], i) => [le, c - (before.buckets[i]?.[1] ?? 0)] as const),
    };
    const ours = only?.pool;
    expect(direct.count).toBeGreaterThan(20);
    // Checkouts still waiting when the level ends are observed after loadgate's end scrape (≤ 6 VUs).
    expect(ours?.waits).toBeLessThanOrEqual(direct.count);
    expect(ours?.waits).toBeGreaterThanOrEqual(direct.count - 6);
    const directP95Ms = p95FromBuckets(direct.buckets) * 1000;
    const directMeanMs = (direct.sum / direct.count) * 1000;
    expect(ours?.waitP95Ms).toBeGreaterThan(directP95Ms * 0.75);
    expect(ours?.waitP95Ms).toBeLessThan(directP95Ms * 1.25);
    expect(ours?.waitMeanMs).toBeGreaterThan(directMeanMs * 0.75);
    expect(ours?.waitMeanMs).toBeLessThan(directMeanMs * 1.25);
  });
});

describe('whole runs', () => {
  const configFile = (name: string, yaml: string) => {
    const path = join(outRoot, `${name}.yml`);
    writeFileSync(path, yaml);
    return path;
  };

  it('with the default pool of 10 the wait stays low, and result.json and report.md carry it', async () => {
    const config = configFile(
      'default-pool',
      `version: 1
service:
  build: { context: ${JSON.stringify(demoDir)} }
  port: 8000
  metrics: { path: /metrics }
  env:
    DATABASE_URL: postgresql+asyncpg://demo:demo@\${db.host}:\${db.port}/demo
    DEMO_UPSTREAM_URL: http://\${upstream.host}:\${upstream.port}/quote
  wait: { http: /health }
  startupTimeout: 90s
dependencies:
  db:
    image: postgres:15
    ports: [5432]
    env: { POSTGRES_USER: demo, POSTGRES_PASSWORD: demo, POSTGRES_DB: demo }
    wait: { log: database system is ready to accept connections, times: 2 }
  upstream:
    build: { context: ${JSON.stringify(demoDir)} }
    command: [python3, -m, uvicorn, upstream:app, --host, 0.0.0.0, --port, "8080", --no-access-log]
    ports: [8080]
    env: { UPSTREAM_LATENCY_MS: "50" }
    wait: { http: /health }
load:
  levels: [1, 4, 10]
  levelDuration: 3s
  warmup: 1s
  requestTimeout: 2s
  requests: [{ name: items, path: /items }]
gate:
  thresholds:
    - { metric: poolWaitP95, max: 200ms }
    - { metric: peakDbConnections, max: 11 }
`,
    );
    const warnings: string[] = [];
    const outcome = await runLoadgate({
      configPath: config,
      outDir: join(outRoot, 'default-pool'),
      overrides: [],
      progress: { step() {}, load() {}, warn: (m) => warnings.push(m) },
    });
    const result = ResultSchema.parse(JSON.parse(readFileSync(outcome.resultPath, 'utf8')));
    expect(result.levels.map((l) => l.pool.source)).toEqual([
      'loadgate-demo',
      'loadgate-demo',
      'loadgate-demo',
    ]);
    for (const level of result.levels) {
      expect(level.pool.waitP95Ms).not.toBeNull();
      // ten connections for at most ten VUs: a checkout hardly waits, a small share of a request's
      // own time however busy the machine (a pool of 2 waits several turns of ~55 ms, above)
      const itemsP95 = level.requests.find((r) => r.name === 'items')?.p95Ms ?? Number.NaN;
      expect(level.pool.waitP95Ms as number).toBeLessThan(itemsP95 / 2);
      expect(level.pool.timeouts).toBe(0);
      // the demo opens its whole pool at start-up and keeps it
      expect(level.pool.peakDbConnections).toBe(10);
      expect(level.db?.refusedConnections).toBe(0);
    }
    expect(result.gate.checked).toBe(6);
    expect(result.gate.breaches).toEqual([]);
    expect(result.verdict).toBe('pass');
    const report = readFileSync(outcome.reportPath, 'utf8');
    expect(report).toContain('| Pool wait p95 (ms) |');
    expect(report).toContain('Pool metrics read: loadgate-demo.');
    // only the config's own remarks on such short levels
    expect(warnings.filter((w) => !w.startsWith('load.'))).toEqual([]);
  });

  it('a service with no metrics endpoint still runs, and every pool column says not measured', async () => {
    const config = configFile(
      'no-metrics',
      `version: 1
service:
  build: { context: ${JSON.stringify(demoDir)} }
  command: [python3, -m, uvicorn, upstream:app, --host, 0.0.0.0, --port, "8080", --no-access-log]
  port: 8080
  wait: { http: /health }
load:
  levels: [1, 2]
  levelDuration: 2s
  warmup: 0s
  requests: [{ name: quote, path: /quote }]
gate:
  thresholds:
    - { metric: poolWaitP95, max: 1ms }
`,
    );
    const steps: string[] = [];
    const warnings: string[] = [];
    const outcome = await runLoadgate({
      configPath: config,
      outDir: join(outRoot, 'no-metrics'),
      overrides: [],
      progress: { step: (m) => steps.push(m), load() {}, warn: (m) => warnings.push(m) },
    });
    const { result } = outcome;
    expect(result.verdict).toBe('pass');
    expect(result.levels).toHaveLength(2);
    for (const level of result.levels) {
      expect(level.requests[0]?.count).toBeGreaterThan(0);
      expect(level.pool).toEqual({
        waitP95Ms: null,
        waitMeanMs: null,
        timeouts: null,
        peakDbConnections: null,
        peakWaiting: null,
        peakInUse: null,
        meanInUse: null,
      });
      expect(level.db).toBeNull();
    }
    // Nothing was asked for, so the missing /metrics is a note, not a warning.
    expect(steps.some((s) => s.includes('/metrics did not answer (HTTP 404)'))).toBe(true);
    expect(warnings).toContainEqual(
      expect.stringMatching(/^gate threshold pool wait p95 .* matched nothing measured/),
    );
    expect(result.gate.checked).toBe(0);
    expect(outcome.reportMarkdown).toContain(NOTHING_MEASURED);
    expect(formatPoolTable(result)).toBe('  pool and database: not measured');
  });
});

/** The demo's wait histogram, read with nothing of loadgate's: [le, cumulative count] pairs. */
async function readWaitHistogram(baseUrl: string) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const buckets: [number, number][] = [];
  let count = Number.NaN;
  let sum = Number.NaN;
  for (const line of text.split('\n')) {
    const bucket = /^demo_pool_checkout_wait_seconds_bucket\{le="([^"]+)"\} (\S+)$/.exec(line);
    if (bucket)
      buckets.push([bucket[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(bucket[1]), Number(bucket[2])]);
    const total = /^demo_pool_checkout_wait_seconds_(count|sum) (\S+)$/.exec(line);
    if (total?.[1] === 'count') count = Number(total[2]);
    if (total?.[1] === 'sum') sum = Number(total[2]);
  }
  return { buckets, count, sum };
}

/** p95 by the textbook rule: the bucket holding the 95th percentile rank, interpolated linearly. */
function p95FromBuckets(buckets: readonly (readonly [number, number])[]): number {
  const total = buckets.at(-1)?.[1] ?? 0;
  const rank = 0.95 * total;
  let lower = 0;
  let below = 0;
  for (const [le, cumulative] of buckets) {
    if (cumulative >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lower;
      return lower + ((le - lower) * (rank - below)) / (cumulative - below);
    }
    lower = le;
    below = cumulative;
  }
  return Number.NaN;
}
