import type { Baseline } from '../../src/baseline/schema.ts';
import { compareWithHistory } from '../../src/compare/compare.ts';
import { comparePaired, type Slot, type Variant } from '../../src/compare/paired.ts';
import { DEFAULT_POLICY } from '../../src/compare/policy.ts';
import { sortedQuantile } from '../../src/compare/stats.ts';
import { syntheticBaseline } from '../../src/compare/testing.ts';
import { ratioAlert, tTestAlert } from './peers.ts';
import type { RecordedBlock } from './pool.ts';

/**
 * The checks bench:detect forms from a pool of recorded blocks. Paired: blocks taken in a
 * random order and judged exactly as a paired run decides (comparePaired with its default
 * policy, the first `plan.blocks`, then one more while a test is undecided, up to
 * `plan.maxBlocks`, α spent over the looks). Stored: one block's candidate side is a run, the
 * base sides of other blocks (recorded at other times) its stored history, judged by the
 * history rule (compareWithHistory: their median and spread); the peers' rules see the same
 * runs: the newest history run is "the previous run", the history their window.
 */

export interface CheckOutcome {
  regressed: boolean;
  inconclusive: boolean;
  /** `request/metric` of every regressed metric */
  regressedMetrics: string[];
  /** paired only: the canary's CPU-cost finding */
  cpuCost: boolean;
  /** blocks (paired) or runs (stored) used */
  blocksUsed: number;
  /** the indexes in the pool of the blocks used */
  used: number[];
}

const BASELINE = { runId: 'pool', startedAt: '', toolVersion: '', commit: null, source: 'bench pool' };

/** A random permutation of 0..n−1. */
export function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** The blocks' slots numbered 0, 1, … in the order given. */
export function renumber(blocks: readonly RecordedBlock[]): Slot[] {
  return blocks.flatMap((b, i) => b.slots.map((s) => ({ ...s, block: i })));
}

/** A paired check on the blocks of `order` (pool indexes), as a paired run decides. */
export function pairedCheck(
  pool: readonly RecordedBlock[],
  order: readonly number[],
  options: { rate: number; plan: { blocks: number; maxBlocks: number } },
): CheckOutcome {
  const judge = (n: number) =>
    comparePaired(renumber(order.slice(0, n).map((i) => pool[i] as RecordedBlock)), {
      level: options.rate,
      model: 'open',
      baseline: BASELINE,
      plan: options.plan,
      replicates: 300,
    });
  let used = Math.min(options.plan.blocks, order.length);
  let outcome = judge(used);
  while (outcome.moreBlocksWouldHelp && used < Math.min(options.plan.maxBlocks, order.length)) {
    used++;
    outcome = judge(used);
  }
  const c = outcome.comparison;
  return {
    ...verdictOf(c),
    cpuCost: outcome.cpuCost !== null && outcome.cpuCost.share > 0,
    blocksUsed: used,
    used: order.slice(0, used),
  };
}

/** One side of a block as a stored run: its two slots pooled per request. */
export function runOfSide(block: RecordedBlock, side: Variant, rate: number, startedAt: string): Baseline {
  const slots = block.slots.filter((s) => s.variant === side && !s.invalidReason);
  const names = [...new Set(slots.flatMap((s) => s.requests.map((r) => r.name)))];
  return syntheticBaseline(
    names.map((request) => {
      const rs = slots.map((s) => s.requests.find((r) => r.name === request)).filter((r) => r !== undefined);
      return {
        level: rate,
        request,
        samples: Float64Array.from(rs.flatMap((r) => [...r.samples])).sort(),
        errors: rs.reduce((n, r) => n + r.errors, 0),
        timeouts: rs.reduce((n, r) => n + r.timeouts, 0),
      };
    }),
    { replicates: 300, startedAt, runId: startedAt },
  );
}

export interface StoredOutcome extends CheckOutcome {
  /** peers: any alert, and alerts on `request/metric` */
  peers: Record<PeerName, string[]>;
}

export const PEERS = ['gab200', 'gab110', 'bencher'] as const;
export type PeerName = (typeof PEERS)[number];
const PEER_METRICS = ['p50Ms', 'p95Ms', 'p99Ms'] as const;

/**
 * A stored-mode check: `candidate`'s candidate side against the base sides of `history` (oldest
 * first), and the peers' rules on the same runs' percentiles.
 */
export function storedCheck(
  pool: readonly RecordedBlock[],
  history: readonly number[],
  candidate: number,
  rate: number,
): StoredOutcome {
  const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
  const runs = history.map((h, i) => runOfSide(pool[h] as RecordedBlock, 'base', rate, at(i)));
  const run = runOfSide(pool[candidate] as RecordedBlock, 'candidate', rate, at(history.length));
  const c = compareWithHistory(runs, run, { baselineSource: 'pool', policy: DEFAULT_POLICY });
  const peers: Record<PeerName, string[]> = { gab200: [], gab110: [], bencher: [] };
  for (const cell of run.cells) {
    for (const metric of PEER_METRICS) {
      const value = cell[metric]?.estimateMs;
      const past = runs
        .map((r) => r.cells.find((x) => x.request === cell.request)?.[metric]?.estimateMs)
        .filter((v): v is number => v !== undefined);
      const previous = past.at(-1);
      if (value === undefined || previous === undefined) continue;
      const key = `${cell.request}/${metric}`;
      if (ratioAlert(previous, value, 2)) peers.gab200.push(key);
      if (ratioAlert(previous, value, 1.1)) peers.gab110.push(key);
      if (tTestAlert(past, value, 0.99)) peers.bencher.push(key);
    }
  }
  return {
    ...verdictOf(c),
    cpuCost: false,
    blocksUsed: 1,
    used: [...history, candidate],
    peers,
  };
}

/** The pooled shift of a request's percentile, candidate over base, over every block: the true effect. */
export function pooledShift(pool: readonly RecordedBlock[], request: string, q: number): number | null {
  const of = (side: Variant) =>
    sortedQuantile(
      Float64Array.from(
        pool.flatMap((b) =>
          b.slots
            .filter((s) => s.variant === side && !s.invalidReason)
            .flatMap((s) => [...(s.requests.find((r) => r.name === request)?.samples ?? [])]),
        ),
      ).sort(),
      q,
    );
  const b = of('base');
  const c = of('candidate');
  return b !== null && c !== null && b > 0 ? c / b - 1 : null;
}

/** The service container's CPU per request, candidate over base, pooled over every block. */
export function cpuShift(pool: readonly RecordedBlock[]): number | null {
  const per = (side: Variant) => {
    const slots = pool.flatMap((b) => b.slots).filter((s) => s.variant === side && s.cpuMs !== null);
    const requests = slots.reduce((n, s) => n + s.requests.reduce((m, r) => m + r.count, 0), 0);
    return requests > 0 ? slots.reduce((n, s) => n + (s.cpuMs as number), 0) / requests : null;
  };
  const b = per('base');
  const c = per('candidate');
  return b !== null && c !== null && b > 0 ? c / b - 1 : null;
}

/** What a check's comparison said, as the table counts it. */
function verdictOf(c: {
  verdict: string;
  metrics: readonly { verdict: string; request: string; metric: string }[];
}) {
  return {
    regressed: c.verdict === 'regressed',
    inconclusive: c.verdict === 'inconclusive',
    regressedMetrics: c.metrics
      .filter((m) => m.verdict === 'regressed')
      .map((m) => `${m.request}/${m.metric}`),
  };
}
