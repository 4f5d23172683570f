import type { PhaseConfig } from '../config/schema.ts';
import type { LadderPlan } from '../load/plan.ts';
import type { LadderExtras, LevelTotals, TimelineBucket } from '../load/summary.ts';
import type { Result } from '../result/schema.ts';
import { describeFaults, hasFaults } from './toxics.ts';

/**
 * Recovery: after a phase with faults, how long until the service is back to normal. "Normal"
 * is the band of the reference phase (the first without faults) at the same level: a slice's
 * p95 at most 1.5× the reference's p95, or its p99 if that is higher (a slice holds a handful of
 * requests, so its p95 is close to its maximum), and never less than 25 ms above the p95; and
 * no more failures than the reference's error rate allows, give or take three standard
 * deviations and one request.
 */
export const RECOVERY_BAND = { p95Ratio: 1.5, p95FloorMs: 25, errorSigmas: 3, errorSlack: 1 } as const;

export interface PhaseRole {
  name: string;
  faults: string[];
  /** a fault-free phase right after one with faults, with a reference phase before it */
  measuresRecovery: boolean;
}

/** Which phase is the reference and which phases measure recovery. Pure. */
export function phaseRoles(phases: readonly Pick<PhaseConfig, 'name' | 'toxics' | 'stubs'>[]): {
  reference: string | null;
  roles: PhaseRole[];
} {
  const faulty = phases.map((phase) => hasFaults(phase));
  const referenceIndex = faulty.indexOf(false);
  return {
    reference: referenceIndex >= 0 ? (phases[referenceIndex]?.name ?? null) : null,
    roles: phases.map((phase, i) => ({
      name: phase.name,
      faults: describeFaults(phase),
      measuresRecovery:
        !faulty[i] && i > 0 && faulty[i - 1] === true && referenceIndex >= 0 && referenceIndex < i,
    })),
  };
}

export interface Band {
  p95Ms: number | null;
  p99Ms: number | null;
  errorRate: number;
}

/** Whether one time slice is back within the band; null when nothing was measured in it. */
export function withinBand(
  bucket: Pick<TimelineBucket, 'count' | 'p95Ms' | 'failed'>,
  band: Band,
): boolean | null {
  if (bucket.count === 0) return null;
  if (band.p95Ms !== null && bucket.p95Ms !== null) {
    const limit = Math.max(
      band.p95Ms * RECOVERY_BAND.p95Ratio,
      band.p95Ms + RECOVERY_BAND.p95FloorMs,
      band.p99Ms ?? 0,
    );
    if (bucket.p95Ms > limit) return false;
  }
  const expected = band.errorRate * bucket.count;
  return (
    bucket.failed <= expected + RECOVERY_BAND.errorSigmas * Math.sqrt(expected) + RECOVERY_BAND.errorSlack
  );
}

/**
 * Seconds from the phase's start (the end of the fault) to the first time slice from which every
 * measured slice to the end is within its band; null ("not recovered") when the last measured
 * slice is outside it, or none was measured. Slices without a band are skipped. Pure.
 */
export function recoverySeconds(
  buckets: readonly TimelineBucket[],
  bandOf: (bucket: TimelineBucket) => Band | null,
): number | null {
  let from: TimelineBucket | null = null;
  for (let i = buckets.length - 1; i >= 0; i--) {
    const bucket = buckets[i] as TimelineBucket;
    const band = bandOf(bucket);
    const inside = band === null ? null : withinBand(bucket, band);
    if (inside === null) continue;
    if (!inside) break;
    from = bucket;
  }
  return from === null ? null : from.startS;
}

/**
 * The band for each time slice of `phase`: the reference phase's totals at the level the slice
 * ran (warm-ups count as their level).
 */
export function bandsFor(
  plan: Pick<LadderPlan, 'scenarios'>,
  levelTotals: readonly LevelTotals[],
  reference: string,
  phase: string,
  timeline: { startS: number; bucketS: number },
): (bucket: TimelineBucket) => Band | null {
  const scenarios = plan.scenarios.filter((s) => s.phase === phase);
  return (bucket) => {
    const middleS = timeline.startS + bucket.startS + timeline.bucketS / 2;
    let running = scenarios[0];
    for (const s of scenarios) if (s.startS <= middleS) running = s;
    const totals = levelTotals.find((t) => t.phase === reference && t.levelIndex === running?.levelIndex);
    return totals ? { p95Ms: totals.p95Ms, p99Ms: totals.p99Ms, errorRate: totals.errorRate } : null;
  };
}

/** result.json's phases: each with its faults and, where measured, its recovery time. Pure. */
export function phaseResults(
  phases: readonly PhaseConfig[],
  plan: Pick<LadderPlan, 'scenarios' | 'timelines'>,
  extras: Pick<LadderExtras, 'levelTotals' | 'timelines'>,
): Result['phases'] {
  const { reference, roles } = phaseRoles(phases);
  return roles.map((role) => {
    const timeline = plan.timelines?.find((t) => t.phase === role.name);
    const series = extras.timelines.find((t) => t.phase === role.name);
    const measured =
      role.measuresRecovery && reference !== null && timeline !== undefined && series !== undefined;
    return {
      name: role.name,
      recoverySeconds: measured
        ? recoverySeconds(series.buckets, bandsFor(plan, extras.levelTotals, reference, role.name, timeline))
        : null,
      recoveryMeasured: measured,
      faults: role.faults,
    };
  });
}
