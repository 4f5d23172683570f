// bench:detect — how often loadgate calls a regression when there is none, and how often it
// finds the ones there are, in paired and stored-baseline modes, on the demo.
//
//   flock /tmp/loadgate-engine.lock npm run bench:detect -- [--rate 60] [--slot 10] [--warmup 2]
//        [--blocks 8] [--checks 20] [--per-check 3] [--max-per-check 6] [--seed 1] [--pool FILE]
//
// It records a pool of slots once, on one stack (bench/detect-demo.yml: the demo service in five
// containers from one image: A and its twin A2 call an upstream answering in 50 ms; U10 and U15
// one answering in 57 and 60 ms, an endpoint about 10% and 15% slower (/items takes ~59 ms at
// 60 req/s); POOL has half the pool, 3 connections instead of 6, where about 3 are busy):
// `--blocks` ABBA blocks of each kind (A/A2, A/U10, A/U15, A/POOL), kinds interleaved, after one
// unmeasured slot on each service. Then it forms checks by drawing blocks from the pool: paired
// mode as a paired run decides (`--per-check` blocks, then one more while a test is undecided, up
// to `--max-per-check`; each block's four slots stay together, as they ran); stored-baseline
// mode, the base (A) slots of one block as the baseline against the candidate slots of another,
// recorded at another time. It prints the false-alarm rate, the detection rate per effect and the
// runner minutes per check; it asserts nothing. `--pool FILE` analyses a pool saved earlier
// (out/bench-detect/pool.json, written after every block). Loads 127.0.0.1 only; bounded by the
// slots it plans.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compareBaselines, noiseNote } from '../src/compare/compare.ts';
import { noiseFromHistory } from '../src/compare/noise.ts';
import { comparePaired, type Slot, slotVariant } from '../src/compare/paired.ts';
import { PRIMING_S } from '../src/compare/pairedRun.ts';
import { DEFAULT_POLICY } from '../src/compare/policy.ts';
import { runSlot, type SlotLoad, startCanary } from '../src/compare/slots.ts';
import { seededRandom, sortedQuantile } from '../src/compare/stats.ts';
import { syntheticBaseline } from '../src/compare/testing.ts';
import { referableContainers } from '../src/config/faults.ts';
import { readConfig } from '../src/config/read.ts';
import { networkAddresses } from '../src/config/refs.ts';
import { requireService } from '../src/config/target.ts';
import { checkEngine, RunContainers } from '../src/containers/environment.ts';
import { serviceAddresses } from '../src/faults/setup.ts';
import { locateK6 } from '../src/load/k6.ts';
import { containerSpec, startDependencies } from '../src/run.ts';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '60' },
    slot: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    blocks: { type: 'string', default: '8' },
    checks: { type: 'string', default: '20' },
    'per-check': { type: 'string', default: '3' },
    'max-per-check': { type: 'string', default: '6' },
    seed: { type: 'string', default: '1' },
    /** analyse a pool recorded earlier (out/bench-detect/pool.json) instead of recording one */
    pool: { type: 'string' },
  },
});
let rate = Number(args.rate);
let slotS = Number(args.slot);
let warmupS = Number(args.warmup);
const blocksPerKind = Number(args.blocks);
const checks = Number(args.checks);
const perCheck = Number(args['per-check']);
const maxPerCheck = Math.max(perCheck, Number(args['max-per-check']));
const blocksUsed: number[] = [];
const random = seededRandom(Number(args.seed));

const root = resolve(import.meta.dirname, '..');
const configPath = join(root, 'bench', 'detect-demo.yml');
const out = join(root, 'out', 'bench-detect');
const VARIANTS: Record<string, string[]> = {
  A: [],
  // A/A's candidate: a second container of A, so process-to-process differences count as noise
  A2: [],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own reference syntax
  U10: ['service.env.DEMO_UPSTREAM_URL=http://${up57.host}:${up57.port}/quote'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own reference syntax
  U15: ['service.env.DEMO_UPSTREAM_URL=http://${up60.host}:${up60.port}/quote'],
  POOL: ['service.env.DEMO_POOL_SIZE=3'],
};
/** The kinds of block: the candidate side's variant (A/A: A on both sides). */
const KINDS = ['A', 'U10', 'U15', 'POOL'] as const;
type Kind = (typeof KINDS)[number];
const KIND_LABEL: Record<Kind, string> = {
  A: 'A/A (no change)',
  U10: 'an endpoint ~10% slower',
  U15: 'an endpoint ~15% slower',
  POOL: 'the pool halved (6 → 3)',
};

interface RecordedBlock {
  kind: Kind;
  /** order of recording */
  index: number;
  slots: Slot[];
}

const started = performance.now();
await mkdir(out, { recursive: true });
const poolFile = join(out, 'pool.json');
const recorded: RecordedBlock[] = [];
let startupS = 0;
let slotWallS = 0;
// A signal ends the recording after the slot under way; what was recorded is analysed.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error(`\n${signal}: stopping after this slot, then analysing what was recorded`);
  });
}
/** The pool on disk after every block, so an interrupted recording is not lost. */
const savePool = () =>
  writeFile(
    poolFile,
    JSON.stringify({
      rate,
      slotS,
      warmupS,
      startupS,
      slotWallS,
      blocks: recorded.map((b) => ({
        ...b,
        slots: b.slots.map((s) => ({
          ...s,
          canary: s.canary ? [...s.canary] : null,
          requests: s.requests.map((r) => ({ ...r, samples: [...r.samples] })),
        })),
      })),
    }),
  );
if (args.pool) {
  const saved = JSON.parse(await readFile(args.pool, 'utf8')) as {
    rate: number;
    slotS: number;
    warmupS: number;
    startupS: number;
    slotWallS: number;
    blocks: (Omit<RecordedBlock, 'slots'> & {
      slots: (Omit<Slot, 'canary' | 'requests'> & {
        canary: number[] | null;
        requests: (Omit<Slot['requests'][number], 'samples'> & { samples: number[] })[];
      })[];
    })[];
  };
  ({ rate, slotS, warmupS, startupS, slotWallS } = saved);
  for (const b of saved.blocks) {
    recorded.push({
      ...b,
      slots: b.slots.map((s) => ({
        ...s,
        canary: s.canary ? Float64Array.from(s.canary) : null,
        requests: s.requests.map((r) => ({ ...r, samples: Float64Array.from(r.samples) })),
      })),
    });
  }
  console.log(`analysing ${recorded.length} blocks from ${args.pool}`);
} else {
  const loaded = await readConfig(configPath, []);
  await checkEngine();
  const k6 = await locateK6();
  const runId = `bench-detect-${randomBytes(3).toString('hex')}`;
  await using containers = await RunContainers.create({ runId, logsDir: join(out, 'logs') });
  const t0 = performance.now();
  const { config } = loaded;
  const referable = referableContainers(config);
  const addresses = networkAddresses(requireService(config, 'bench:detect'), referable);
  await startDependencies(containers, config, loaded.configDir, addresses);
  const urls: Record<string, string> = {};
  for (const [variant, set] of Object.entries(VARIANTS)) {
    const variantService = requireService((await readConfig(configPath, set)).config, 'bench:detect');
    const started = await containers.start(
      containerSpec(
        `svc-${variant.toLowerCase()}`,
        variantService,
        [variantService.port],
        serviceAddresses(addresses, undefined),
        loaded.configDir,
      ),
    );
    urls[variant] = `http://127.0.0.1:${started.hostPorts.get(variantService.port)}`;
  }
  startupS = (performance.now() - t0) / 1000;
  console.log(`stack up in ${startupS.toFixed(0)} s: ${Object.keys(urls).join(', ')}`);
  const canary = await startCanary();
  const load: SlotLoad = {
    rate,
    slotS,
    warmupS,
    requestTimeoutMs: config.load.requestTimeoutMs,
    requests: config.load.requests.map((r) => ({ name: r.name, path: r.path, weight: r.weight })),
  };
  try {
    // freshly started services are slow at first: one unmeasured slot on each, as paired runs do
    for (const [variant, url] of Object.entries(urls)) {
      process.stdout.write(`\rpriming ${variant}        `);
      await runSlot({
        k6,
        baseUrl: url,
        canaryUrl: canary.url,
        slot: { block: -1, position: 0, variant: 'base' },
        load: { ...load, slotS: PRIMING_S },
        outDir: join(out, 'priming', variant),
      });
    }
    const totalSlots = blocksPerKind * KINDS.length * 4;
    let done = 0;
    for (let round = 0; round < blocksPerKind && !stopping; round++) {
      // kinds in a rotating order, so none always runs first
      const kinds = KINDS.map((_, i) => KINDS[(i + round) % KINDS.length] as Kind);
      for (const kind of kinds) {
        const block: RecordedBlock = { kind, index: recorded.length, slots: [] };
        for (let position = 0; position < 4; position++) {
          const variant = slotVariant(round, position);
          const t = performance.now();
          const slot = await runSlot({
            k6,
            baseUrl: urls[variant === 'base' ? 'A' : kind === 'A' ? 'A2' : kind] as string,
            canaryUrl: canary.url,
            slot: { block: 0, position, variant },
            load,
            outDir: join(out, 'slots', `${block.index}`),
          });
          slotWallS += (performance.now() - t) / 1000;
          block.slots.push(slot);
          done++;
          const items = slot.requests.find((r) => r.name === 'items');
          const p50 = items ? sortedQuantile(items.samples, 0.5) : null;
          process.stdout.write(
            `\rslot ${done}/${totalSlots}: ${kind} ${variant}, items p50 ${p50?.toFixed(1) ?? '—'} ms${slot.invalidReason ? ` (invalid: ${slot.invalidReason})` : ''}        `,
          );
        }
        recorded.push(block);
        await savePool();
        if (stopping) break;
      }
    }
  } finally {
    await canary.close();
  }
  process.stdout.write('\n');
}
const perSlotS = slotWallS / recorded.flatMap((b) => b.slots).length;

// ---- analysis -----------------------------------------------------------------------------------
const baseline = { runId: 'pool', startedAt: '', toolVersion: '', commit: null, source: 'bench pool' };
const pick = <T>(items: readonly T[], n: number): T[] => {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, n);
};
const renumber = (blocks: readonly RecordedBlock[]): Slot[] =>
  blocks.flatMap((b, i) => b.slots.map((s) => ({ ...s, block: i })));

interface Tally {
  checks: number;
  regressed: number;
  itemsP95: number;
  itemsP50: number;
  inconclusive: number;
}
const tally = (): Tally => ({ checks: 0, regressed: 0, itemsP95: 0, itemsP50: 0, inconclusive: 0 });
const paired: Record<string, Tally> = {};
const stored: Record<string, Tally> = {};
const count = (
  t: Tally,
  comparison: { verdict: string; metrics: { request: string; metric: string; verdict: string }[] },
) => {
  t.checks++;
  if (comparison.verdict === 'regressed') t.regressed++;
  if (comparison.verdict === 'inconclusive') t.inconclusive++;
  const is = (metric: string) =>
    comparison.metrics.some((m) => m.request === 'items' && m.metric === metric && m.verdict === 'regressed');
  if (is('p95Ms')) t.itemsP95++;
  if (is('p50Ms')) t.itemsP50++;
};
for (const kind of KINDS) {
  const blocks = recorded.filter((b) => b.kind === kind);
  paired[kind] = tally();
  stored[kind] = tally();
  for (let c = 0; c < checks; c++) {
    if (blocks.length >= perCheck) {
      // as a paired run decides: its first blocks, then one more while a test is undecided
      const order = pick(blocks, Math.min(blocks.length, maxPerCheck));
      let used = perCheck;
      let outcome = comparePaired(renumber(order.slice(0, used)), { level: rate, model: 'open', baseline });
      while (outcome.moreBlocksWouldHelp && used < order.length) {
        used++;
        outcome = comparePaired(renumber(order.slice(0, used)), { level: rate, model: 'open', baseline });
      }
      blocksUsed.push(used);
      count(paired[kind] as Tally, outcome.comparison);
    }
    // stored: the baseline run's slots from one block, the candidate's from another, recorded at another time
    if (blocks.length >= 2) {
      const [first, second] = pick(blocks, 2) as [RecordedBlock, RecordedBlock];
      const side = (b: RecordedBlock, variant: 'base' | 'candidate') =>
        syntheticBaseline(
          ['items', 'health'].map((request) => {
            const rs = b.slots
              .filter((s) => s.variant === variant && !s.invalidReason)
              .map((s) => s.requests.find((r) => r.name === request))
              .filter((r) => r !== undefined);
            const samples = Float64Array.from(rs.flatMap((r) => [...r.samples])).sort();
            return {
              level: rate,
              request,
              samples,
              errors: rs.reduce((n, r) => n + r.errors, 0),
              timeouts: rs.reduce((n, r) => n + r.timeouts, 0),
            };
          }),
          { replicates: 500 },
        );
      // A/A: the first block's A slots against the second's A2 slots (another time, another process)
      const candidate = side(second, 'candidate');
      count(
        stored[kind] as Tally,
        compareBaselines(side(first, 'base'), candidate, { baselineSource: 'pool', policy: DEFAULT_POLICY }),
      );
    }
  }
}

// stored mode's run-to-run noise on this runner: every block's base side is a run of A
const baseSides = recorded.map((b) =>
  syntheticBaseline(
    ['items', 'health'].map((request) => ({
      level: rate,
      request,
      samples: Float64Array.from(
        b.slots
          .filter((s) => s.variant === 'base' && !s.invalidReason)
          .flatMap((s) => [...(s.requests.find((r) => r.name === request)?.samples ?? [])]),
      ).sort(),
    })),
    { replicates: 500 },
  ),
);
const measuredNoise = noiseFromHistory(baseSides);

function noiseText(noise: ReturnType<typeof noiseFromHistory>): string {
  if (!noise) return '—';
  return Object.entries(noise.runNoise)
    .map(([m, v]) => `${m.replace('Ms', '')} ${((v as number) * 100).toFixed(1)}%`)
    .join(', ');
}
/** the median over A's runs of a request's p50, to read its relative noise as milliseconds */
function medianP50(request: string): number {
  const values = baseSides
    .map((b) => b.cells.find((c) => c.request === request)?.p50Ms?.estimateMs)
    .filter((v) => v !== undefined)
    .sort((x, y) => x - y);
  return sortedQuantile(Float64Array.from(values), 0.5) ?? Number.NaN;
}

// the true effects: every slot of a kind pooled, candidate against base
const effect = (kind: Kind, request: string, q: number) => {
  const all = recorded.filter((b) => b.kind === kind).flatMap((b) => b.slots);
  const of = (variant: 'base' | 'candidate') =>
    sortedQuantile(
      Float64Array.from(
        all
          .filter((s) => s.variant === variant)
          .flatMap((s) => [...(s.requests.find((r) => r.name === request)?.samples ?? [])]),
      ).sort(),
      q,
    );
  const b = of('base');
  const c = of('candidate');
  return b !== null && c !== null ? `${((c / b - 1) * 100).toFixed(1)}%` : '—';
};

const pct = (n: number, d: number) => (d === 0 ? '—' : `${((n / d) * 100).toFixed(0)}%`);
// a paired check: the stack, one unmeasured slot per side (priming), then its blocks
const primingS = (2 * perSlotS * (PRIMING_S + warmupS)) / (slotS + warmupS);
const meanBlocks =
  blocksUsed.length > 0 ? blocksUsed.reduce((a, b) => a + b, 0) / blocksUsed.length : perCheck;
const minutesPaired = (startupS + primingS + meanBlocks * 4 * perSlotS) / 60;
const minutesPairedMax = (startupS + primingS + maxPerCheck * 4 * perSlotS) / 60;
const minutesStored = (startupS + 2 * perSlotS) / 60;
const lines = [
  `bench:detect — ${recorded.length} blocks recorded (${KINDS.map((k) => `${recorded.filter((b) => b.kind === k).length} ${k}`).join(', ')}), slots of ${slotS} s after ${warmupS} s warm-up at ${rate} req/s (canary 5%)`,
  `one slot took ${perSlotS.toFixed(1)} s of wall time; the stack ${startupS.toFixed(0)} s to start; ${args.pool ? `analysed from ${args.pool}` : `recording took ${((performance.now() - started) / 60000).toFixed(1)} min`}`,
  '',
  'true effect on items (all slots of the kind pooled): ' +
    KINDS.map((k) => `${k} p50 ${effect(k, 'items', 0.5)}, p95 ${effect(k, 'items', 0.95)}`).join('; '),
  '',
  `mode             kind                       checks  regressed  items p95 regr.  items p50 regr.  inconclusive`,
  ...(['paired', 'stored'] as const).flatMap((mode) =>
    KINDS.map((kind) => {
      const t = (mode === 'paired' ? paired : stored)[kind] as Tally;
      return `${(mode === 'paired' ? `paired (${perCheck}-${maxPerCheck} bl.)` : 'stored baseline').padEnd(17)}${KIND_LABEL[kind].padEnd(27)}${String(t.checks).padStart(6)}  ${pct(t.regressed, t.checks).padStart(9)}  ${pct(t.itemsP95, t.checks).padStart(15)}  ${pct(t.itemsP50, t.checks).padStart(15)}  ${pct(t.inconclusive, t.checks).padStart(12)}`;
    }),
  ),
  '',
  `false alarms per run (A/A, all checks of the run counted): paired ${pct((paired.A as Tally).regressed, (paired.A as Tally).checks)} (target ≤ 5%), stored ${pct((stored.A as Tally).regressed, (stored.A as Tally).checks)}`,
  `+10% endpoint, items p95 detected: paired ${pct((paired.U10 as Tally).itemsP95, (paired.U10 as Tally).checks)} (target ≥ 90%), stored ${pct((stored.U10 as Tally).itemsP95, (stored.U10 as Tally).checks)}`,
  `stored mode's run-to-run noise measured here (sd of ln(B/A) between two runs beyond sampling, from ${baseSides.length} runs of A): ${noiseText(measuredNoise)}; per request: ${[
    'items',
    'health',
  ]
    .map(
      (request) =>
        `${request} (p50 ${medianP50(request).toFixed(1)} ms) ${noiseText(
          noiseFromHistory(
            baseSides.map((b) => ({ ...b, cells: b.cells.filter((c) => c.request === request) })),
          ),
        )}`,
    )
    .join('; ')}; assumed by default: ${noiseNote(DEFAULT_POLICY).replace(/^[^:]*: /, '')}`,
  `runner minutes per check: paired ${minutesPaired.toFixed(1)} on average, ${minutesPairedMax.toFixed(1)} at most (target ≤ 10; stack start, priming both sides, ${meanBlocks.toFixed(1)} blocks of 4 slots on average: ${perCheck}, then one more while a test is undecided, up to ${maxPerCheck}; the base's image build and the ladder run are not counted), stored ${minutesStored.toFixed(1)} (stack start + a run of 2 slots; its baseline run was paid for earlier)`,
  `checks drawn from a pool of recorded blocks: with ${blocksPerKind} blocks per kind, paired checks of ${perCheck} blocks overlap, so the rates above are less certain than ${checks} independent checks would make them`,
];
const report = `${lines.join('\n')}\n`;
console.log(report);
await writeFile(join(out, 'result.txt'), report);
