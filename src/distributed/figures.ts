import type { LadderPlan, Outcome } from '../../k6-scripts/contract.ts';
import { cellKey, type LatencySamples } from '../baseline/cells.ts';
import { InfraError } from '../errors.ts';
import { ALL_REQUESTS } from '../load/plan.ts';
import type { LadderExtras, LevelLoadResult, LevelTotals } from '../load/summary.ts';
import type { RequestResult } from '../result/schema.ts';

/**
 * Every figure of a distributed run from its parts, as one k6 would have reported it for all
 * their requests. Counts (requests, failures by kind, dropped iterations) add up from each
 * part's summary. Latencies come from the union of the parts' samples with k6's own percentile
 * (its trend sink interpolates linearly between the closest ranks), so they are exact: never an
 * average of the parts' percentiles, which is wrong whenever the parts differ. Pure.
 */

/** One part's figures: its summary parsed against the plan, and its samples. */
export interface PartFigures {
  levels: LevelLoadResult[];
  samples: LatencySamples;
}

export interface MergedFigures {
  levels: LevelLoadResult[];
  extras: LadderExtras;
  /** the union of the parts' samples, sorted: the baseline's spreads are computed from it */
  samples: LatencySamples;
}

/**
 * k6's percentile of ascending samples (lib/metrics TrendSink.P): p × (n − 1) as a rank,
 * interpolated between its neighbours; null without samples.
 */
export function k6Percentile(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (n === 1) return sorted[0] as number;
  const rank = p * (n - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(lower + 1, n - 1);
  const low = sorted[lower] as number;
  return low + ((sorted[upper] as number) - low) * (rank - lower);
}

/** The union of sorted sample sets, sorted. */
export function unionSorted(sets: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(sets.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const set of sets) {
    out.set(set, at);
    at += set.length;
  }
  return out.sort();
}

/** Merges the parts of one plan; throws InfraError when a part does not have the plan's levels. */
export function mergeFigures(plan: LadderPlan, parts: readonly PartFigures[]): MergedFigures {
  const measured = plan.scenarios.filter((s) => s.measured);
  for (const part of parts) {
    if (part.levels.length !== measured.length)
      throw new InfraError(`a part has ${part.levels.length} levels where the plan has ${measured.length}`);
  }
  const samples = mergeSamples(parts.map((p) => p.samples));
  const names = plan.requestNames.length > 0 ? plan.requestNames : [ALL_REQUESTS];
  const levels: LevelLoadResult[] = measured.map((scenario, i) => {
    const partLevels = parts.map((p) => p.levels[i] as LevelLoadResult);
    const probe = plan.probe?.scenarios.find(
      (p) => p.phase === scenario.phase && p.levelIndex === scenario.levelIndex,
    );
    return {
      phase: scenario.phase,
      level: scenario.level,
      durationS: scenario.durationS,
      droppedIterations: sum(partLevels.map((l) => l.droppedIterations)),
      requests: names.map((name) =>
        mergeRequest(
          name,
          scenario.durationS,
          partLevels.map((l) => requestOf(l, name)),
          samples.byCell.get(cellKey(scenario.phase, scenario.levelIndex, name)),
        ),
      ),
      probe: { p95Ms: probe ? k6Percentile(samples.byProbe?.get(probe.name) ?? [], 0.95) : null },
    };
  });
  const idle = plan.probe?.scenarios.find((p) => p.phase === null);
  const levelTotals: LevelTotals[] = measured.map((scenario, i) => {
    const level = levels[i] as LevelLoadResult;
    const all = unionSorted(
      names.flatMap((name) => samples.byCell.get(cellKey(scenario.phase, scenario.levelIndex, name)) ?? []),
    );
    const count = sum(level.requests.map((r) => r.count));
    const failed = sum(level.requests.map((r) => Math.round(r.errorRate * r.count)));
    return {
      phase: scenario.phase,
      levelIndex: scenario.levelIndex,
      level: scenario.level,
      count,
      p95Ms: k6Percentile(all, 0.95),
      p99Ms: k6Percentile(all, 0.99),
      errorRate: count > 0 ? failed / count : 0,
    };
  });
  if ((plan.timelines ?? []).length > 0) {
    // recovery is measured after a faulty phase only, and a distributed target has no faults
    throw new InfraError('the plan has recovery timelines, which a merge of parts does not compute');
  }
  return {
    levels,
    extras: {
      probeIdleP95Ms: idle ? k6Percentile(samples.byProbe?.get(idle.name) ?? [], 0.95) : null,
      levelTotals,
      timelines: [],
    },
    samples,
  };
}

function mergeSamples(parts: readonly LatencySamples[]): LatencySamples {
  const union = (maps: (Map<string, Float64Array> | undefined)[]) => {
    const keys = new Set(maps.flatMap((m) => [...(m?.keys() ?? [])]));
    return new Map(
      [...keys].map((key) => [key, unionSorted(maps.flatMap((m) => m?.get(key) ?? []))] as const),
    );
  };
  return {
    byCell: union(parts.map((p) => p.byCell)),
    byProbe: union(parts.map((p) => p.byProbe)),
    rows: sum(parts.map((p) => p.rows)),
  };
}

function requestOf(level: LevelLoadResult, name: string): RequestResult {
  const request = level.requests.find((r) => r.name === name);
  if (!request)
    throw new InfraError(`a part has no request '${name}' at ${level.phase} level ${level.level}`);
  return request;
}

/** Failures by kind, back from a part's rates (each rate is a count over the part's requests). */
function failureCounts(request: RequestResult): Record<Outcome | 'all', number> {
  const n = (rate: number) => Math.round(rate * request.count);
  const counts = {
    timeout: n(request.timeoutRate),
    connection: n(request.connectionErrorRate),
    http5xx: n(request.http5xxRate),
    http4xx: n(request.http4xxRate),
    all: n(request.errorRate),
  };
  return {
    ...counts,
    other: Math.max(0, counts.all - counts.timeout - counts.connection - counts.http5xx - counts.http4xx),
  };
}

function mergeRequest(
  name: string,
  durationS: number,
  parts: readonly RequestResult[],
  sorted: Float64Array | undefined,
): RequestResult {
  const count = sum(parts.map((p) => p.count));
  const failures = parts.map(failureCounts);
  const rate = (kind: Outcome | 'all') =>
    count > 0 ? Math.min(1, sum(failures.map((f) => f[kind])) / count) : 0;
  const latencies = sorted ?? new Float64Array(0);
  const at = (p: number) => k6Percentile(latencies, p);
  return {
    name,
    count,
    throughputRps: durationS > 0 ? count / durationS : 0,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
    maxMs: latencies.length > 0 ? (latencies[latencies.length - 1] as number) : null,
    errorRate: rate('all'),
    timeoutRate: rate('timeout'),
    connectionErrorRate: rate('connection'),
    http5xxRate: rate('http5xx'),
    http4xxRate: rate('http4xx'),
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}
