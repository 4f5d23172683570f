import type { LevelResult, Result } from '../result/schema.ts';

/**
 * What a slow level most likely means, from the evidence measured beside it: the probe (a cheap
 * request at a low constant rate) against the idle service and against the same level of the
 * clean phase, the service container's CPU and the runner's, the pool's waits and timeouts, the
 * phase's faults (toxics, stub latency), and the main requests against the clean phase.
 *
 * In this order:
 * - a probe that waits while the service's CPU is not busy, far longer than the CPU a request
 *   spends (and no checkout timed out): something holds the request path without computing (a
 *   blocking call on an event loop, every worker thread asleep), unless, in a phase without
 *   faults, the clean phase's same level did not block: then the evidence disagrees;
 * - a phase with faults that is worse than the clean phase at the same level: the upstream;
 * - pool timeouts: the pool;
 * - a busy service on a saturated runner: CPU, the service's; a service with some CPU (or k6
 *   dropping iterations) on a saturated runner: CPU, the runner's (k6 or its neighbours);
 * - pool waits that make a large part of the requests' time: the pool; then a saturated runner;
 * - otherwise "cannot tell", saying what disagrees or is missing: a slow probe beside a busy
 *   service on a runner with CPU to spare may be blocked workers or one thread at its limit.
 *
 * Every rule is a ratio (with a floor of a few ms where a ratio of tiny numbers means nothing),
 * so it holds for a 2 ms and a 200 ms service alike. Pure.
 */
export const DIAGNOSIS_RULES = {
  /** the probe waits at ≥ 2× its idle p95, and ≥ 2 ms above it (an idle p95 of a few samples is rough) */
  probeVsIdle: 2,
  probeFloorMs: 2,
  /** the main requests are slow at ≥ 2× the traffic-weighted p95 of the clean phase's lowest level */
  mainVsLowest: 2,
  /** a phase with faults is worse than the clean phase's same level at ≥ 1.5× its p95 */
  faultVsClean: 1.5,
  /** errors count when their share rises by at least this much */
  errorsUp: 0.01,
  /**
   * ...and at ≥ 5× the service's CPU time per request: longer than the CPU any request spends
   * could keep it waiting (10× when the runner is saturated, whose contention also delays it)
   */
  probeVsCpuPerRequest: 5,
  probeVsCpuPerRequestBusyRunner: 10,
  /** the service computes: its CPU use is at least half a core */
  serviceBusyCores: 0.5,
  /** on a saturated runner, a service using at least this much is short of CPU (below it, it waits on something else) */
  serviceShareCores: 0.25,
  /** the runner is saturated: at least 85% of its CPU time busy */
  runnerBusyShare: 0.85,
  /** the pool is exhausted: its wait is at least this share of the main requests' p95 */
  poolWaitShare: 0.25,
} as const;

export type Cause = 'blocking' | 'cpu-service' | 'cpu-runner' | 'pool' | 'upstream' | 'cannot-tell';

/** The words the report uses for each cause. */
export const CAUSE_WORDS: Readonly<Record<Cause, string>> = {
  blocking: 'something blocks the request path (event loop or all workers)',
  'cpu-service': 'CPU saturated: the service computes at its limit',
  'cpu-runner': 'CPU saturated on the runner (k6 or its neighbours): the service gets too little',
  pool: 'the connection pool is exhausted: requests wait for a connection',
  upstream: 'a slow or failing upstream (this phase’s fault)',
  'cannot-tell': 'cannot tell what holds the requests',
};

/** One level's evidence, as the diagnosis reads it. */
export interface LevelEvidence {
  /** traffic-weighted p95 of the main requests, and their share of failed requests */
  mainP95Ms: number | null;
  errorRate: number;
  probeP95Ms: number | null;
  /** the pool's wait (p95, else mean) and timeouts; null: not measured */
  poolWaitMs: number | null;
  poolTimeouts: number | null;
  serviceCores: number | null;
  runnerBusyShare: number | null;
  droppedIterations: number;
  /** the main requests answered per second */
  throughputRps: number;
}

export interface DiagnosisInput {
  level: LevelEvidence;
  /** the clean phase's lowest level */
  lowest: LevelEvidence | null;
  /** the clean phase's same level, when this level is in another phase */
  clean: LevelEvidence | null;
  probeIdleP95Ms: number | null;
  /** the faults this level's phase applied; empty: none */
  faults: readonly string[];
  /** what the clean phase's same level was diagnosed with, when this level is in another phase */
  cleanCause?: Cause | 'none' | null;
}

export interface Diagnosis {
  cause: Cause | 'none';
  /** the facts behind it, one short phrase each, most telling first */
  evidence: string[];
}

function ratioOver(value: number | null, reference: number | null, ratio: number, floorMs = 0): boolean {
  return value !== null && reference !== null && value >= ratio * reference && value - reference >= floorMs;
}

const ms = (value: number) => (value >= 9.95 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`);
const times = (value: number, reference: number) =>
  reference > 0 ? `${(value / reference).toFixed(value / reference >= 9.95 ? 0 : 1)}×` : '';
const pct = (share: number) => `${Math.round(share * 100)}%`;

/** One level's diagnosis from its evidence. Pure. */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const R = DIAGNOSIS_RULES;
  const { level, lowest, clean, faults } = input;
  const probeRef = input.probeIdleP95Ms ?? lowest?.probeP95Ms ?? null;
  const probeSlow = ratioOver(level.probeP95Ms, probeRef, R.probeVsIdle, R.probeFloorMs);
  const mainSlow = ratioOver(level.mainP95Ms, lowest?.mainP95Ms ?? null, R.mainVsLowest, R.probeFloorMs);
  const errorsUp = level.errorRate >= (lowest?.errorRate ?? 0) + R.errorsUp;

  const serviceBusy = level.serviceCores !== null && level.serviceCores >= R.serviceBusyCores;
  const runnerSaturated = level.runnerBusyShare !== null && level.runnerBusyShare >= R.runnerBusyShare;
  const worseThanClean =
    clean !== null &&
    (ratioOver(level.mainP95Ms, clean.mainP95Ms, R.faultVsClean, R.probeFloorMs) ||
      level.errorRate >= clean.errorRate + R.errorsUp);
  const poolShare =
    level.poolWaitMs !== null && level.mainP95Ms !== null && level.mainP95Ms > 0
      ? level.poolWaitMs / level.mainP95Ms
      : null;
  const poolExhausted = poolShare !== null && poolShare >= R.poolWaitShare;

  const facts = {
    probe:
      level.probeP95Ms === null
        ? 'no probe'
        : `probe p95 ${ms(level.probeP95Ms)}${probeRef !== null ? ` (${times(level.probeP95Ms, probeRef)} idle${clean?.probeP95Ms ? `, ${times(level.probeP95Ms, clean.probeP95Ms)} the clean phase` : ''})` : ''}`,
    main:
      level.mainP95Ms === null
        ? null
        : `requests' p95 ${ms(level.mainP95Ms)}${lowest?.mainP95Ms ? ` (${times(level.mainP95Ms, lowest.mainP95Ms)} the lowest level${clean?.mainP95Ms ? `, ${times(level.mainP95Ms, clean.mainP95Ms)} the clean phase` : ''})` : ''}`,
    errors: level.errorRate > 0 ? `errors ${pct(level.errorRate)}` : null,
    cpu:
      level.serviceCores === null && level.runnerBusyShare === null
        ? 'CPU not measured'
        : [
            level.serviceCores !== null ? `service CPU ${level.serviceCores.toFixed(2)} cores` : null,
            level.runnerBusyShare !== null ? `runner ${pct(level.runnerBusyShare)} busy` : null,
          ]
            .filter(Boolean)
            .join(', '),
    pool:
      level.poolWaitMs === null && level.poolTimeouts === null
        ? null
        : [
            level.poolWaitMs !== null
              ? `pool wait ${ms(level.poolWaitMs)}${poolShare !== null ? ` (${pct(poolShare)} of the p95)` : ''}`
              : null,
            (level.poolTimeouts ?? 0) > 0 ? `${level.poolTimeouts} pool timeouts` : null,
          ]
            .filter(Boolean)
            .join(', '),
    faults: faults.length > 0 ? `faults: ${faults.join('; ')}` : null,
    dropped: level.droppedIterations > 0 ? `${level.droppedIterations} iterations k6 could not start` : null,
  };
  const say = (cause: Cause, ...parts: (string | null)[]): Diagnosis => ({
    cause,
    evidence: parts.filter((p): p is string => p !== null && p !== ''),
  });

  const poolTimedOut = (level.poolTimeouts ?? 0) > 0;
  const cpuMsPerRequest =
    level.serviceCores !== null && level.throughputRps > 0
      ? (level.serviceCores * 1000) / level.throughputRps
      : null;
  const probeOverCpu =
    cpuMsPerRequest === null || level.probeP95Ms === null
      ? true
      : level.probeP95Ms >=
        (runnerSaturated ? R.probeVsCpuPerRequestBusyRunner : R.probeVsCpuPerRequest) * cpuMsPerRequest;
  const cpuPerRequest = cpuMsPerRequest === null ? null : `${ms(cpuMsPerRequest)} of CPU per request`;
  // nothing slow: the requests within bounds, the probe no slower than the CPU explains
  if (!mainSlow && !errorsUp && !(probeSlow && probeOverCpu)) return { cause: 'none', evidence: [] };
  if (probeSlow && probeOverCpu && !serviceBusy && !poolTimedOut) {
    if (faults.length === 0 && input.cleanCause && input.cleanCause !== 'blocking') {
      // the same service at the same load did not block in the clean phase, and nothing was injected here
      return say(
        'cannot-tell',
        facts.probe,
        facts.cpu,
        facts.main,
        'the probe waits here but not at this level of the clean phase, with no fault injected',
      );
    }
    return say('blocking', facts.probe, facts.cpu, cpuPerRequest, facts.main);
  }
  if (faults.length > 0 && worseThanClean) {
    return say('upstream', facts.faults, facts.main, facts.errors, facts.pool, facts.probe);
  }
  if (poolTimedOut) return say('pool', facts.pool, facts.main, facts.errors, facts.probe);
  if (serviceBusy && runnerSaturated) return say('cpu-service', facts.cpu, facts.probe, facts.main);
  // a service with a fair share of a saturated runner's CPU is short of it; one far below that waits on something else
  const serviceComputes = level.serviceCores !== null && level.serviceCores >= R.serviceShareCores;
  if (runnerSaturated && (serviceComputes || level.droppedIterations > 0)) {
    return say('cpu-runner', facts.cpu, facts.dropped, facts.probe, facts.main);
  }
  if (poolExhausted) return say('pool', facts.pool, facts.main, facts.probe);
  if (runnerSaturated) return say('cpu-runner', facts.cpu, facts.dropped, facts.probe, facts.main);
  if (probeSlow && serviceBusy && probeOverCpu) {
    // a busy service on a runner with CPU to spare: blocked workers, or a runtime at its own
    // thread's limit (one event loop, one interpreter lock): the evidence does not say which
    return say(
      'cannot-tell',
      facts.probe,
      facts.cpu,
      facts.pool,
      facts.main,
      'the probe waits while the service computes and the runner has CPU to spare',
    );
  }
  // a probe slower than idle by no more than the CPU explains, the requests fine: nothing
  if (!mainSlow && !errorsUp) return { cause: 'none', evidence: [] };
  const missing = [
    level.probeP95Ms === null ? 'no probe ran' : null,
    level.poolWaitMs === null && level.poolTimeouts === null ? 'no pool metrics' : null,
    level.serviceCores === null ? 'no CPU figures' : null,
  ].filter((m): m is string => m !== null);
  return say(
    'cannot-tell',
    facts.main,
    facts.errors,
    facts.probe,
    facts.cpu,
    facts.pool,
    missing.length > 0 ? missing.join(', ') : 'probe, CPU and pool all look normal',
  );
}

/** A level's evidence from result.json. */
export function evidenceOf(level: LevelResult): LevelEvidence {
  const count = level.requests.reduce((sum, r) => sum + r.count, 0);
  const timed = level.requests.filter((r) => r.p95Ms !== null && r.count > 0);
  const timedCount = timed.reduce((sum, r) => sum + r.count, 0);
  return {
    mainP95Ms:
      timedCount > 0 ? timed.reduce((sum, r) => sum + (r.p95Ms as number) * r.count, 0) / timedCount : null,
    errorRate: count > 0 ? level.requests.reduce((sum, r) => sum + r.errorRate * r.count, 0) / count : 0,
    probeP95Ms: level.probe.p95Ms,
    poolWaitMs: level.pool.waitP95Ms ?? level.pool.waitMeanMs,
    poolTimeouts: level.pool.timeouts,
    serviceCores: level.cpu?.serviceCores ?? null,
    runnerBusyShare: level.cpu?.runnerBusyShare ?? null,
    droppedIterations: level.droppedIterations,
    throughputRps: level.requests.reduce((sum, r) => sum + r.throughputRps, 0),
  };
}

/** One level where something is slow, and what that most likely means. */
export interface Finding {
  phase: string;
  level: number;
  cause: Cause;
  evidence: string[];
}

/**
 * Every level of a run where the probe or the main requests are slow (or failing), in the order
 * the levels ran, each with its cause. The clean phase is the first without faults (else the
 * first): its lowest level, and its level of the same load, are what the others are held to. Pure.
 */
export function diagnoseRun(result: Pick<Result, 'phases' | 'levels' | 'probeIdleP95Ms'>): Finding[] {
  const { levels } = result;
  if (levels.length === 0) return [];
  const cleanPhase =
    result.phases.find((p) => (p.faults ?? []).length === 0)?.name ??
    result.phases[0]?.name ??
    levels[0]?.phase;
  const cleanLevels = levels.filter((l) => l.phase === cleanPhase);
  const lowest = [...(cleanLevels.length > 0 ? cleanLevels : levels)].sort((a, b) => a.level - b.level)[0];
  const findings: Finding[] = [];
  const judge = (level: LevelResult, sameClean: LevelResult | undefined, cleanCause: Cause | 'none' | null) =>
    diagnose({
      level: evidenceOf(level),
      lowest: lowest ? evidenceOf(lowest) : null,
      clean: sameClean ? evidenceOf(sameClean) : null,
      probeIdleP95Ms: result.probeIdleP95Ms,
      faults: result.phases.find((p) => p.name === level.phase)?.faults ?? [],
      cleanCause,
    });
  for (const level of levels) {
    const sameClean =
      level.phase === cleanPhase ? undefined : cleanLevels.find((l) => l.level === level.level);
    const cleanCause = sameClean ? judge(sameClean, undefined, null).cause : null;
    const diagnosis = judge(level, sameClean, cleanCause);
    if (diagnosis.cause === 'none') continue;
    findings.push({
      phase: level.phase,
      level: level.level,
      cause: diagnosis.cause,
      evidence: diagnosis.evidence,
    });
  }
  return findings;
}
