// bench:stats — the comparison's decision rules on synthetic data with known truth: how often
// each case is called regressed (and each other verdict), with 95% Wilson intervals. No engine,
// no k6: latencies are log-normal, a runner effect is shared by every cell of a slot (paired) or
// of a run (stored), failures come in bursts. Beside each rate, the rate issue 13 measured with
// the rules before it (the "before" column: those functions are gone, their numbers are quoted).
//
//   npm run bench:stats -- [--reps 300] [--seeds report|tune] [--case <substring>] [--detail]
//                          [--spending pocock|obrien-fleming] [--change-point-p 0.001]
//
// Defaults were chosen on the tuning seeds (--seeds tune: 1, 2, …); the table is printed on the
// report seeds (the default: 1000001, 1000002, …), which chose nothing. It asserts nothing.
import { parseArgs } from 'node:util';
import type { Baseline } from '../src/baseline/schema.ts';
import { buildTrend } from '../src/baseline/trend.ts';
import { compareBaselines, compareWithHistory } from '../src/compare/compare.ts';
import { comparePaired, type Slot, slotSchedule } from '../src/compare/paired.ts';
import { DEFAULT_POLICY } from '../src/compare/policy.ts';
import type { Comparison, MetricComparison, Policy } from '../src/compare/schema.ts';
import type { Spending } from '../src/compare/sequential.ts';
import { seededRandom, wilsonInterval } from '../src/compare/stats.ts';
import { lognormalSamples, type SyntheticCell, syntheticBaseline } from '../src/compare/testing.ts';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '300' },
    seeds: { type: 'string', default: 'report' },
    case: { type: 'string' },
    spending: { type: 'string' },
    'change-point-p': { type: 'string' },
    /** per case, each metric's verdicts too */
    detail: { type: 'boolean', default: false },
  },
});
const reps = Number(args.reps);
const seedBase = args.seeds === 'tune' ? 0 : 1_000_000;
const policy: Policy = {
  ...DEFAULT_POLICY,
  ...(args.spending ? { spending: args.spending as Spending } : {}),
  ...(args['change-point-p'] ? { changePointP: Number(args['change-point-p']) } : {}),
};
const started = performance.now();

const normal = (random: () => number) =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

// ---- paired worlds --------------------------------------------------------------------------------

interface PairedWorld {
  /** blocks recorded; the check uses them as a paired run would (plan) */
  blocks: number;
  plan?: { blocks: number; maxBlocks: number };
  /** requests per slot: 60 req/s × 10 s, items 80%, health 15%, canary 5% */
  perSlot?: { items: number; health: number; canary: number };
  itemsMs?: number;
  /** items' latencies beside the candidate × this */
  effect?: number;
  /** the canary's beside the candidate × this: the candidate's CPU cost */
  canaryEffect?: number;
  /** the runner's speed per slot: log sd of a jitter, and a drift per slot */
  jitter?: number;
  drift?: number;
  /** one random slot fails 20–40 of its items requests */
  burst?: boolean;
  /** a floor other than the default (share) for p50 and p95 */
  floor?: number;
}

const BASELINE = { runId: 'base', startedAt: '', toolVersion: '', commit: null, source: 'synthetic' };

function pairedSlots(world: PairedWorld, seed: number): Slot[] {
  const random = seededRandom(seed);
  const per = world.perSlot ?? { items: 480, health: 90, canary: 30 };
  const schedule = slotSchedule(world.blocks);
  const burstAt = world.burst ? Math.floor(random() * schedule.length) : -1;
  const burst = 20 + Math.floor(random() * 21);
  return schedule.map(({ block, position, variant }, i) => {
    const runner = Math.exp((world.drift ?? 0.005) * i + (world.jitter ?? 0.02) * normal(random));
    const cand = variant === 'candidate';
    const s = seed * 100 + i;
    return {
      block,
      position,
      variant,
      requests: [
        {
          name: 'items',
          samples: lognormalSamples(
            per.items,
            s,
            (world.itemsMs ?? 60) * runner * (cand ? (world.effect ?? 1) : 1),
            0.35,
          ),
          count: per.items,
          errors: i === burstAt ? burst : 0,
          timeouts: 0,
        },
        {
          name: 'health',
          samples: lognormalSamples(per.health, s + 50, 1.6 * runner, 0.25),
          count: per.health,
          errors: 0,
          timeouts: 0,
        },
      ],
      canary: lognormalSamples(per.canary, s + 77, 4 * runner * (cand ? (world.canaryEffect ?? 1) : 1), 0.2),
      droppedIterations: 0,
    };
  });
}

interface Outcome {
  comparison: Comparison;
  blocksUsed?: number;
  cpuCost?: boolean;
}

/** A paired check as a paired run makes it: the plan's first blocks, more while undecided. */
function pairedCheck(world: PairedWorld, seed: number, withPlan = true): Outcome {
  const all = pairedSlots(world, seed);
  const floors = world.floor ? { ...policy.floors, p50Ms: world.floor, p95Ms: world.floor } : policy.floors;
  const options = { level: 60, model: 'open' as const, baseline: BASELINE, policy: { ...policy, floors } };
  const plan = world.plan ?? { blocks: world.blocks, maxBlocks: world.blocks };
  let k = plan.blocks;
  for (;;) {
    const outcome = comparePaired(
      all.filter((s) => s.block < k),
      withPlan ? { ...options, plan } : options,
    );
    if (!outcome.moreBlocksWouldHelp || k >= plan.maxBlocks) {
      return { comparison: outcome.comparison, blocksUsed: k, cpuCost: outcome.cpuCost !== null };
    }
    k++;
  }
}

// ---- stored worlds --------------------------------------------------------------------------------

interface StoredWorld {
  /** stored runs before this one */
  history: number;
  /** the runner's noise as a multiple of the policy's assumed noise */
  noise?: number;
  /** items' latencies in this run × this */
  effect?: number;
  /** items' p95 in this run × this (its tail beyond p90 stretched, p50 untouched) */
  tailEffect?: number;
  /** each run fails 20–40 requests of one random cell with this probability */
  burstChance?: number;
  /** the history's runs from this index on are × stepEffect (a regression a nightly run took) */
  stepAt?: number;
  stepEffect?: number;
}

const LEVELS = [4, 8];
const REQUESTS: { name: string; ms: number; sigma: number; n: number }[] = [
  { name: 'items', ms: 60, sigma: 0.35, n: 2400 },
  { name: 'health', ms: 1.6, sigma: 0.25, n: 600 },
];

/**
 * One stored run: every cell shares the run's effect (log sd τ, the assumed p50 noise ÷ √2), its
 * tail (beyond p90) a further one (so p95 moves by the assumed p95 noise), and a scheduling shift
 * in milliseconds (the assumed p50 ms noise ÷ √2).
 */
function storedRun(world: StoredWorld, seed: number, index: number, scale: number, tail: number): Baseline {
  const random = seededRandom(seed * 1000 + index);
  const k = world.noise ?? 1;
  const tau = (k * DEFAULT_POLICY.runNoise.p50Ms) / Math.SQRT2;
  const tailTau =
    (k * Math.sqrt(DEFAULT_POLICY.runNoise.p95Ms ** 2 - DEFAULT_POLICY.runNoise.p50Ms ** 2)) / Math.SQRT2;
  const shiftMs = (k * (DEFAULT_POLICY.runNoiseMs?.p50Ms ?? 0)) / Math.SQRT2;
  const run = Math.exp(tau * normal(random));
  const tailRun = Math.exp(tailTau * normal(random));
  const shift = shiftMs * normal(random);
  const cells: SyntheticCell[] = [];
  const burstCell =
    random() < (world.burstChance ?? 0) ? Math.floor(random() * LEVELS.length * REQUESTS.length) : -1;
  const burst = 20 + Math.floor(random() * 21);
  let c = 0;
  for (const level of LEVELS) {
    for (const r of REQUESTS) {
      const base = lognormalSamples(
        r.n,
        seed * 7919 + index * 31 + c,
        r.ms * run * (r.name === 'items' ? scale : 1),
        r.sigma,
      );
      const p90 = base[Math.floor(0.9 * base.length)] as number;
      const p95 = base[Math.floor(0.95 * base.length)] as number;
      // `tail` is what this run does to items' p95: stretch the tail beyond p90 so p95 × tail
      const stretch = r.name === 'items' && tail !== 1 ? (tail * p95 - p90) / (p95 - p90) : 1;
      const t = tailRun * stretch;
      const samples = base.map((v) => Math.max(0.05, (v > p90 ? p90 + (v - p90) * t : v) + shift)).sort();
      cells.push({ level, request: r.name, samples, errors: c === burstCell ? burst : 0 });
      c++;
    }
  }
  return syntheticBaseline(cells, {
    runId: `run-${index}`,
    startedAt: new Date(Date.UTC(2026, 0, 1 + index)).toISOString(),
    replicates: 400,
  });
}

function storedCheck(world: StoredWorld, seed: number): Outcome & { changePoint: boolean } {
  const runs = Array.from({ length: world.history }, (_, i) =>
    storedRun(
      world,
      seed,
      i,
      world.stepAt !== undefined && i >= world.stepAt ? (world.stepEffect ?? 1) : 1,
      1,
    ),
  );
  const stepped = world.stepAt !== undefined ? (world.stepEffect ?? 1) : 1;
  const current = storedRun(world, seed, world.history, (world.effect ?? 1) * stepped, world.tailEffect ?? 1);
  const comparison =
    runs.length === 1
      ? compareBaselines(runs[0] as Baseline, current, { baselineSource: 'file', policy })
      : compareWithHistory(runs, current, { baselineSource: 'git:', policy });
  const trend = buildTrend(runs, current, 'synthetic', 30, policy);
  return { comparison, changePoint: (trend?.changePoints?.length ?? 0) > 0 };
}

// ---- cases ----------------------------------------------------------------------------------------

interface Case {
  name: string;
  /** what issue 13 measured with the rules before this one (their functions are gone) */
  before: string;
  /** the rate reported first: regressed where a regression is the question */
  target: string;
  hit: (o: Outcome & { changePoint?: boolean }) => boolean;
  run: (seed: number) => Outcome & { changePoint?: boolean };
}

const metric = (c: Comparison, request: string, m: MetricComparison['metric']) =>
  c.metrics.find((x) => x.request === request && x.metric === m);
const anyRegressed = (o: Outcome) => o.comparison.counts.regressed > 0;
const PLAN = { blocks: 3, maxBlocks: 6 };

const CASES: Case[] = [
  {
    name: 'paired A/A, 3–6 blocks, slot jitter 2%',
    before: '6–10% (one test, 3 blocks)',
    target: 'any regressed',
    hit: anyRegressed,
    run: (seed) => pairedCheck({ blocks: 6, plan: PLAN }, seed),
  },
  {
    name: 'paired A/A, 3–6 blocks, slot jitter 8%',
    before: '—',
    target: 'any regressed',
    hit: anyRegressed,
    run: (seed) => pairedCheck({ blocks: 6, plan: PLAN, jitter: 0.08 }, seed),
  },
  {
    name: 'paired A/A, same, full α at every look (no spending)',
    before: '—',
    target: 'any regressed',
    hit: anyRegressed,
    run: (seed) => pairedCheck({ blocks: 6, plan: PLAN, jitter: 0.08 }, seed, false),
  },
  {
    name: 'paired A/A, a burst of 20–40 errors in one slot',
    before: '18–28%',
    target: 'any regressed',
    hit: anyRegressed,
    run: (seed) => pairedCheck({ blocks: 6, plan: PLAN, burst: true }, seed),
  },
  {
    name: 'paired +5% against a 10% floor',
    before: '22–26%',
    target: 'items p50 or p95 regressed',
    hit: (o) =>
      ['p50Ms', 'p95Ms'].some((m) => metric(o.comparison, 'items', m as 'p50Ms')?.verdict === 'regressed'),
    run: (seed) => pairedCheck({ blocks: 6, plan: PLAN, effect: 1.05 }, seed),
  },
  {
    name: 'paired +16% on a 6 ms endpoint (+1 ms)',
    before: '0% (2 ms floor: unchanged)',
    target: 'items p50 regressed',
    hit: (o) => metric(o.comparison, 'items', 'p50Ms')?.verdict === 'regressed',
    run: (seed) => pairedCheck({ blocks: 6, plan: PLAN, itemsMs: 6.2, effect: 1.16 }, seed),
  },
  {
    name: 'paired +10% on a 60 ms endpoint, 10% floor',
    before: '—',
    target: 'items p50 regressed',
    hit: (o) => metric(o.comparison, 'items', 'p50Ms')?.verdict === 'regressed',
    run: (seed) => pairedCheck({ blocks: 6, plan: PLAN, effect: 1.1 }, seed),
  },
  {
    name: 'paired +10% on a 60 ms endpoint, 5% floor',
    before: '—',
    target: 'items p50 regressed',
    hit: (o) => metric(o.comparison, 'items', 'p50Ms')?.verdict === 'regressed',
    run: (seed) => pairedCheck({ blocks: 6, plan: PLAN, effect: 1.1, floor: 0.05 }, seed),
  },
  {
    name: 'paired +10%, 5% floor: p95',
    before: '—',
    target: 'items p95 regressed',
    hit: (o) => metric(o.comparison, 'items', 'p95Ms')?.verdict === 'regressed',
    run: (seed) => pairedCheck({ blocks: 6, plan: PLAN, effect: 1.1, floor: 0.05 }, seed),
  },
  {
    name: 'paired +10%, 5% floor, 10 blocks of 5 s',
    before: '—',
    target: 'items p95 regressed',
    hit: (o) => metric(o.comparison, 'items', 'p95Ms')?.verdict === 'regressed',
    run: (seed) =>
      pairedCheck(
        {
          blocks: 10,
          plan: { blocks: 6, maxBlocks: 10 },
          effect: 1.1,
          floor: 0.05,
          perSlot: { items: 240, health: 45, canary: 15 },
        },
        seed,
      ),
  },
  {
    name: 'paired candidate 30% slower that slows the canary 30%',
    before: 'every block dropped: 100% inconclusive',
    target: 'regressed',
    hit: anyRegressed,
    run: (seed) => pairedCheck({ blocks: 6, plan: PLAN, effect: 1.3, canaryEffect: 1.3 }, seed),
  },
  {
    name: 'stored A/A, 1 record, noise as assumed',
    before: '—',
    target: 'any regressed',
    hit: anyRegressed,
    run: (seed) => storedCheck({ history: 1 }, seed),
  },
  {
    name: 'stored A/A, 3 records, noise as assumed',
    before: '10% (noise from 3 records)',
    target: 'any regressed',
    hit: anyRegressed,
    run: (seed) => storedCheck({ history: 3 }, seed),
  },
  {
    name: 'stored A/A, 3 records, runner 2× the assumed noise',
    before: '—',
    target: 'any regressed',
    hit: anyRegressed,
    run: (seed) => storedCheck({ history: 3, noise: 2 }, seed),
  },
  {
    name: 'stored A/A, 10 records, runner 2× the assumed noise',
    before: '—',
    target: 'any regressed',
    hit: anyRegressed,
    run: (seed) => storedCheck({ history: 10, noise: 2 }, seed),
  },
  {
    name: 'stored A/A, 1 record, bursts of 20–40 errors (half the runs)',
    before: '18–28%',
    target: 'any regressed',
    hit: anyRegressed,
    run: (seed) => storedCheck({ history: 1, burstChance: 0.5 }, seed),
  },
  {
    name: 'stored A/A, 10 records, bursts (half the runs)',
    before: '—',
    target: 'any regressed',
    hit: anyRegressed,
    run: (seed) => storedCheck({ history: 10, burstChance: 0.5 }, seed),
  },
  {
    name: 'stored +10% at p95 (tail), 10 records',
    before: '2.8%',
    target: 'items p95 regressed',
    hit: (o) =>
      o.comparison.metrics.some(
        (m) => m.request === 'items' && m.metric === 'p95Ms' && m.verdict === 'regressed',
      ),
    run: (seed) => storedCheck({ history: 10, tailEffect: 1.1 }, seed),
  },
  {
    name: 'stored +30%, 10 records',
    before: '—',
    target: 'items p50 regressed',
    hit: (o) =>
      o.comparison.metrics.some(
        (m) => m.request === 'items' && m.metric === 'p50Ms' && m.verdict === 'regressed',
      ),
    run: (seed) => storedCheck({ history: 10, effect: 1.3 }, seed),
  },
  {
    name: 'nightly A/A series of 10 + this run',
    before: '— (no change points)',
    target: 'a change point reported',
    hit: (o) => o.changePoint === true,
    run: (seed) => storedCheck({ history: 10 }, seed),
  },
  {
    name: 'nightly +15% from run 5 of 10, taken as baseline',
    before: 'silently the new baseline',
    target: 'a change point reported',
    hit: (o) => o.changePoint === true,
    run: (seed) => storedCheck({ history: 10, stepAt: 5, stepEffect: 1.15 }, seed),
  },
  {
    name: 'nightly +30% from run 5 of 10, taken as baseline',
    before: 'silently the new baseline',
    target: 'a change point reported',
    hit: (o) => o.changePoint === true,
    run: (seed) => storedCheck({ history: 10, stepAt: 5, stepEffect: 1.3 }, seed),
  },
];

// ---- run and print --------------------------------------------------------------------------------

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const rate = (hits: number, n: number) => {
  const [low, high] = wilsonInterval(hits, n);
  return `${pct(hits / n)} (${pct(low)}–${pct(high)})`;
};

const rows: string[][] = [];
for (const c of CASES) {
  if (args.case && !c.name.includes(args.case)) continue;
  let hits = 0;
  let blocks = 0;
  let cpu = 0;
  const verdicts: Record<string, number> = {};
  const perMetric: Record<string, Record<string, number>> = {};
  for (let i = 0; i < reps; i++) {
    const o = c.run(seedBase + i + 1);
    if (c.hit(o)) hits++;
    verdicts[o.comparison.verdict] = (verdicts[o.comparison.verdict] ?? 0) + 1;
    for (const m of o.comparison.metrics) {
      const key = `${m.request} L${m.level} ${m.metric}`;
      perMetric[key] ??= {};
      (perMetric[key] as Record<string, number>)[m.verdict] =
        ((perMetric[key] as Record<string, number>)[m.verdict] ?? 0) + 1;
    }
    blocks += o.blocksUsed ?? 0;
    if (o.cpuCost) cpu++;
  }
  const others = Object.entries(verdicts)
    .sort((a, b) => b[1] - a[1])
    .map(([v, n]) => `${v} ${pct(n / reps)}`)
    .join(', ');
  const extra = [
    ...(blocks > 0 ? [`${(blocks / reps).toFixed(1)} blocks`] : []),
    ...(cpu > 0 ? [`CPU cost found ${rate(cpu, reps)}`] : []),
  ].join('; ');
  rows.push([c.name, c.target, c.before, rate(hits, reps), others, extra]);
  if (args.detail) {
    console.error(`\n${c.name}:`);
    for (const [key, counts] of Object.entries(perMetric)) {
      console.error(
        `  ${key.padEnd(28)} ${Object.entries(counts)
          .map(([v, n]) => `${v} ${pct(n / reps)}`)
          .join(', ')}`,
      );
    }
  }
  process.stderr.write(`\r${rows.length} cases done`);
}
process.stderr.write('\n');

const header = [
  'case',
  'rate of',
  'before (issue 13)',
  'after: rate (95% CI)',
  'comparison verdicts',
  'notes',
];
const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
console.log(
  `bench:stats — ${reps} checks per case on the ${args.seeds === 'tune' ? 'tuning' : 'report'} seeds (${seedBase + 1}…${seedBase + reps}); defaults were chosen on the tuning seeds (1…); α ${policy.alpha}, spending ${policy.spending}, floors p50/p95 ${pct(policy.floors.p50Ms)} unless the case says, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);
console.log(table);
