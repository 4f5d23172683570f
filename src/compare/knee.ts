import type { BaselineCell } from '../baseline/schema.ts';
import { formatLevel, formatLevelNumber, formatMs, formatRps } from '../report/format.ts';
import type { LevelResult, LoadModel } from '../result/schema.ts';
import type { KneeComparison, Policy } from './schema.ts';

/** One level of one phase, as the knee reads it. */
export interface KneeLevel {
  phase: string;
  levelIndex: number;
  level: number;
  requests: { request: string; p95Ms: number | null; count: number; errors: number; throughputRps: number }[];
}

export interface Knee {
  phase: string;
  /** the last level before throughput stopped growing with latency rising (or errors); null if the lowest fails */
  level: number | null;
  /** every level kept growing: the knee is at or beyond the highest one */
  beyondTop: boolean;
  /** the highest level measured in the phase */
  topLevel: number | null;
  /** the first level past the knee; null when none is (or the lowest already fails) */
  next?: number | null;
  /** throughput was flat at `next` (sure the knee is at `level`); false: it bent, the knee lies between */
  sure?: boolean;
  /** the request whose latency rose most, weighted by its share of traffic; null when errors set it */
  request?: string | null;
  /** what set the knee: the throughput curve and a request's p95, or errors */
  evidence?: KneeEvidence | null;
}

export type KneeEvidence =
  | {
      kind: 'throughput';
      /** the most successful req/s gained per added unit of load from the knee to any later level */
      gainPerUnit: number;
      /** successful req/s per unit of load at the lowest level */
      slopePerUnit: number;
      lowestLevel: number;
      fromMs: number | null;
      toMs: number | null;
    }
  | { kind: 'errors'; errorRate: number };

/**
 * Throughput stops growing with concurrency when a level's gain per added unit of load falls
 * below this share of the lowest level's throughput per unit (its linear-scaling slope); below
 * FLAT_SHARE it is flat and the knee is sure, between the two it bends and the knee lies between
 * two levels. Shares, not times: the same rule for a 2 ms and a 200 ms service.
 */
export const KNEE_GAIN = { bendShare: 0.5, flatShare: 0.25 } as const;
/** ...together with latency rising: the traffic-weighted p95 at least this many ms above the lowest level's */
export const KNEE_LATENCY_FLOOR_MS = 2;

interface LevelFigures {
  level: KneeLevel;
  /** successful requests per second */
  goodput: number;
  errorRate: number;
  /** p95 weighted by each request's share of the level's traffic */
  weightedP95Ms: number | null;
}

function figuresOf(level: KneeLevel): LevelFigures {
  const count = level.requests.reduce((sum, r) => sum + r.count, 0);
  const errors = level.requests.reduce((sum, r) => sum + r.errors, 0);
  const throughput = level.requests.reduce((sum, r) => sum + r.throughputRps, 0);
  const errorRate = count > 0 ? errors / count : 1;
  const timed = level.requests.filter((r) => r.p95Ms !== null && r.count > 0);
  const timedCount = timed.reduce((sum, r) => sum + r.count, 0);
  const weightedP95Ms =
    timedCount > 0 ? timed.reduce((sum, r) => sum + (r.p95Ms as number) * r.count, 0) / timedCount : null;
  return { level, goodput: throughput * (1 - errorRate), errorRate, weightedP95Ms };
}

/** The request whose p95 rose most from `from` to `to`, weighted by its share of `to`'s traffic. */
function requestThatRose(
  from: KneeLevel,
  to: KneeLevel,
): { request: string; fromMs: number; toMs: number } | null {
  const total = to.requests.reduce((sum, r) => sum + r.count, 0);
  let best: { request: string; fromMs: number; toMs: number; weight: number } | null = null;
  for (const r of to.requests) {
    const before = from.requests.find((x) => x.request === r.request)?.p95Ms ?? null;
    if (r.p95Ms === null || before === null || total === 0) continue;
    const weight = (r.count / total) * (r.p95Ms - before);
    if (!best || weight > best.weight) best = { request: r.request, fromMs: before, toMs: r.p95Ms, weight };
  }
  return best && { request: best.request, fromMs: best.fromMs, toMs: best.toMs };
}

/**
 * The knee of each phase, read from the whole curve: the first level beyond which throughput stops
 * growing with the load (its gain per added VU, or per offered req/s, to the next level and to
 * every later one stays under KNEE_GAIN.bendShare of the lowest level's throughput per unit)
 * while the traffic-weighted p95
 * rises (by `p95Factor` of the lowest level's and KNEE_LATENCY_FLOOR_MS), or where the share of
 * failed requests reaches `maxErrorRate`. A millisecond endpoint's jitter weighs by its share of
 * traffic, so it cannot set the knee alone; one slow level that later levels outgrow is noise,
 * not a knee. Phases in order of first appearance. Pure.
 */
export function kneesOf(levels: readonly KneeLevel[], limits: Policy['knee']): Knee[] {
  const phases = [...new Set(levels.map((l) => l.phase))];
  return phases.map((phase) => {
    const ladder = levels
      .filter((l) => l.phase === phase)
      .sort((a, b) => a.levelIndex - b.levelIndex)
      .map(figuresOf);
    const topLevel = ladder.at(-1)?.level.level ?? null;
    const lowest = ladder[0];
    if (!lowest)
      return {
        phase,
        level: null,
        beyondTop: false,
        topLevel,
        next: null,
        sure: true,
        request: null,
        evidence: null,
      };
    const errorsOver = (f: LevelFigures) => f.errorRate >= limits.maxErrorRate;
    if (errorsOver(lowest)) {
      return {
        phase,
        level: null,
        beyondTop: false,
        topLevel,
        next: lowest.level.level,
        sure: true,
        request: null,
        evidence: { kind: 'errors', errorRate: lowest.errorRate },
      };
    }
    const slope = lowest.goodput / lowest.level.level;
    for (let i = 1; i < ladder.length; i++) {
      const prev = ladder[i - 1] as LevelFigures;
      const here = ladder[i] as LevelFigures;
      const at = { phase, level: prev.level.level, beyondTop: false, topLevel, next: here.level.level };
      if (errorsOver(here)) {
        return { ...at, sure: true, request: null, evidence: { kind: 'errors', errorRate: here.errorRate } };
      }
      // the best gain from `prev` to this or any later level: one noisy level does not make a knee
      const gain = Math.max(
        ...ladder
          .slice(i)
          .map((later) => (later.goodput - prev.goodput) / (later.level.level - prev.level.level)),
      );
      const latencyRose =
        here.weightedP95Ms !== null &&
        lowest.weightedP95Ms !== null &&
        here.weightedP95Ms >= limits.p95Factor * lowest.weightedP95Ms &&
        here.weightedP95Ms - lowest.weightedP95Ms >= KNEE_LATENCY_FLOOR_MS;
      if (gain < KNEE_GAIN.bendShare * slope && latencyRose) {
        const rose = requestThatRose(lowest.level, here.level);
        const evidence: KneeEvidence = {
          kind: 'throughput',
          gainPerUnit: gain,
          slopePerUnit: slope,
          lowestLevel: lowest.level.level,
          fromMs: rose?.fromMs ?? null,
          toMs: rose?.toMs ?? null,
        };
        return { ...at, sure: gain < KNEE_GAIN.flatShare * slope, request: rose?.request ?? null, evidence };
      }
    }
    return {
      phase,
      level: topLevel,
      beyondTop: true,
      topLevel,
      next: null,
      sure: true,
      request: null,
      evidence: null,
    };
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
        throughputRps: r.throughputRps,
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
      throughputRps: cell.durationS > 0 ? cell.count / cell.durationS : 0,
    });
  }
  return [...levels.values()];
}

/** "8 VUs", "between 8 and 12 VUs", "beyond 16 VUs", "below the lowest level". */
export function describeKnee(knee: Knee, model: LoadModel): string {
  if (knee.topLevel === null) return 'not measured';
  if (knee.beyondTop) return `beyond ${formatLevel(knee.topLevel, model)}`;
  if (knee.level === null) return 'below the lowest level';
  if (knee.sure === false && knee.next !== null && knee.next !== undefined) {
    return `between ${formatLevelNumber(knee.level)} and ${formatLevel(knee.next, model)}`;
  }
  return formatLevel(knee.level, model);
}

/**
 * The knee with what set it: "between 8 and 12 VUs: beyond 8 VUs throughput grew at most 6.2 req/s
 * per added VU (16.1 per VU at 1 VU) while items p95 rose 66 → 210 ms".
 */
export function explainKnee(knee: Knee, model: LoadModel): string {
  const where = describeKnee(knee, model);
  const e = knee.evidence;
  if (!e) return where;
  if (e.kind === 'errors') {
    const at = knee.next !== null && knee.next !== undefined ? ` at ${formatLevel(knee.next, model)}` : '';
    return `${where}: errors reached ${(e.errorRate * 100).toFixed(1)}%${at}`;
  }
  const unit = model === 'open' ? 'offered req/s' : 'VU';
  const step = knee.level !== null ? `beyond ${formatLevel(knee.level, model)} ` : '';
  const p95 =
    knee.request && e.fromMs !== null && e.toMs !== null
      ? ` while ${knee.request} p95 rose ${formatMs(e.fromMs)} → ${formatMs(e.toMs)} ms`
      : '';
  return `${where}: ${step}throughput grew at most ${formatRps(Math.max(0, e.gainPerUnit))} req/s per added ${unit} (${formatRps(e.slopePerUnit)} per ${unit} at ${formatLevel(e.lowestLevel, model)})${p95}`;
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
        ? `the knee stayed ${concrete(c) && c.sure !== false ? 'at ' : ''}${describeKnee(c, model)}${where}`
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
