import type { Result } from '../result/schema.ts';

/**
 * The blocking detector's judgement. A cheap probe request (a health check, say) runs at a low
 * constant rate beside every level. When it slows down with the load, something stalls every
 * request on the way in: an event loop held by a blocking call, or every worker busy. When the
 * main requests slow down and the probe does not, they wait on something of their own: a pool
 * or an upstream.
 *
 * "Slow" is judged with a ratio and an absolute floor together: an idle probe often answers in
 * under a millisecond, and a healthy busy service multiplies that several times without anyone
 * waiting noticeably, so a ratio alone would cry wolf.
 */
export const SLOW_RULES = {
  /** the probe is slow at ≥ 5× its idle p95 and ≥ 50 ms above it */
  probe: { ratio: 5, floorMs: 50 },
  /** a main request is slow at ≥ 2× its p95 at the lowest level and ≥ 50 ms above it */
  main: { ratio: 2, floorMs: 50 },
} as const;

export interface SlowRule {
  ratio: number;
  floorMs: number;
}

/** Whether `valueMs` is slow against `referenceMs`: null when either is unknown. */
export function isSlow(valueMs: number | null, referenceMs: number | null, rule: SlowRule): boolean | null {
  if (valueMs === null || referenceMs === null) return null;
  return valueMs >= referenceMs * rule.ratio && valueMs - referenceMs >= rule.floorMs;
}

export type LevelDiagnosis =
  /** the probe is slow: something blocks the request path (event loop or all workers) */
  | 'blocking'
  /** the main request is slow, the probe is not: requests wait on a resource (pool or upstream) */
  | 'resource-wait'
  /** the main request is slow and no probe ran to tell why */
  | 'slow-unexplained'
  /** nothing slow (or nothing to judge by) */
  | 'none';

export interface DiagnosisInput {
  /** the main request's p95 at this level */
  mainP95Ms: number | null;
  /** the same request's p95 at the lowest level of the reference (fault-free) phase */
  mainReferenceP95Ms: number | null;
  /** the probe's p95 beside this level; null when no probe ran */
  probeP95Ms: number | null;
  /** the probe's p95 on the idle service (or, lacking that, at the lowest reference level) */
  probeReferenceP95Ms: number | null;
}

/** What one level's numbers most likely mean. Pure. */
export function diagnoseLevel(input: DiagnosisInput): LevelDiagnosis {
  const probeSlow = isSlow(input.probeP95Ms, input.probeReferenceP95Ms, SLOW_RULES.probe);
  if (probeSlow === true) return 'blocking';
  const mainSlow = isSlow(input.mainP95Ms, input.mainReferenceP95Ms, SLOW_RULES.main);
  if (mainSlow !== true) return 'none';
  return probeSlow === false ? 'resource-wait' : 'slow-unexplained';
}

/** The words the report uses for each diagnosis, in the seeds' terms. */
export const DIAGNOSIS_WORDS: Readonly<Record<Exclude<LevelDiagnosis, 'none'>, string>> = {
  blocking: 'something blocks the request path (event loop or all workers)',
  'resource-wait': 'requests wait on a resource: pool or upstream',
  'slow-unexplained': 'no probe ran to tell a blocked request path from a wait on a pool or upstream',
};

export interface SlowRequest {
  name: string;
  p95Ms: number;
  referenceP95Ms: number;
}

/** One level where something is slow, and what that most likely means. */
export interface Finding {
  phase: string;
  level: number;
  diagnosis: Exclude<LevelDiagnosis, 'none'>;
  /** the phase whose lowest level the main requests are compared with */
  referencePhase: string;
  /** the main requests that are slow at this level (may be empty for 'blocking') */
  slowRequests: SlowRequest[];
  probeP95Ms: number | null;
  probeReferenceP95Ms: number | null;
}

/**
 * Every level of a run where the probe or a main request is slow, in the order the levels ran.
 * The reference is the first phase without faults (else the first phase): its lowest level for
 * the main requests, and the idle probe (else that lowest level's probe) for the probe. Pure.
 */
export function findSlowLevels(result: Pick<Result, 'phases' | 'levels' | 'probeIdleP95Ms'>): Finding[] {
  const { levels } = result;
  if (levels.length === 0) return [];
  const referencePhase =
    result.phases.find((p) => (p.faults ?? []).length === 0)?.name ??
    result.phases[0]?.name ??
    levels[0]?.phase;
  const referenceLevels = levels.filter((l) => l.phase === referencePhase);
  const lowest = [...(referenceLevels.length > 0 ? referenceLevels : levels)].sort(
    (a, b) => a.level - b.level,
  )[0];
  const probeReference = result.probeIdleP95Ms ?? lowest?.probe.p95Ms ?? null;

  const findings: Finding[] = [];
  for (const level of levels) {
    const judged = level.requests.map((request) => {
      const referenceP95Ms = lowest?.requests.find((r) => r.name === request.name)?.p95Ms ?? null;
      return {
        request,
        referenceP95Ms,
        diagnosis: diagnoseLevel({
          mainP95Ms: request.p95Ms,
          mainReferenceP95Ms: referenceP95Ms,
          probeP95Ms: level.probe.p95Ms,
          probeReferenceP95Ms: probeReference,
        }),
      };
    });
    const slowRequests = judged
      .filter((j) => isSlow(j.request.p95Ms, j.referenceP95Ms, SLOW_RULES.main) === true)
      .map((j) => ({
        name: j.request.name,
        p95Ms: j.request.p95Ms as number,
        referenceP95Ms: j.referenceP95Ms as number,
      }));
    const probeSlow = isSlow(level.probe.p95Ms, probeReference, SLOW_RULES.probe) === true;
    const diagnosis = probeSlow
      ? 'blocking'
      : judged.some((j) => j.diagnosis === 'resource-wait')
        ? 'resource-wait'
        : judged.some((j) => j.diagnosis === 'slow-unexplained')
          ? 'slow-unexplained'
          : 'none';
    if (diagnosis === 'none') continue;
    findings.push({
      phase: level.phase,
      level: level.level,
      diagnosis,
      referencePhase: lowest?.phase ?? level.phase,
      slowRequests,
      probeP95Ms: level.probe.p95Ms,
      probeReferenceP95Ms: probeReference,
    });
  }
  return findings;
}
