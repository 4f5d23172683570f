import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { referableContainers } from '../config/faults.ts';
import { readConfig } from '../config/read.ts';
import { networkAddresses } from '../config/refs.ts';
import { CONFIG_LIMITS } from '../config/schema.ts';
import { requireService } from '../config/target.ts';
import { checkEngine, RunContainers } from '../containers/environment.ts';
import type { ContainerSpec } from '../containers/spec.ts';
import { DEADLINES_MS } from '../deadline.ts';
import { CancelledError, ConfigError, InfraError } from '../errors.ts';
import { serviceAddresses } from '../faults/setup.ts';
import { type K6Binary, locateK6 } from '../load/k6.ts';
import { writeFileAtomic, writeJsonAtomic } from '../output/atomic.ts';
import { checkOutDir } from '../output/guard.ts';
import type { ProgressSink } from '../progress.ts';
import { escapeMarkdown } from '../report/escape.ts';
import type { Verdict } from '../result/schema.ts';
import { containerSpec, startDependencies } from '../run.ts';
import { TOOL_VERSION } from '../version.ts';
import { type Calibration, calibrate } from './calibrate.ts';
import { comparePaired, type PairedOutcome, type Slot, slotSchedule, type Variant } from './paired.ts';
import { applyFloorSettings, DEFAULT_POLICY, PAIRED_POLICY } from './policy.ts';
import { renderComparison } from './report.ts';
import { runSlot, type SlotLoad, startCanary } from './slots.ts';
import { sortedQuantile } from './stats.ts';

/**
 * Paired mode and calibration, end to end: the dependencies once, then two services side by side
 * on the run's network, the candidate (the config's service) and the base (another image, or the
 * same Dockerfile built from another git revision; for calibration, the candidate's twin), then
 * slots at one arrival rate, ABBA, until the comparison is decided or the block bound is reached.
 * Faults and phases are not applied: paired mode compares clean behaviour below the knee.
 */
export interface PairedRunOptions {
  configPath: string;
  overrides: readonly string[];
  outDir: string;
  progress: ProgressSink;
  signal?: AbortSignal;
  /**
   * the base side: an image; the service's Dockerfile built from a git revision; the config with
   * other `--set` settings for its service (an experiment, the benchmark); or (calibrate) the same
   */
  base: { image: string } | { ref: string } | { set: readonly string[] } | 'same';
  /** arrivals per second (open model), below the knee of the base; default the config's paired.rate */
  rate?: number;
  /** default the config's paired.slot (10 s) */
  slotS?: number;
  /** default the config's paired.warmup (3 s) */
  warmupS?: number;
  /** blocks always run; default the config's paired.blocks (3) */
  minBlocks?: number;
  /** blocks at most, run while a test is undecided; default paired.maxBlocks (6); calibrate runs exactly minBlocks */
  maxBlocks?: number;
  floors?: readonly string[];
  /** the label of everything this run starts; default a new id (the action reuses its run's, for its post step) */
  runId?: string;
  /** the k6 to drive; default the one found on PATH (the action passes the one it installed) */
  k6?: K6Binary;
}

export interface PairedRunOutcome {
  paired: PairedOutcome;
  slots: Slot[];
  /**
   * the comparison's verdict, or fail when the candidate crossed a user script's own k6
   * thresholds in a slot (absolute limits, as in `loadgate run`)
   */
  verdict: Verdict;
  /** a user script's thresholds crossed on each side, each `metric: expression` */
  crossedThresholds: Record<Variant, string[]>;
  reportMarkdown: string;
  files: string[];
}

/** Seconds each side is driven, unmeasured, before the first block. */
export const PRIMING_S = 3;

/** `loadgate run --paired`: base and candidate alternated; the comparison and its report. */
export async function runPaired(given: PairedRunOptions): Promise<PairedRunOutcome> {
  const policy = applyFloorSettings(PAIRED_POLICY, given.floors ?? []);
  const options = await withConfigDefaults(given);
  const minBlocks = options.minBlocks;
  const maxBlocks = Math.max(minBlocks, options.maxBlocks);
  const baseline = {
    runId: 'paired',
    startedAt: new Date().toISOString(),
    toolVersion: TOOL_VERSION,
    commit: null,
    source: describeBase(options.base),
  };
  // after the first blocks, another block only while some test is still undecided
  // the looks at the blocks spend α between them (sequential.ts), so extending keeps the false alarms
  const plan = { blocks: minBlocks, maxBlocks };
  const slots = await driveSlots(
    options,
    minBlocks,
    maxBlocks,
    (done) =>
      !comparePaired(done, { policy, level: options.rate, model: 'open', baseline, plan })
        .moreBlocksWouldHelp,
  );
  const paired = comparePaired(slots, { policy, level: options.rate, model: 'open', baseline, plan });
  const crossedThresholds = crossedBySide(slots);
  const verdict = pairedVerdict(paired.comparison.verdict, crossedThresholds);
  const reportMarkdown = `## loadgate paired: ${verdict.toUpperCase()}\n\n${[
    ...thresholdLines(crossedThresholds),
    ...renderComparison(paired.comparison, 'open'),
    slotTable(slots),
  ].join('\n\n')}\n`;
  const out = resolve(options.outDir);
  const files = [join(out, 'paired.json'), join(out, 'report.md')];
  await writeJsonAtomic(files[0] as string, {
    verdict,
    crossedThresholds,
    comparison: paired.comparison,
    blocks: paired.blocks,
    slots: slotSummaries(slots),
  });
  await writeFileAtomic(files[1] as string, reportMarkdown);
  return { paired, slots, verdict, crossedThresholds, reportMarkdown, files };
}

/** The script's thresholds each side crossed in any of its slots, in the order first seen. */
export function crossedBySide(slots: readonly Slot[]): Record<Variant, string[]> {
  const of = (variant: Variant) => [
    ...new Set(slots.filter((s) => s.variant === variant).flatMap((s) => s.crossedThresholds ?? [])),
  ];
  return { base: of('base'), candidate: of('candidate') };
}

/**
 * A paired run's verdict: fail when the candidate crossed a script threshold in any slot (an
 * absolute limit, as in `loadgate run`), else the comparison's. The base's crossings are only told.
 */
export function pairedVerdict(compared: Verdict, crossed: Record<Variant, string[]>): Verdict {
  return crossed.candidate.length > 0 ? 'fail' : compared;
}

function thresholdLines(crossed: Record<Variant, string[]>): string[] {
  return (['candidate', 'base'] as const)
    .filter((variant) => crossed[variant].length > 0)
    .map(
      (variant) =>
        `**The script's thresholds were crossed on the ${variant}** (k6 exit 99${variant === 'candidate' ? ': the run fails' : ''}): ${crossed[variant].map((t) => escapeMarkdown(t, 200)).join('; ')}`,
    );
}

/** The options with the config's `paired` section filling what was not given, and the config read once. */
type ResolvedPairedOptions = PairedRunOptions & {
  loaded: Awaited<ReturnType<typeof readConfig>>;
  rate: number;
  slotS: number;
  warmupS: number;
  minBlocks: number;
  maxBlocks: number;
};

async function withConfigDefaults(options: PairedRunOptions): Promise<ResolvedPairedOptions> {
  const loaded = await readConfig(options.configPath, options.overrides);
  await checkOutDir(options.outDir, loaded.configDir);
  const { paired } = loaded.config;
  const rate = options.rate ?? paired.rate;
  if (rate === undefined) {
    throw new ConfigError('paired mode needs an arrival rate: give --rate or set paired.rate in the config', [
      'paired.rate: missing',
    ]);
  }
  checkCommandLineBounds(options);
  return {
    ...options,
    loaded,
    rate,
    slotS: options.slotS ?? paired.slotS,
    warmupS: options.warmupS ?? paired.warmupS,
    minBlocks: options.minBlocks ?? paired.blocks,
    maxBlocks: options.maxBlocks ?? paired.maxBlocks,
  };
}

/** What the command line gives holds to the config's bounds (paired.slot, .warmup, .blocks). */
function checkCommandLineBounds(options: PairedRunOptions): void {
  const problems: string[] = [];
  const within = (flag: string, value: number | undefined, min: number, max: number, whole: boolean) => {
    if (value === undefined) return;
    if (!(value >= min && value <= max) || (whole && !Number.isInteger(value)))
      problems.push(
        `${flag} ${value}: expected ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`,
      );
  };
  within('--rate', options.rate, Number.MIN_VALUE, 1e6, false);
  within('--slot', options.slotS, 1, 600, false);
  within('--warmup', options.warmupS, 0, 600, false);
  within('--blocks', options.minBlocks, 1, CONFIG_LIMITS.pairedBlocks, true);
  within('--max-blocks', options.maxBlocks, 1, CONFIG_LIMITS.pairedBlocks, true);
  if (problems.length > 0) throw new ConfigError(`invalid paired settings: ${problems.join('; ')}`, problems);
}

/** `loadgate calibrate`: A/A blocks, their spread, the floors it implies. */
export async function runCalibration(
  given: Omit<PairedRunOptions, 'base'> & { alpha?: number; checks?: number; plannedBlocks?: number },
): Promise<{ calibration: Calibration; text: string; files: string[] }> {
  const options = { ...given, ...(await withConfigDefaults({ ...given, base: 'same' })) };
  const blocks = given.minBlocks ?? 6;
  const slots = await driveSlots({ ...options, base: 'same' }, blocks, blocks, () => false);
  const requests = new Set(slots.flatMap((s) => s.requests.map((r) => r.name)));
  const alpha = options.alpha ?? DEFAULT_POLICY.alpha;
  const checks = options.checks ?? requests.size * 5;
  const plannedBlocks = options.plannedBlocks ?? 3;
  const calibration = calibrate(slots, {
    level: options.rate,
    model: 'open',
    baseline: { runId: 'A/A', startedAt: '', toolVersion: TOOL_VERSION, commit: null, source: 'A/A' },
    alpha,
    checks,
    plannedBlocks,
  });
  const lines = [
    `A/A: ${calibration.validBlocks} of ${calibration.blocks} blocks valid, ${options.rate} req/s, slots of ${options.slotS} s`,
    'request     metric  spread of ln(B/A) per block   detectable (90% power)',
    ...calibration.rows.map(
      (r) =>
        `${r.request.padEnd(12)}${r.metric.replace('Ms', '').padEnd(8)}${(r.logSd === null ? 'too few samples' : `${(r.logSd * 100).toFixed(2)}%`).padEnd(30)}${r.detectable === null ? '—' : `${(r.detectable * 100).toFixed(1)}%`}`,
    ),
    `with ${plannedBlocks} blocks per check and ${checks} checks at a ${alpha * 100}% false-alarm rate, floors below these only give inconclusive verdicts:`,
    ...Object.entries(calibration.floors).map(
      ([m, v]) => `  --floor ${m.replace('Ms', '')}=${Math.max(1, Math.ceil(v * 100))}%`,
    ),
  ];
  const crossed = crossedBySide(slots);
  for (const variant of ['candidate', 'base'] as const) {
    if (crossed[variant].length > 0)
      lines.push(
        `the script's thresholds were crossed on the ${variant} side: ${crossed[variant].join('; ')}`,
      );
  }
  const text = `${lines.join('\n')}\n`;
  const out = resolve(options.outDir);
  const files = [join(out, 'calibration.json'), join(out, 'calibration.txt')];
  await writeJsonAtomic(files[0] as string, { calibration, slots: slotSummaries(slots) });
  await writeFileAtomic(files[1] as string, text);
  return { calibration, text, files };
}

/**
 * Starts the stack with two services and runs slots: `minBlocks` blocks, then one more block at
 * a time while `decided(slots)` is false, up to `maxBlocks`. Everything started is removed.
 */
async function driveSlots(
  options: ResolvedPairedOptions,
  minBlocks: number,
  maxBlocks: number,
  decided: (slots: Slot[]) => boolean,
): Promise<Slot[]> {
  const { progress } = options;
  const { loaded } = options;
  const { config } = loaded;
  if (!(options.rate > 0))
    throw new ConfigError('--rate must be a positive number of requests per second', ['--rate']);
  const service = requireService(config, 'paired mode');
  await checkEngine({ signal: options.signal });
  const k6 = options.k6 ?? (await locateK6());
  const out = resolve(options.outDir);
  await mkdir(out, { recursive: true });
  const runId =
    options.runId ??
    `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}-${randomBytes(3).toString('hex')}`;
  progress.step(
    `loadgate ${TOOL_VERSION}: paired run ${runId}, k6 ${k6.version}, output in ${options.outDir}`,
  );

  const cleanup: (() => Promise<void>)[] = [];
  try {
    const baseSpec = await baseServiceSpec(options, loaded.configDir, cleanup);
    await using containers = await RunContainers.create({
      runId,
      logsDir: join(out, 'logs'),
      ...(options.signal ? { signal: options.signal } : {}),
      onEvent: (event) => {
        if (event.kind === 'building') progress.step(`building ${event.name} (cached layers are reused)`);
        if (event.kind === 'ready') progress.step(`${event.name} ready in ${event.seconds.toFixed(1)} s`);
      },
    });
    const referable = referableContainers(config);
    const addresses = networkAddresses(service, referable);
    await startDependencies(
      containers,
      config,
      loaded.configDir,
      addresses,
      () => {
        if (options.signal?.aborted) throw new CancelledError(`cancelled (${String(options.signal.reason)})`);
      },
      loaded.secrets,
    );
    const serviceEnvAddresses = serviceAddresses(addresses, undefined);
    const candidateSpec = containerSpec(
      'service',
      service,
      [service.port],
      serviceEnvAddresses,
      loaded.configDir,
      loaded.secrets,
    );
    const candidate = await containers.start(candidateSpec);
    const base = await containers.start(baseSpec(candidateSpec, serviceEnvAddresses));
    const url = (started: typeof candidate) => {
      const port = started.hostPorts.get(service.port);
      if (port === undefined) throw new InfraError(`the service's port ${service.port} is not mapped`);
      return `http://127.0.0.1:${port}`;
    };
    const urls: Record<Variant, string> = { candidate: url(candidate), base: url(base) };
    const canary = await startCanary();
    cleanup.push(() => canary.close());
    const load: SlotLoad = {
      rate: options.rate,
      slotS: options.slotS,
      warmupS: options.warmupS,
      requestTimeoutMs: config.load.requestTimeoutMs,
      ...(config.load.maxVUs !== undefined ? { maxVUs: config.load.maxVUs } : {}),
      requests: config.load.requests.map((r) => ({
        name: r.name,
        method: r.method,
        path: r.path,
        weight: r.weight,
        headers: r.headers,
        body: r.body ?? null,
        expectStatus: r.expectStatus?.[0] ?? null,
      })),
      ...(config.load.script
        ? {
            script: {
              path: resolve(loaded.configDir, config.load.script),
              ...(config.load.scriptRequests ? { requestNames: config.load.scriptRequests } : {}),
            },
          }
        : {}),
    };
    // Freshly started services are slow at first (cold caches, connections being opened, JIT):
    // one unmeasured slot on each side, so the first block does not pay for it.
    for (const variant of ['base', 'candidate'] as const) {
      if (options.signal?.aborted) throw new CancelledError(`cancelled (${String(options.signal.reason)})`);
      progress.step(`priming the ${variant} side (${load.warmupS + PRIMING_S} s, not measured)`);
      await runSlot({
        k6,
        baseUrl: urls[variant],
        canaryUrl: canary.url,
        slot: { block: -1, position: variant === 'base' ? 0 : 1, variant },
        load: { ...load, slotS: PRIMING_S },
        outDir: join(out, 'priming'),
        ...(options.signal ? { signal: options.signal } : {}),
        runId,
        secrets: loaded.secrets,
      });
    }
    const slots: Slot[] = [];
    for (const planned of slotSchedule(maxBlocks)) {
      if (planned.position === 0 && planned.block >= minBlocks && decided(slots)) break;
      if (options.signal?.aborted) throw new CancelledError(`cancelled (${String(options.signal.reason)})`);
      const slot = await runSlot({
        k6,
        baseUrl: urls[planned.variant],
        canaryUrl: canary.url,
        slot: planned,
        load,
        outDir: join(out, 'slots'),
        ...(options.signal ? { signal: options.signal } : {}),
        runId,
        secrets: loaded.secrets,
      });
      slots.push(slot);
      progress.step(slotLine(slot));
    }
    return slots;
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  }
}

/** The base service's spec from the candidate's: another image, a build from another revision, or a twin. */
async function baseServiceSpec(
  options: PairedRunOptions,
  configDir: string,
  cleanup: (() => Promise<void>)[],
): Promise<(candidate: ContainerSpec, addresses: ReturnType<typeof networkAddresses>) => ContainerSpec> {
  const { base } = options;
  if (base === 'same') return (candidate) => ({ ...candidate, name: 'base' });
  if ('set' in base) {
    const other = await readConfig(options.configPath, [...options.overrides, ...base.set]);
    const service = requireService(other.config, 'paired mode');
    return (_candidate, addresses) =>
      containerSpec('base', service, [service.port], addresses, other.configDir, other.secrets);
  }
  if ('image' in base) {
    return (candidate) => {
      const { build: _build, ...rest } = candidate;
      return { ...rest, name: 'base', image: base.image };
    };
  }
  const { config } = await readConfig(options.configPath, options.overrides);
  const build = requireService(config, 'paired mode').build;
  if (!build) {
    throw new ConfigError(
      '--base-ref needs a service built from a Dockerfile (service.build); use --base-image',
      ['service.build: missing for --base-ref'],
    );
  }
  const run = promisify(execFile);
  const git = (file: string, args: string[], options: { cwd: string }) =>
    run(file, args, { ...options, timeout: DEADLINES_MS.git, killSignal: 'SIGKILL' });
  const context = resolve(configDir, build.context);
  let root: string;
  try {
    root = (await git('git', ['rev-parse', '--show-toplevel'], { cwd: context })).stdout.trim();
  } catch (error) {
    throw new ConfigError(`--base-ref: ${context} is not inside a git repository`, ['--base-ref'], {
      cause: error,
    });
  }
  const worktree = await mkdtemp(join(tmpdir(), 'loadgate-base-'));
  try {
    await git('git', ['worktree', 'add', '--detach', '--force', worktree, base.ref], { cwd: root });
  } catch (error) {
    await rm(worktree, { recursive: true, force: true });
    throw new ConfigError(
      `--base-ref ${base.ref}: ${(error as Error).message.split('\n')[0]}`,
      ['--base-ref'],
      {
        cause: error,
      },
    );
  }
  cleanup.push(async () => {
    await git('git', ['worktree', 'remove', '--force', worktree], { cwd: root }).catch(() => {});
    await rm(worktree, { recursive: true, force: true });
  });
  const baseContext = join(worktree, relative(root, context));
  return (candidate) => ({
    ...candidate,
    name: 'base',
    ...(candidate.build ? { build: { ...candidate.build, context: baseContext } } : {}),
  });
}

function describeBase(base: PairedRunOptions['base']): string {
  if (base === 'same') return 'A/A (the same service)';
  if ('set' in base) return `the config with ${base.set.join(' ')}`;
  return 'image' in base ? `image ${base.image}` : `revision ${base.ref}`;
}

function slotLine(slot: Slot): string {
  const head = `block ${slot.block + 1} slot ${slot.position + 1} (${slot.variant})`;
  if (slot.invalidReason) return `${head}: invalid, ${slot.invalidReason}`;
  const parts = slot.requests.map((r) => {
    const p50 = sortedQuantile(r.samples, 0.5);
    return `${r.name} ${r.count} requests, p50 ${p50 === null ? '—' : `${p50.toFixed(1)} ms`}`;
  });
  const canary = slot.canary ? sortedQuantile(slot.canary, 0.5) : null;
  const dropped = slot.droppedIterations > 0 ? `, ${slot.droppedIterations} dropped` : '';
  const crossed = slot.crossedThresholds?.length
    ? `; the script's thresholds crossed: ${slot.crossedThresholds.join('; ')}`
    : '';
  return `${head}: ${parts.join('; ')}; canary p50 ${canary === null ? '—' : `${canary.toFixed(2)} ms`}${dropped}${crossed}`;
}

function slotSummaries(slots: readonly Slot[]) {
  return slots.map((s) => ({
    block: s.block,
    position: s.position,
    variant: s.variant,
    invalidReason: s.invalidReason ?? null,
    droppedIterations: s.droppedIterations,
    canaryP50Ms: s.canary ? sortedQuantile(s.canary, 0.5) : null,
    requests: s.requests.map((r) => ({
      name: r.name,
      count: r.count,
      errors: r.errors,
      timeouts: r.timeouts,
      p50Ms: sortedQuantile(r.samples, 0.5),
      p95Ms: sortedQuantile(r.samples, 0.95),
      p99Ms: sortedQuantile(r.samples, 0.99),
    })),
  }));
}

function slotTable(slots: readonly Slot[]): string {
  const rows = slotSummaries(slots).map((s) => {
    const req = s.requests
      .map((r) => `${escapeMarkdown(r.name)}: ${r.count}, p50 ${r.p50Ms?.toFixed(1) ?? '—'} ms`)
      .join('; ');
    const what = s.invalidReason ? `invalid: ${escapeMarkdown(s.invalidReason, 200)}` : req;
    return `| ${s.block + 1} | ${s.position + 1} | ${s.variant} | ${what} | ${s.canaryP50Ms?.toFixed(2) ?? '—'} |`;
  });
  return [
    '| Block | Slot | Side | Requests | Canary p50 (ms) |',
    '| ---: | ---: | :--- | :--- | ---: |',
    ...rows,
  ].join('\n');
}
