import { compareBaselines, comparisonOutcome } from '../../compare/compare.ts';
import { comparePaired, type Slot, slotSchedule } from '../../compare/paired.ts';
import type { Comparison } from '../../compare/schema.ts';
import { sortedQuantile } from '../../compare/stats.ts';
import {
  lognormalSamples,
  type SyntheticCell,
  syntheticBaseline,
  withClosedLoopThroughput,
} from '../../compare/testing.ts';
import { decideVerdict } from '../../gate/verdict.ts';
import { drainingResult, level, request } from '../../report/testing/draining-pool.ts';
import { type Breach, type LevelResult, type Result, ResultSchema } from '../../result/schema.ts';

/**
 * Results compared for real: synthetic runs (log-normal latencies) turned into baselines by the
 * real builder and judged by the real comparison (compareBaselines, comparePaired), the verdict
 * decided as run.ts decides it, and the whole checked against ResultSchema.
 */

export const LADDER = [10, 20, 40, 80, 160] as const;
const N = 4000;

export interface LadderRun {
  /** items' median latency (ms) per level of LADDER */
  itemsMedianMs: readonly number[];
  /** items' failed requests per level (timeouts among them) */
  itemsErrors?: readonly number[];
  /** the name of the slow request; default "items" */
  itemsName?: string;
  phase?: string;
  /** requests per (level, request); default 4000 (40 beyond p99: every percentile judged) */
  samples?: number;
  seed: number;
}

/** The base: items holds up to 80 VUs and bends at 160; health stays flat. */
export const BASE_RUN: LadderRun = { itemsMedianMs: [20, 21, 23, 26, 90], seed: 1 };
/**
 * A regression: items 2.3× slower at 80 VUs, 1.3× at 160, and failing 15% there: the knee moves
 * from 80 to 40. (Stored mode weighs failures as bursts between runs, so a few percent in one run
 * against a clean one is not yet a regression; 15% is.)
 */
export const SLOWER_RUN: LadderRun = {
  itemsMedianMs: [20, 21, 23, 60, 117],
  itemsErrors: [0, 0, 0, 0, 600],
  seed: 2,
};

export function ladderCells(run: LadderRun): SyntheticCell[] {
  const n = run.samples ?? N;
  return LADDER.flatMap((vus, i) => [
    {
      ...(run.phase ? { phase: run.phase } : {}),
      level: vus,
      request: run.itemsName ?? 'items',
      samples: lognormalSamples(n, run.seed * 100 + i, run.itemsMedianMs[i] ?? 20, 0.3),
      errors: run.itemsErrors?.[i] ?? 0,
      timeouts: run.itemsErrors?.[i] ?? 0,
    },
    {
      ...(run.phase ? { phase: run.phase } : {}),
      level: vus,
      request: 'health',
      samples: lognormalSamples(n, run.seed * 100 + 50 + i, 2, 0.2),
    },
  ]);
}

/** result.json's levels of a synthetic run, as the k6 summary would give them. */
export function levelsOfCells(cells: readonly SyntheticCell[]): LevelResult[] {
  const levels: LevelResult[] = [];
  for (const cell of cells) {
    const phase = cell.phase ?? 'clean';
    let at = levels.find((l) => l.phase === phase && l.level === cell.level);
    if (!at) {
      at = level({ phase, level: cell.level, requests: [] });
      levels.push(at);
    }
    const n = cell.samples.length;
    const q = (p: number) => sortedQuantile(cell.samples, p);
    at.requests.push(
      request({
        name: cell.request,
        count: n,
        throughputRps: n / 10,
        p50Ms: q(0.5),
        p90Ms: q(0.9),
        p95Ms: q(0.95),
        p99Ms: q(0.99),
        maxMs: q(1),
        errorRate: (cell.errors ?? 0) / n,
        timeoutRate: (cell.timeouts ?? 0) / n,
      }),
    );
  }
  return withClosedLoopThroughput(levels);
}

/** A result.json as run.ts writes it once compared: the verdict combines the gate and the comparison. */
export function resultWithComparison(
  levels: LevelResult[],
  comparison: Comparison,
  overrides: Partial<Result> & { breaches?: Breach[] } = {},
): Result {
  const { breaches = [], ...rest } = overrides;
  const gate = { checked: 20, breaches };
  const decided = decideVerdict({ gate, comparison: comparisonOutcome(comparison) });
  const phases = [...new Set(levels.map((l) => l.phase))].map((name) => ({ name, recoverySeconds: null }));
  return ResultSchema.parse(
    drainingResult({
      verdict: decided.verdict,
      summary: decided.summary,
      levels,
      phases,
      gate,
      comparison,
      ...rest,
    }),
  );
}

/** A stored-baseline comparison of `candidate` against `base`, inside a result. */
export function comparedResult(
  base: LadderRun = BASE_RUN,
  candidate: LadderRun = SLOWER_RUN,
  options: {
    breaches?: Breach[];
    /** options of the base's syntheticBaseline, e.g. another comparability */
    baseOptions?: Parameters<typeof syntheticBaseline>[1];
    baselineSource?: string;
  } = {},
): Result {
  const baseCells = ladderCells(base);
  const candidateCells = ladderCells(candidate);
  const comparison = compareBaselines(
    syntheticBaseline(baseCells, { runId: 'base-run', ...options.baseOptions }),
    syntheticBaseline(candidateCells, { runId: 'run-1' }),
    { baselineSource: options.baselineSource ?? 'git branch loadgate-baselines, main' },
  );
  return resultWithComparison(levelsOfCells(candidateCells), comparison, {
    ...(options.breaches ? { breaches: options.breaches } : {}),
  });
}

/** A paired comparison at 40 req/s over 3 ABBA blocks: items `effect` times slower in the candidate. */
export function pairedResult(effect = 1.3): Result {
  const n = 1000;
  const slots: Slot[] = slotSchedule(3).map(({ block, position, variant }, i) => {
    const scale = variant === 'candidate' ? effect : 1;
    return {
      block,
      position,
      variant,
      requests: [
        {
          name: 'items',
          samples: lognormalSamples(n, 700 + i, 50 * scale, 0.3),
          count: n,
          errors: 0,
          timeouts: 0,
        },
        { name: 'health', samples: lognormalSamples(n, 900 + i, 2, 0.2), count: n, errors: 0, timeouts: 0 },
      ],
      canary: null,
      droppedIterations: 0,
    };
  });
  const { comparison } = comparePaired(slots, {
    level: 40,
    model: 'open',
    baseline: {
      runId: 'paired',
      startedAt: '2026-01-01T00:00:00.000Z',
      toolVersion: '0.1.0',
      commit: 'b'.repeat(40),
      source: 'base revision main',
    },
  });
  const levels = [
    level({
      phase: 'paired',
      level: 40,
      requests: comparison.metrics
        .filter((m) => m.metric === 'p95Ms')
        .map((m) => request({ name: m.request, p95Ms: m.candidate })),
    }),
  ];
  return resultWithComparison(levels, comparison, { loadModel: 'open' });
}
