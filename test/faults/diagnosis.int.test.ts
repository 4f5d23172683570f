// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${db.host} is the config's own reference syntax
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { CAUSE_WORDS, diagnoseRun } from '../../src/faults/diagnosis.ts';
import type { Result } from '../../src/result/schema.ts';
import { type DemoRun, demoService, demoUpstream, POSTGRES, runConfig } from './demo.ts';

// The diagnosis end to end on the demo (FastAPI, one event loop, asyncpg pool of 10, an upstream
// of 50 ms behind Toxiproxy with a 300 ms timeout) and on the articles service (gunicorn
// threads, psycopg2 pool): levels 1, 10 and 30 VUs of 3 s, a clean phase and a degraded one
// (the upstream 780 ms slower), the probe (/health, 10/s) beside each level.
//   the demo as it is: the degraded phase is the upstream; a level where the runner's cores
//     are saturated and the service computes is CPU;
//   DEMO_BLOCKING=1 (20 ms of time.sleep on the event loop per /items): blocking from 10 VUs
//     up, in both phases;
//   DEMO_POOL_SIZE=2: the pool (naming its wait) from 10 VUs up in the clean phase;
//   articles with one connection per process and a 5 ms checkout timeout: the pool;
//   articles spending 4 ms of CPU per list in four processes (each up to a core): at 30 VUs
//     the two cores are saturated by the service itself and nothing else is wrong: CPU.
// Thresholds are the diagnosis's own ratios; nothing here is an absolute time.
// Cost: about 3.3 minutes on 2 cores (it replaces the blocking detector's 1.5).
const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-diagnosis-int-'));
const LEVELS = [1, 10, 30];
const load = {
  levels: LEVELS,
  levelDuration: '3s',
  // longer than a level's drain (the 300 ms upstream timeout): no spill into the next phase
  warmup: '2s',
  requestTimeout: '2s',
  probe: { path: '/health', rate: '10/s', idle: '2s' },
};
const degraded = { name: 'degraded', toxics: { upstream: [{ type: 'latency', latency: '780ms' }] } };

function demo(env: Record<string, string>, phases: unknown[] = ['clean', degraded]) {
  return {
    service: demoService('upstream', { DEMO_UPSTREAM_TIMEOUT_MS: '300', ...env }),
    dependencies: { db: POSTGRES },
    upstreams: { upstream: demoUpstream(50) },
    load: { ...load, requests: [{ name: 'items', path: '/items' }] },
    phases,
  };
}

const articlesDir = join(import.meta.dirname, '..', '..', 'examples', 'articles');
const articlesPool = {
  service: {
    build: { context: articlesDir },
    port: 8000,
    env: {
      DATABASE_URL: 'postgresql://articles:articles@${db.host}:${db.port}/articles',
      ARTICLES_POOL_SIZE: '1',
      ARTICLES_POOL_TIMEOUT_S: '0.005',
    },
    wait: { http: '/health' },
    startupTimeout: '90s',
  },
  dependencies: {
    db: {
      ...POSTGRES,
      env: { POSTGRES_USER: 'articles', POSTGRES_PASSWORD: 'articles', POSTGRES_DB: 'articles' },
    },
  },
  metrics: {
    poolWait: { histogram: 'articles_pool_wait_seconds' },
    poolTimeouts: 'articles_pool_timeouts_total',
    poolInUse: 'articles_pool_in_use',
  },
  load: { ...load, requests: [{ name: 'list', path: '/api/articles?limit=20' }] },
};

// the same service with a healthy pool, computing: one phase, no faults
const articlesCpu = {
  ...articlesPool,
  service: {
    ...articlesPool.service,
    // four processes of two threads, each process up to a core: twice what the runner has
    env: {
      DATABASE_URL: articlesPool.service.env.DATABASE_URL,
      ARTICLES_CPU_BURN_US: '4000',
      ARTICLES_WORKERS: '4',
      ARTICLES_THREADS: '2',
    },
  },
};

const runs: Record<'healthy' | 'blocking' | 'pool2' | 'articlesPool' | 'articlesCpu', DemoRun> = {} as never;

beforeAll(async () => {
  runs.healthy = await runConfig(join(outRoot, 'healthy'), demo({}));
  runs.blocking = await runConfig(join(outRoot, 'blocking'), demo({ DEMO_BLOCKING: '1' }));
  // the pool's clean phase is what is asserted: its degraded phase names the upstream, what changed
  runs.pool2 = await runConfig(join(outRoot, 'pool2'), demo({ DEMO_POOL_SIZE: '2' }, ['clean']));
  runs.articlesPool = await runConfig(join(outRoot, 'articles-pool'), articlesPool);
  runs.articlesCpu = await runConfig(join(outRoot, 'articles-cpu'), articlesCpu);
});

afterAll(() => {
  if (!process.env.LOADGATE_KEEP_OUT) rmSync(outRoot, { recursive: true, force: true });
});

/** The cause named at each level from 10 VUs up of a phase, by level. */
function causes(result: Result, phase: string): Record<number, string> {
  const findings = diagnoseRun(result);
  return Object.fromEntries(
    LEVELS.filter((l) => l >= 10).map((level) => [
      level,
      findings.find((f) => f.phase === phase && f.level === level)?.cause ?? 'none',
    ]),
  );
}

describe('the diagnosis on the demo and the articles service', () => {
  it('measures the probe idle and beside every level, and the CPU of the service and the runner', () => {
    for (const run of Object.values(runs)) {
      expect(run.result.probeIdleP95Ms).not.toBeNull();
      for (const level of run.result.levels) {
        expect(level.probe.p95Ms).not.toBeNull();
        expect(level.cpu?.serviceCores).not.toBeNull();
        expect(level.cpu?.runnerBusyShare).not.toBeNull();
      }
    }
  });

  it('a 20 ms blocking call: blocking at every level from 10 VUs up, in every phase', () => {
    expect(causes(runs.blocking.result, 'clean')).toEqual({ 10: 'blocking', 30: 'blocking' });
    expect(causes(runs.blocking.result, 'degraded')).toEqual({ 10: 'blocking', 30: 'blocking' });
    expect(runs.blocking.report).toContain(CAUSE_WORDS.blocking);
    expect(runs.healthy.report).not.toContain(CAUSE_WORDS.blocking);
  });

  it('a pool of 2: the pool at every level from 10 VUs up of the clean phase, naming its wait', () => {
    expect(causes(runs.pool2.result, 'clean')).toEqual({ 10: 'pool', 30: 'pool' });
    expect(runs.pool2.report).toMatch(new RegExp(`10 VUs: \\*\\*${CAUSE_WORDS.pool}\\*\\*: pool wait `));
    expect(runs.pool2.report).not.toContain(CAUSE_WORDS.blocking);
  });

  it('a healthy pool, no blocking: the degraded phase is the upstream', () => {
    expect(causes(runs.healthy.result, 'degraded')).toEqual({ 10: 'upstream', 30: 'upstream' });
  });

  it('where the two cores are saturated and nothing else is wrong: CPU', () => {
    const { result } = runs.articlesCpu;
    const findings = diagnoseRun(result);
    const top = result.levels.find((l) => l.level === 30);
    // the service's own processes compute (k6 and Postgres take their share of the cores beside them)
    expect(top?.cpu?.serviceCores ?? 0).toBeGreaterThanOrEqual(0.5);
    expect(top?.pool.timeouts ?? 0).toBe(0);
    // the service's or the runner's CPU: which of the two depends on the share k6 takes
    expect(['cpu-service', 'cpu-runner']).toContain(findings.find((f) => f.level === 30)?.cause);
    // nothing blocks, no pool or upstream is short, at any level
    for (const f of findings) expect(['blocking', 'pool', 'upstream']).not.toContain(f.cause);
  });

  it('articles (threads, psycopg2): one connection per process and checkouts that time out: the pool', () => {
    // the service's own /metrics answers from the same busy threads: judged where it was read
    const findings = diagnoseRun(runs.articlesPool.result);
    const timedOut = runs.articlesPool.result.levels.filter(
      (l) => l.level >= 10 && (l.pool.timeouts ?? 0) > 0,
    );
    expect(timedOut.length).toBeGreaterThan(0);
    for (const level of timedOut)
      expect(findings.find((f) => f.phase === level.phase && f.level === level.level)?.cause).toBe('pool');
  });

  it('leaves nothing running', async () => {
    for (const run of Object.values(runs))
      expect(await listRunLeftovers(run.result.runId)).toEqual({ containers: 0, networks: 0 });
  });
});
