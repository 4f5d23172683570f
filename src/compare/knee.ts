import type { BaselineCell } from '../baseline/schema.ts';
import { formatLevel } from '../report/format.ts';
import type { LevelResult, LoadModel } from '../result/schema.ts';
import type { KneeComparison, Policy } from './schema.ts';

/** One level of one phase, as the knee reads it. */
export interface KneeLevel {
  phase: string;
  levelIndex: number;
  level: number;
  requests: { request: string; p95Ms: number | null; count: number; errors: number }[];
}

export interface Knee {
  phase: string;
  /** the highest level up to which every level stays within the limits; null if the lowest fails */
  level: number | null;
  /** every level stayed within the limits: the knee is at or beyond the highest one */
  beyondTop: boolean;
  /** the highest level measured in the phase */
  topLevel: number | null;
}

/**
 * The knee of each phase: the highest level up to which, level after level, each request's p95
 * stays within `p95Factor` of its p95 at the lowest level and the share of failed requests stays
 * under `maxErrorRate`. The first level that breaks either ends the search, so a lucky level
 * above a bad one does not move the knee up. Phases in order of first appearance.
 */
export function kneesOf(levels: readonly KneeLevel[], limits: Policy['knee']): Knee[] {
  const phases = [...new Set(levels.map((l) => l.phase))];
  return phases.map((phase) => {
    const ladder = levels.filter((l) => l.phase === phase).sort((a, b) => a.levelIndex - b.levelIndex);
    const lowest = ladder[0];
    const reference = new Map(lowest?.requests.map((r) => [r.request, r.p95Ms]) ?? []);
    let knee: number | null = null;
    let beyondTop = ladder.length > 0;
    for (const level of ladder) {
      const count = level.requests.reduce((sum, r) => sum + r.count, 0);
      const errors = level.requests.reduce((sum, r) => sum + r.errors, 0);
      const errorsOk = count > 0 && errors / count < limits.maxErrorRate;
      const latencyOk = level.requests.every((r) => {
        const ref = reference.get(r.request);
        if (ref === null || ref === undefined) return true; // nothing to compare with
        return r.p95Ms !== null && r.p95Ms <= limits.p95Factor * ref;
      });
      if (!errorsOk || !latencyOk) {
        beyondTop = false;
        break;
      }
      knee = level.level;
    }
    return { phase, level: knee, beyondTop, topLevel: ladder.at(-1)?.level ?? null };
  });
}

/** The knee's view of result.json's levels (in plan order; the index counts within a phase). */
export function kneeLevelsOfResult(levels: readonly LevelResult[]): KneeLevel[] {
  const seen = new Map<string, number>();
  return levels.map((level) => {
    const levelIndex = seen.get(level.phase) ?? 0;
    seen.set(level.phase, levelIndex + 1);
    return {
      phase: level.phase,
      levelIndex,
      level: level.level,
      requests: level.requests.map((r) => ({
        request: r.name,
        p95Ms: r.p95Ms,
        count: r.count,
        errors: Math.round(r.errorRate * r.count),
      })),
    };
  });
}

/** The knee's view of a baseline's cells. */
export function kneeLevelsOfCells(cells: readonly BaselineCell[]): KneeLevel[] {
  const levels = new Map<string, KneeLevel>();
  for (const cell of cells) {
    const key = `${cell.phase}\u0000${cell.levelIndex}`;
    let level = levels.get(key);
    if (!level) {
      level = { phase: cell.phase, levelIndex: cell.levelIndex, level: cell.level, requests: [] };
      levels.set(key, level);
    }
    level.requests.push({
      request: cell.request,
      p95Ms: cell.p95Ms?.estimateMs ?? null,
      count: cell.count,
      errors: cell.errors,
    });
  }
  return [...levels.values()];
}

/** "8 VUs", "beyond 16 VUs", "below 1 VU". */
export function describeKnee(knee: Knee, model: LoadModel): string {
  if (knee.topLevel === null) return 'not measured';
  if (knee.beyondTop) return `beyond ${formatLevel(knee.topLevel, model)}`;
  if (knee.level === null) return 'below the lowest level';
  return formatLevel(knee.level, model);
}

function concrete(knee: Knee): boolean {
  return knee.level !== null && !knee.beyondTop;
}

/** Two runs' knees, phase by phase, with the headline a reader wants: "the knee moved from 8 to 4 VUs". */
export function compareKnees(
  baseline: readonly Knee[],
  candidate: readonly Knee[],
  model: LoadModel,
): KneeComparison[] {
  const several = candidate.length > 1;
  return candidate.map((c) => {
    const b = baseline.find((k) => k.phase === c.phase);
    const where = several ? ` (phase ${c.phase})` : '';
    if (!b) {
      return {
        phase: c.phase,
        baseline: null,
        candidate: c.level,
        baselineBeyondTop: false,
        candidateBeyondTop: c.beyondTop,
        moved: 'unknown',
        headline: `the knee is ${describeKnee(c, model)}${where}; the baseline has no such phase`,
      };
    }
    // beyond the top counts as one step above it; below the lowest as one step under
    const rank = (k: Knee) =>
      k.beyondTop ? Number.POSITIVE_INFINITY : (k.level ?? Number.NEGATIVE_INFINITY);
    const moved = rank(c) === rank(b) ? 'same' : rank(c) < rank(b) ? 'earlier' : 'later';
    const headline =
      moved === 'same'
        ? `the knee stayed ${concrete(c) ? 'at ' : ''}${describeKnee(c, model)}${where}`
        : `the knee moved from ${describeKnee(b, model)} to ${describeKnee(c, model)}${where}`;
    return {
      phase: c.phase,
      baseline: b.level,
      candidate: c.level,
      baselineBeyondTop: b.beyondTop,
      candidateBeyondTop: c.beyondTop,
      moved,
      headline,
    };
  });
}
