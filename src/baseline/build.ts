import { bootstrapPercentile, seedOf } from '../compare/stats.ts';
import type { LevelResult, Result } from '../result/schema.ts';
import { cellKey, type LatencySamples } from './cells.ts';
import {
  BASELINE_VERSION,
  type Baseline,
  type BaselineCell,
  PERCENTILES,
  type Percentile,
  type Runner,
} from './schema.ts';

/** Bootstrap replicates per percentile: the standard error's own error is about 1/√(2·2000) ≈ 1.6%. */
export const DEFAULT_REPLICATES = 2000;

export interface BaselineInput {
  result: Pick<
    Result,
    'tool' | 'runId' | 'startedAt' | 'finishedAt' | 'k6Version' | 'loadModel' | 'configHash' | 'levels'
  >;
  loadHash: string;
  runner: Runner;
  source: Baseline['source'];
  /** per-request latencies of the run; null when only k6's summary is there (no spreads) */
  samples: LatencySamples | null;
  replicates?: number;
}

/**
 * A run as a baseline: per (phase, level, request) the percentiles from the per-request samples
 * with a bootstrap spread, and the error and timeout counts from k6's summary. Pure and
 * deterministic: the bootstrap of each cell is seeded by the cell's name.
 */
export function buildBaseline(input: BaselineInput): Baseline {
  const replicates = input.replicates ?? DEFAULT_REPLICATES;
  const cells = withLevelIndex(input.result.levels).flatMap(({ level, levelIndex }) =>
    level.requests.map((request): BaselineCell => {
      const sorted = input.samples?.byCell.get(cellKey(level.phase, levelIndex, request.name)) ?? null;
      const percentile = (metric: (typeof PERCENTILES)[number]): Percentile | null => {
        if (sorted !== null && sorted.length > 0) {
          const seed = seedOf(`${level.phase}/${levelIndex}/${request.name}/${metric.metric}`);
          const b = bootstrapPercentile(sorted, metric.q, replicates, seed);
          if (b === null) return null;
          return {
            estimateMs: b.estimate,
            logSe: b.logSe,
            ciLowMs: b.ciLow,
            ciHighMs: b.ciHigh,
            tailSamples: sorted.length * (1 - metric.q),
          };
        }
        const summary = request[metric.metric];
        if (summary === null) return null;
        return {
          estimateMs: summary,
          logSe: null,
          ciLowMs: null,
          ciHighMs: null,
          tailSamples: request.count * (1 - metric.q),
        };
      };
      return {
        phase: level.phase,
        levelIndex,
        level: level.level,
        request: request.name,
        durationS: level.durationS,
        droppedIterations: level.droppedIterations,
        count: request.count,
        samples: sorted?.length ?? 0,
        p50Ms: percentile(PERCENTILES[0]),
        p95Ms: percentile(PERCENTILES[1]),
        p99Ms: percentile(PERCENTILES[2]),
        errors: Math.round(request.errorRate * request.count),
        timeouts: Math.round(request.timeoutRate * request.count),
      };
    }),
  );
  return {
    baselineVersion: BASELINE_VERSION,
    tool: input.result.tool,
    runId: input.result.runId,
    startedAt: input.result.startedAt,
    finishedAt: input.result.finishedAt,
    source: input.source,
    comparability: {
      loadHash: input.loadHash,
      configHash: input.result.configHash,
      k6Version: input.result.k6Version,
      loadModel: input.result.loadModel,
      runner: input.runner,
    },
    statistics:
      input.samples === null
        ? { method: 'summary-only', replicates: 0 }
        : { method: 'bootstrap-requests', replicates },
    cells,
  };
}

/** Levels with their position in their phase's ladder (result.json keeps them in plan order). */
export function withLevelIndex(levels: readonly LevelResult[]): { level: LevelResult; levelIndex: number }[] {
  const seen = new Map<string, number>();
  return levels.map((level) => {
    const levelIndex = seen.get(level.phase) ?? 0;
    seen.set(level.phase, levelIndex + 1);
    return { level, levelIndex };
  });
}
