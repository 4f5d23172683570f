import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blockStatuses } from '../../src/compare/paired.ts';
import { seededRandom } from '../../src/compare/stats.ts';
import {
  type CheckOutcome,
  cpuShift,
  PEERS,
  type PeerName,
  pairedCheck,
  pooledShift,
  renumber,
  shuffled,
  storedCheck,
} from './checks.ts';
import { type Pool, poolFromJson } from './pool.ts';
import { type Rate, rateOf, rateText } from './rates.ts';
import { VARIANTS, type VariantSpec } from './variants.ts';

const BASE = { runId: 'pool', startedAt: '', toolVersion: '', commit: null, source: 'bench pool' };
/** A paired run's plan (paired.blocks, paired.maxBlocks defaults). */
const PLAN = { blocks: 3, maxBlocks: 6 };
/** Stored runs in a check's history at most (a `git:` store reads the last 10; the pools hold fewer). */
const HISTORY = 5;

export interface VariantResult {
  variant: string;
  spec: VariantSpec;
  blocks: number;
  invalidBlocks: number;
  effect: { p50: number | null; p95: number | null; cpu: number | null };
  paired: {
    any: Rate;
    p50: Rate;
    p95: Rate;
    cpuCost: Rate;
    reported: Rate;
    minutes: { mean: number; max: number };
    blocks: number;
  };
  stored: { any: Rate; p50: Rate; p95: Rate; inconclusive: Rate; minutes: number };
  peers: Record<PeerName, { any: Rate; p50: Rate; p95: Rate }>;
}

/** Every pool in `dir`, its checks, and the table. */
export async function analysePools(dir: string, options: { checks: number; seed: number }): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const results: VariantResult[] = [];
  for (const file of files) {
    const pool = poolFromJson(await readFile(join(dir, file), 'utf8'));
    if (!(pool.variant in VARIANTS) || pool.blocks.length < 2) continue;
    results.push(analysePool(pool, options));
  }
  return renderTable(results);
}

export function analysePool(pool: Pool, options: { checks: number; seed: number }): VariantResult {
  const spec = VARIANTS[pool.variant] as VariantSpec;
  const random = seededRandom(options.seed);
  const B = pool.blocks.length;
  const blockWallS = pool.blocks.map((b) => b.slots.reduce((s, x) => s + x.wallS, 0));
  const startupS = pool.startupS.length > 0 ? Math.max(...pool.startupS) : 0;
  const slotWallS = blockWallS.reduce((a, b) => a + b, 0) / (4 * B);
  const paired: CheckOutcome[] = [];
  const minutes: number[] = [];
  const stored: ReturnType<typeof storedCheck>[] = [];
  for (let c = 0; c < options.checks; c++) {
    // a paired run always runs its first PLAN.blocks: a smaller pool makes no paired check
    if (B >= PLAN.blocks) {
      const order = shuffled(B, random).slice(0, PLAN.maxBlocks);
      const check = pairedCheck(pool.blocks, order, { rate: pool.rate, plan: PLAN });
      paired.push(check);
      // stack start and priming (both sides), then the blocks it used
      minutes.push((startupS + check.used.reduce((s, i) => s + (blockWallS[i] as number), 0)) / 60);
    }
    const [candidate, ...others] = shuffled(B, random);
    stored.push(storedCheck(pool.blocks, others.slice(0, HISTORY), candidate as number, pool.rate));
  }
  const on = (metric: string) => `${spec.request}/${metric}`;
  const count = (outcomes: CheckOutcome[], hit: (o: CheckOutcome) => boolean) =>
    rateOf(outcomes.filter(hit).length, outcomes.length, B);
  const peerRates = Object.fromEntries(
    PEERS.map((peer) => {
      const of = (hit: (keys: string[]) => boolean) =>
        rateOf(stored.filter((s) => hit(s.peers[peer])).length, stored.length, B);
      return [
        peer,
        {
          any: of((k) => k.length > 0),
          p50: of((k) => k.includes(on('p50Ms'))),
          p95: of((k) => k.includes(on('p95Ms'))),
        },
      ];
    }),
  ) as VariantResult['peers'];
  return {
    variant: pool.variant,
    spec,
    blocks: B,
    invalidBlocks: blockStatuses(renumber(pool.blocks), {
      level: pool.rate,
      model: 'open',
      baseline: BASE,
    }).filter((b) => !b.valid).length,
    effect: {
      p50: pooledShift(pool.blocks, spec.request, 0.5),
      p95: pooledShift(pool.blocks, spec.request, 0.95),
      cpu: cpuShift(pool.blocks),
    },
    paired: {
      any: count(paired, (o) => o.regressed),
      p50: count(paired, (o) => o.regressedMetrics.includes(on('p50Ms'))),
      p95: count(paired, (o) => o.regressedMetrics.includes(on('p95Ms'))),
      cpuCost: count(paired, (o) => o.cpuCost),
      reported: count(paired, (o) => o.regressed || o.cpuCost),
      minutes: { mean: minutes.reduce((a, b) => a + b, 0) / minutes.length, max: Math.max(...minutes) },
      blocks: paired.reduce((s, o) => s + o.blocksUsed, 0) / paired.length,
    },
    stored: {
      any: count(stored, (o) => o.regressed),
      p50: count(stored, (o) => o.regressedMetrics.includes(on('p50Ms'))),
      p95: count(stored, (o) => o.regressedMetrics.includes(on('p95Ms'))),
      inconclusive: count(stored, (o) => o.inconclusive),
      minutes: (startupS + 2 * slotWallS) / 60,
    },
    peers: peerRates,
  };
}

const pct = (x: number | null) =>
  x === null ? '—' : `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`;

/** The README's tables: loadgate (paired and stored) and its peers, per variant. */
export function renderTable(results: readonly VariantResult[]): string {
  const head = [
    '| Variant | Blocks (invalid) | True effect (p50, p95, CPU/request) | Paired: rate (95% interval) | Paired min/check (mean, max) | Stored (history of ≤ 5): rate | GAB 200% | GAB 110% | Bencher t-test 0.99 |',
    '| --- | ---: | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const rows = results.flatMap((r) => {
    const effect = `${pct(r.effect.p50)}, ${pct(r.effect.p95)}, ${pct(r.effect.cpu)}`;
    const minutes = !Number.isFinite(r.paired.minutes.mean)
      ? '—'
      : `${r.paired.minutes.mean.toFixed(1)}, ${r.paired.minutes.max.toFixed(1)} (${r.paired.blocks.toFixed(1)} blocks)`;
    if (r.spec.aa) {
      return [
        `| ${r.spec.label}: any regression (false alarm) | ${r.blocks} (${r.invalidBlocks}) | ${effect} | ${rateText(r.paired.any)} | ${minutes} | ${rateText(r.stored.any)} (inconclusive ${rateText(r.stored.inconclusive)}) | ${rateText(r.peers.gab200.any)} | ${rateText(r.peers.gab110.any)} | ${rateText(r.peers.bencher.any)} |`,
        ...(r.paired.cpuCost.events > 0
          ? [
              `| ${r.spec.label}: CPU cost reported (a false finding) | ${r.blocks} | | ${rateText(r.paired.cpuCost)} | | | | | |`,
            ]
          : []),
      ];
    }
    const q = r.spec.request;
    return [
      `| ${r.spec.label}: ${q} p50 regressed | ${r.blocks} (${r.invalidBlocks}) | ${effect} | ${rateText(r.paired.p50)} | ${minutes} | ${rateText(r.stored.p50)} | ${rateText(r.peers.gab200.p50)} | ${rateText(r.peers.gab110.p50)} | ${rateText(r.peers.bencher.p50)} |`,
      `| ${r.spec.label}: ${q} p95 regressed | ${r.blocks} | | ${rateText(r.paired.p95)} | | ${rateText(r.stored.p95)} | ${rateText(r.peers.gab200.p95)} | ${rateText(r.peers.gab110.p95)} | ${rateText(r.peers.bencher.p95)} |`,
      `| ${r.spec.label}: reported (regressed or CPU cost) | ${r.blocks} | | ${rateText(r.paired.reported)} (CPU cost ${rateText(r.paired.cpuCost)}) | | ${rateText(r.stored.any)} | ${rateText(r.peers.gab200.any)} | ${rateText(r.peers.gab110.any)} | ${rateText(r.peers.bencher.any)} |`,
    ];
  });
  return `${[...head, ...rows].join('\n')}\n`;
}
