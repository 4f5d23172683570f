import { buildBaseline } from '../baseline/build.ts';
import { cellKey, type LatencySamples } from '../baseline/cells.ts';
import type { Baseline, Comparability } from '../baseline/schema.ts';
import type { LevelResult, RequestResult } from '../result/schema.ts';
import { seededRandom, sortedQuantile } from './stats.ts';

/**
 * Synthetic runs for tests and benchmarks of the comparison: latencies drawn from a log-normal
 * distribution per (phase, level, request), turned into a baseline by the real builder.
 */

export interface SyntheticCell {
  phase?: string;
  level: number;
  request: string;
  /** ascending latencies, ms */
  samples: Float64Array;
  errors?: number;
  timeouts?: number;
}

export const SYNTHETIC_COMPARABILITY: Comparability = {
  loadHash: 'load0000',
  configHash: 'config00',
  k6Version: '2.2.0',
  loadModel: 'closed',
  runner: { cpuCount: 2, cpuModel: 'AMD EPYC', platform: 'linux', arch: 'x64' },
};

/** n log-normal latencies (median `medianMs`, log-sd `sigma`), ascending; seeded. */
export function lognormalSamples(n: number, seed: number, medianMs = 20, sigma = 0.4): Float64Array {
  const random = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    out[i] = medianMs * Math.exp(sigma * z);
  }
  return out.sort();
}

/**
 * Gives a synthetic closed-model ladder the throughput its latencies imply (Little's law: each VU
 * runs one request after another, so a level's iterations per second are VUs / the sum of the
 * requests' medians) and the duration that makes its counts that rate. Mutates and returns levels.
 */
export function withClosedLoopThroughput<T extends LevelResult>(levels: T[]): T[] {
  for (const level of levels) {
    const cycleMs = level.requests.reduce((sum, r) => sum + (r.p50Ms ?? 0), 0);
    if (!(cycleMs > 0)) continue;
    const rate = (level.level * 1000) / cycleMs;
    for (const r of level.requests) r.throughputRps = rate;
    const count = level.requests[0]?.count ?? 0;
    if (count > 0) level.durationS = count / rate;
  }
  return levels;
}

/** A baseline record of a synthetic run; `summaryOnly` drops the samples (no spreads). */
export function syntheticBaseline(
  cells: readonly SyntheticCell[],
  options: {
    comparability?: Partial<Comparability>;
    runId?: string;
    /** when the run started (histories are ordered by it); default 2026-01-01 00:00 */
    startedAt?: string;
    commit?: string | null;
    summaryOnly?: boolean;
    replicates?: number;
  } = {},
): Baseline {
  const comparability = { ...SYNTHETIC_COMPARABILITY, ...options.comparability };
  const levels: LevelResult[] = [];
  const byCell = new Map<string, Float64Array>();
  const indexOf = new Map<string, number>();
  for (const cell of cells) {
    const phase = cell.phase ?? 'clean';
    let level = levels.find((l) => l.phase === phase && l.level === cell.level);
    if (!level) {
      level = {
        phase,
        level: cell.level,
        durationS: 10,
        droppedIterations: 0,
        requests: [],
        probe: { p95Ms: null },
        pool: { waitP95Ms: null, waitMeanMs: null, timeouts: null, peakDbConnections: null },
      };
      levels.push(level);
      indexOf.set(`${phase}/${cell.level}`, levels.filter((l) => l.phase === phase).length - 1);
    }
    const n = cell.samples.length;
    const q = (p: number) => sortedQuantile(cell.samples, p);
    const request: RequestResult = {
      name: cell.request,
      count: n,
      throughputRps: n / 10,
      p50Ms: q(0.5),
      p90Ms: q(0.9),
      p95Ms: q(0.95),
      p99Ms: q(0.99),
      maxMs: q(1),
      errorRate: n > 0 ? (cell.errors ?? 0) / n : 0,
      timeoutRate: n > 0 ? (cell.timeouts ?? 0) / n : 0,
      connectionErrorRate: 0,
      http5xxRate: 0,
      http4xxRate: 0,
    };
    level.requests.push(request);
    byCell.set(cellKey(phase, indexOf.get(`${phase}/${cell.level}`) as number, cell.request), cell.samples);
  }
  withClosedLoopThroughput(levels);
  const samples: LatencySamples | null = options.summaryOnly ? null : { byCell, rows: cells.length };
  return buildBaseline({
    result: {
      tool: { name: 'loadgate', version: '0.1.0' },
      runId: options.runId ?? 'run-0',
      startedAt: options.startedAt ?? '2026-01-01T00:00:00.000Z',
      finishedAt: options.startedAt ?? '2026-01-01T00:01:00.000Z',
      k6Version: comparability.k6Version,
      loadModel: comparability.loadModel,
      configHash: comparability.configHash,
      levels,
    },
    loadHash: comparability.loadHash,
    runner: comparability.runner,
    source: { commit: options.commit ?? null, ref: null },
    samples,
    replicates: options.replicates ?? 1000,
  });
}
