import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Result, ResultSchema } from '../result/schema.ts';
import { type DiagnosisInput, diagnose, diagnoseRun, type LevelEvidence } from './diagnosis.ts';

const quiet: LevelEvidence = {
  mainP95Ms: 70,
  errorRate: 0,
  probeP95Ms: 2,
  poolWaitMs: 0.5,
  poolTimeouts: 0,
  serviceCores: 0.1,
  runnerBusyShare: 0.3,
  droppedIterations: 0,
  throughputRps: 50,
};

function judge(level: Partial<LevelEvidence>, extra: Partial<DiagnosisInput> = {}) {
  return diagnose({
    level: { ...quiet, ...level },
    lowest: quiet,
    clean: null,
    probeIdleP95Ms: 2,
    faults: [],
    ...extra,
  });
}

describe('diagnose', () => {
  it('nothing slow: no diagnosis', () => {
    expect(judge({ mainP95Ms: 110, probeP95Ms: 5 }).cause).toBe('none');
  });

  it('a probe waiting beside a quiet service: blocking, the probe first in the evidence', () => {
    const d = judge({ mainP95Ms: 200, probeP95Ms: 46, serviceCores: 0.3, runnerBusyShare: 0.5 });
    expect(d.cause).toBe('blocking');
    expect(d.evidence[0]).toBe('probe p95 46 ms (23× idle)');
  });

  it('a busy service on a saturated runner: CPU, even with the probe queued behind it', () => {
    expect(judge({ mainP95Ms: 250, probeP95Ms: 13, serviceCores: 0.95, runnerBusyShare: 0.97 }).cause).toBe(
      'cpu-service',
    );
  });

  it('a saturated runner and a quiet service: the runner', () => {
    expect(judge({ mainP95Ms: 250, probeP95Ms: 3, serviceCores: 0.2, runnerBusyShare: 0.95 }).cause).toBe(
      'cpu-runner',
    );
  });

  it('pool waits that make the requests’ time, the probe answering: the pool, naming the wait', () => {
    const d = judge({ mainP95Ms: 600, probeP95Ms: 2.5, poolWaitMs: 480 });
    expect(d.cause).toBe('pool');
    expect(d.evidence[0]).toBe('pool wait 480 ms (80% of the p95)');
  });

  it('pool timeouts: the pool, even with worker threads (and so the probe) held by the waits', () => {
    const d = judge({ mainP95Ms: 60, errorRate: 0.2, probeP95Ms: 40, poolWaitMs: 5, poolTimeouts: 300 });
    expect(d.cause).toBe('pool');
  });

  it('a phase with faults, worse than the clean phase at the same level: the upstream', () => {
    const clean = { ...quiet, mainP95Ms: 140 };
    const d = judge(
      { mainP95Ms: 320, errorRate: 1, poolWaitMs: 200 },
      { clean, faults: ['upstream: latency 780 ms ± 20 ms'] },
    );
    expect(d.cause).toBe('upstream');
    expect(d.evidence[0]).toBe('faults: upstream: latency 780 ms ± 20 ms');
  });

  it('blocking stays blocking in a phase with faults', () => {
    const d = judge(
      { mainP95Ms: 320, errorRate: 1, probeP95Ms: 40 },
      { clean: { ...quiet, mainP95Ms: 140, probeP95Ms: 38 }, faults: ['upstream: latency 780 ms'] },
    );
    expect(d.cause).toBe('blocking');
    expect(d.evidence[0]).toBe('probe p95 40 ms (20× idle, 1.1× the clean phase)');
  });

  it('cannot tell: a slow probe beside a busy service on a runner with CPU to spare', () => {
    expect(judge({ mainP95Ms: 250, probeP95Ms: 30, serviceCores: 0.98, runnerBusyShare: 0.5 }).cause).toBe(
      'cannot-tell',
    );
  });

  it('cannot tell: slow with nothing measured to say why, and says what was missing', () => {
    const d = judge({
      mainP95Ms: 400,
      probeP95Ms: null,
      poolWaitMs: null,
      poolTimeouts: null,
      serviceCores: null,
      runnerBusyShare: null,
    });
    expect(d.cause).toBe('cannot-tell');
    expect(d.evidence.at(-1)).toBe('no probe ran, no pool metrics, no CPU figures');
  });
});

function recorded(name: string): Result {
  const path = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'results', `${name}.result.json`);
  return ResultSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** The cause at each level of a phase, by level ("none" where nothing was slow). */
function causesOf(result: Result, phase: string): Record<number, string> {
  const findings = diagnoseRun(result);
  return Object.fromEntries(
    result.levels
      .filter((l) => l.phase === phase)
      .map((l) => [l.level, findings.find((f) => f.phase === phase && f.level === l.level)?.cause ?? 'none']),
  );
}

describe('diagnoseRun on recorded runs', () => {
  it('the demo under faults.yml with a 20 ms blocking call: blocking from 10 VUs up in every phase', () => {
    // the probe 5–8× idle while the service uses 0.15–0.2 cores; the degraded phase at 1 VU is the upstream
    const run = recorded('demo-faults-blocking');
    expect(causesOf(run, 'clean')).toMatchObject({ 10: 'blocking', 30: 'blocking' });
    expect(causesOf(run, 'degraded')).toEqual({ 1: 'upstream', 10: 'blocking', 30: 'blocking' });
    expect(causesOf(run, 'recovery')).toMatchObject({ 10: 'blocking', 30: 'blocking' });
  });

  it('the same demo without it: the upstream in the degraded phase, and blocking nowhere', () => {
    // a shared runner: the recovery phase's probe waited 2–3× longer than the clean phase's at
    // the same level with nothing injected, which the diagnosis calls a disagreement, not blocking
    const run = recorded('demo-faults-plain');
    expect(causesOf(run, 'degraded')).toEqual({ 1: 'upstream', 10: 'upstream', 30: 'upstream' });
    expect(causesOf(run, 'clean')).toEqual({ 1: 'none', 10: 'none', 30: 'pool' });
    expect(Object.values(causesOf(run, 'recovery'))).not.toContain('blocking');
  });

  it('the demo with a pool of 2: the pool in the clean and recovery phases, naming its wait', () => {
    // the pool waits make the whole p95 while the service uses under 0.2 cores, even where a
    // neighbour saturated the runner (recovery)
    const run = recorded('demo-faults-pool2');
    expect(causesOf(run, 'clean')).toMatchObject({ 10: 'pool', 30: 'pool' });
    expect(causesOf(run, 'recovery')).toMatchObject({ 10: 'pool', 30: 'pool' });
    expect(diagnoseRun(run).find((f) => f.phase === 'clean' && f.level === 10)?.evidence[0]).toMatch(
      /^pool wait \d+ ms \(\d+% of the p95\)$/,
    );
  });

  it('the demo at 3 s levels on a saturated runner: CPU at 30 VUs, the upstream when degraded', () => {
    const run = recorded('demo-short-healthy');
    expect(causesOf(run, 'clean')).toEqual({ 1: 'none', 10: 'none', 30: 'cpu-runner' });
    expect(causesOf(run, 'degraded')).toEqual({ 1: 'upstream', 10: 'upstream', 30: 'upstream' });
  });

  it('articles (gunicorn threads, psycopg2) with one connection per process and a 5 ms checkout timeout: the pool', () => {
    // its /metrics answers from the same busy threads: at 10 VUs they were not read, and the
    // saturated runner is all the diagnosis can name there
    const run = recorded('articles-pool-timeouts');
    expect(causesOf(run, 'clean')).toEqual({ 1: 'none', 10: 'cpu-runner', 30: 'pool' });
  });
});
