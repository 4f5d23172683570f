import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { substituteEnvRefs } from '../k6-scripts/contract.ts';
import { type BaselineRunOptions, BaselineStep } from './baseline/step.ts';
import { proxiedNames, referableContainers } from './config/faults.ts';
import { readConfig } from './config/read.ts';
import { networkAddresses, resolveEnv, startOrder } from './config/refs.ts';
import { CONFIG_LIMITS, type LoadgateConfig } from './config/schema.ts';
import { requireService } from './config/target.ts';
import { formatDuration, plannedLoadS } from './config/validate.ts';
import {
  checkEngine,
  FAILURE_LOG_LINES,
  RunContainers,
  type StartedContainer,
} from './containers/environment.ts';
import { tailFile } from './containers/logs.ts';
import type { ContainerSpec, WaitSpec } from './containers/spec.ts';
import { CancelledError, ExitCode, InfraError } from './errors.ts';
import { PhaseFaults } from './faults/controller.ts';
import { phaseResults } from './faults/recovery.ts';
import {
  type ContainerLike,
  phasePlanInput,
  runningStubs,
  serviceAddresses,
  startable,
  startFaultProxy,
} from './faults/setup.ts';
import { evaluateGate } from './gate/evaluate.ts';
import { decideVerdict } from './gate/verdict.ts';
import { type K6Binary, locateK6, type RunLadderOptions, runLadder } from './load/k6.ts';
import { buildLadderPlan, type LadderPlan, type LadderPlanInput } from './load/plan.ts';
import { parseLadderExtras } from './load/summary.ts';
import { levelWindows } from './metrics/levels.ts';
import { levelResultParts, metricsPort, postgresToSample, watchOptionsFor } from './metrics/setup.ts';
import { type LevelMeasures, LevelWatch } from './metrics/watch.ts';
import { writeFileAtomic, writeJsonAtomic } from './output/atomic.ts';
import { checkOutDir } from './output/guard.ts';
import type { ProgressSink } from './progress.ts';
import { renderReport } from './report/markdown.ts';
import { RESULT_SCHEMA_VERSION, type Result, ResultSchema, type Verdict } from './result/schema.ts';
import { TOOL_VERSION } from './version.ts';

export interface RunOptions {
  configPath: string;
  outDir: string;
  /** `key=value` settings applied over the config file */
  overrides: readonly string[];
  progress: ProgressSink;
  /** compare with a baseline, save this run as one (src/baseline/step.ts) */
  baseline?: BaselineRunOptions;
  /** aborting stops k6 (it still writes its summary) and everything started; the result is partial */
  signal?: AbortSignal;
  /** told the run's id before anything is started (the action's post step cleans up by it) */
  onRunId?: (runId: string) => void;
  /** how the user named the output folder, for messages; default `--out` */
  outSetting?: string;
  /** the k6 to drive; default the one found on PATH (the action passes the one it installed) */
  k6?: K6Binary;
}

export interface RunOutcome {
  result: Result;
  reportMarkdown: string;
  resultPath: string;
  reportPath: string;
}

/** Files of the output folder, relative to it. */
export const OUT_FILES = {
  result: 'result.json',
  report: 'report.md',
  k6Summary: 'k6-summary.json',
  k6Log: 'k6.log',
  logsDir: 'logs',
} as const;

/**
 * loadgate's main job, step by step as a user would tell it: read the config, check the tools,
 * start the dependencies and the service, drive the ladder with k6, gate, report. Everything
 * started is removed at the end, whatever happens.
 */
export async function runLoadgate(options: RunOptions): Promise<RunOutcome> {
  const { progress } = options;
  const startedAt = new Date();

  // 1. The config, before anything is started: a bad one is a ConfigError (exit 2).
  const loaded = await readConfig(options.configPath, options.overrides);
  for (const warning of loaded.warnings) progress.warn(warning);
  const { config } = loaded;
  await checkOutDir(options.outDir, loaded.configDir, options.outSetting);
  // A baseline to compare with is read now: a damaged one fails before anything starts.
  const baselines = await BaselineStep.prepare(options.baseline ?? {}, progress);

  // 2. The tools: an engine and a supported k6 (InfraError, exit 3, with how to get them).
  if (!config.target) await checkEngine({ signal: options.signal });
  const k6 = options.k6 ?? (await locateK6());
  // Said once the tools are there: a run that cannot start prints only why (stdout stays empty).
  progress.step(
    `the ladder: ${config.phases.length} phase(s) × ${config.load.levels.length} levels, about ${formatDuration(plannedLoadS(config))} of load (at most ${formatDuration(CONFIG_LIMITS.planS)})`,
  );

  const outDir = resolve(options.outDir);
  const logsDir = join(outDir, OUT_FILES.logsDir);
  await mkdir(logsDir, { recursive: true });
  const runId = newRunId(startedAt);
  options.onRunId?.(runId);
  progress.step(`loadgate ${TOOL_VERSION}: run ${runId}, k6 ${k6.version}, output in ${options.outDir}`);

  let ladder: Awaited<ReturnType<typeof runLadder>>;
  let plan: LadderPlan;
  let watch: LevelWatch | undefined;
  let measures: LevelMeasures[] = [];
  if (config.target) {
    // 3–4. A deployed target: nothing to start; the same ladder against its URL.
    plan = buildLadderPlan(ladderInput(config, config.target.url));
    progress.step(
      `driving ${measuredLevels(plan)} levels with k6 against ${config.target.url} (about ${Math.round(plan.totalS)} s)`,
    );
    ladder = await runLadder(
      ladderRunOptions({
        config,
        configDir: loaded.configDir,
        k6,
        plan,
        outDir,
        runId,
        progress,
        signal: options.signal,
        samplesPath: baselines.samplesPath(outDir),
        secrets: loaded.secrets,
      }),
    );
  } else {
    const serviceConfig = requireService(config, 'loadgate run');
    // 3. The containers, on one network; disposed in reverse order whatever happens.
    await using containers = await RunContainers.create({
      runId,
      logsDir,
      ...(options.signal ? { signal: options.signal } : {}),
      onEvent: (event) => {
        if (event.kind === 'building') progress.step(`building ${event.name} (cached layers are reused)`);
        if (event.kind === 'ready') progress.step(`${event.name} ready in ${event.seconds.toFixed(1)} s`);
        if (event.kind === 'stopping') progress.step(`removing ${event.count} containers and the network`);
      },
    });
    // Dependencies and upstreams alike, each after those its env refers to.
    const referable = referableContainers(config);
    const addresses = networkAddresses(serviceConfig, referable);
    // Toxiproxy in front of the upstreams and proxied dependencies: the service's env names the proxies.
    await using faultProxy = await startFaultProxy(config, referable, { runId, logsDir });
    if (faultProxy) progress.step(`Toxiproxy in front of ${proxiedNames(config).join(', ')}`);
    const startedDependencies = await startDependencies(
      containers,
      config,
      loaded.configDir,
      addresses,
      () => throwIfAborted(options.signal),
      loaded.secrets,
    );
    const faults = new PhaseFaults(
      faultProxy,
      proxiedNames(config),
      runningStubs(config, startedDependencies),
    );
    throwIfAborted(options.signal);
    const servicePorts = [...new Set([serviceConfig.port, metricsPort(config)])];
    const service = await containers.start(
      containerSpec(
        'service',
        serviceConfig,
        servicePorts,
        serviceAddresses(addresses, faultProxy),
        loaded.configDir,
        loaded.secrets,
      ),
    );
    const servicePort = service.hostPorts.get(serviceConfig.port);
    if (servicePort === undefined)
      throw new InfraError(`the service's port ${serviceConfig.port} is not mapped`);

    // 4. The ladder, driven by the real k6 against the service on loopback.
    plan = buildLadderPlan(ladderInput(config, `http://127.0.0.1:${servicePort}`));
    progress.step(`driving ${measuredLevels(plan)} levels with k6 (about ${Math.round(plan.totalS)} s)`);
    // The service's own metrics and its Postgres, watched level by level while k6 runs.
    const pg = postgresToSample(config);
    const pgContainer = pg ? startedDependencies.get(pg.name) : undefined;
    watch = await LevelWatch.prepare(
      watchOptionsFor({
        config,
        windows: levelWindows(plan.scenarios),
        totalS: plan.totalS,
        hostMetricsPort: service.hostPorts.get(metricsPort(config)),
        postgres:
          pg && pgContainer
            ? { containerId: pgContainer.id, logFile: pgContainer.logFile, target: pg.target }
            : null,
        serviceContainerId: service.id,
        warn: (message) => progress.warn(message),
        note: (message) => progress.step(message),
      }),
    );
    if (pg && pgContainer) progress.step(`sampling pg_stat_activity of ${pg.name} during each level`);
    throwIfAborted(options.signal);
    const levelWatch = watch;
    // Each phase's faults switched on at its start, counted from k6's own start.
    const schedule = faults.active ? faults.schedule(plan.phaseWindows ?? [], config.phases) : undefined;
    try {
      ladder = await runLadder({
        ...ladderRunOptions({
          config,
          configDir: loaded.configDir,
          k6,
          plan,
          outDir,
          runId,
          progress,
          signal: options.signal,
          samplesPath: baselines.samplesPath(outDir),
          secrets: loaded.secrets,
        }),
        onStart: (startedAtMs) => {
          levelWatch.start(startedAtMs);
          schedule?.start(startedAtMs);
        },
      });
    } finally {
      schedule?.cancel();
      measures = await levelWatch.finish();
    }
    await schedule?.finish();
    // A service that died under load invalidates the run: say so with what it printed last.
    const serviceState = await containers.state(service);
    if (!serviceState.running && !ladder.cancelled) {
      const tail = await tailFile(service.logFile, FAILURE_LOG_LINES);
      throw new InfraError(
        `the service exited during the load (exit code ${serviceState.exitCode ?? 'unknown'}); last ${FAILURE_LOG_LINES} lines of its log (${service.logFile}):\n${tail}`,
      );
    }
  }

  // 5. Gate and verdict, then the files; first the idle probe (each level's came with the level).
  const extras = parseLadderExtras(await readFile(ladder.files.summary, 'utf8'), plan);
  const levels = ladder.levels.map((level) => ({
    ...level,
    ...levelResultParts(
      measures.find((m) => m.phase === level.phase && m.level === level.level),
      watch?.poolSource ?? null,
    ),
  }));
  const evaluated = evaluateGate(levels, config.gate.thresholds, config.load.model);
  for (const line of evaluated.unmatched) progress.warn(line);
  const gate = {
    checked: evaluated.checked,
    breaches: evaluated.breaches,
    ...(ladder.thresholdsCrossed
      ? {
          scriptThresholdsCrossed:
            ladder.crossedThresholds.length > 0 ? ladder.crossedThresholds : ['k6 named none'],
        }
      : {}),
  };
  const partial = ladder.cancelled;
  // This run as a baseline record, and its comparison with the baseline given.
  const compared = await baselines.compare(
    {
      runId,
      startedAt,
      levels,
      partial,
      k6Version: ladder.k6Version,
      loadModel: config.load.model,
      configHash: loaded.hash,
    },
    config,
    ladder.files,
  );
  const decided = decideVerdict({
    gate,
    ...(compared.verdictInput ? { comparison: compared.verdictInput } : {}),
  });
  const result: Result = ResultSchema.parse({
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'loadgate', version: TOOL_VERSION },
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    partial,
    verdict: partial ? 'error' : decided.verdict,
    summary: partial ? `cancelled: partial results of ${levels.length} levels` : decided.summary,
    k6Version: ladder.k6Version,
    loadModel: config.load.model,
    configHash: loaded.hash,
    probeIdleP95Ms: extras.probeIdleP95Ms,
    phases: phaseResults(config.phases, plan, extras),
    levels,
    gate,
    ...(compared.comparison ? { comparison: compared.comparison } : {}),
    ...(compared.trend ? { trend: compared.trend } : {}),
    files: {
      report: OUT_FILES.report,
      k6Summary: relative(outDir, ladder.files.summary),
      k6Log: relative(outDir, ladder.files.log),
      logsDir: OUT_FILES.logsDir,
    },
  } satisfies Result);
  const reportMarkdown = renderReport(result);
  const resultPath = join(outDir, OUT_FILES.result);
  const reportPath = join(outDir, OUT_FILES.report);
  await writeJsonAtomic(resultPath, result);
  await writeFileAtomic(reportPath, reportMarkdown);
  // A signal after the load leaves the results complete, but the run is no baseline.
  await baselines.save(result, outDir, options.signal?.aborted === true);
  return { result, reportMarkdown, resultPath, reportPath };
}

/** The exit status of a finished run: 130 when it was cancelled (partial), else by verdict. */
export function exitCodeForResult(result: Pick<Result, 'partial' | 'verdict'>): number {
  return result.partial ? ExitCode.cancelled : exitCodeForVerdict(result.verdict);
}

/** 0 pass, 1 a gate breach or regression; an inconclusive comparison warns and passes. */
export function exitCodeForVerdict(verdict: Verdict): number {
  switch (verdict) {
    case 'pass':
    case 'inconclusive':
    case 'not-comparable':
      return ExitCode.pass;
    case 'fail':
    case 'regressed':
      return ExitCode.failedGate;
    case 'error':
      return ExitCode.infra;
  }
}

/**
 * Starts the dependencies and upstreams (stubs included), each after those its env refers to;
 * `beforeEach` may throw to stop (a cancelled run). Returns them by name.
 */
export async function startDependencies(
  containers: RunContainers,
  config: LoadgateConfig,
  configDir: string,
  addresses: ReturnType<typeof networkAddresses>,
  beforeEach: () => void = () => {},
  /** the values of `${env.NAME}` (LoadedConfig.secrets) */
  secrets: Readonly<Record<string, string>> = {},
): Promise<Map<string, StartedContainer>> {
  const started = new Map<string, StartedContainer>();
  for (const name of startOrder(referableContainers(config))) {
    beforeEach();
    const what = startable(config, name);
    started.set(
      name,
      await containers.start(
        what.kind === 'stub'
          ? what.spec
          : containerSpec(name, what.container, what.ports, addresses, configDir, secrets),
      ),
    );
  }
  return started;
}

/** A container of the config as the engine starts it (also paired mode's two services). */
export function containerSpec(
  name: string,
  container: ContainerLike,
  ports: number[],
  addresses: ReturnType<typeof networkAddresses>,
  configDir: string,
  /** the values of `${env.NAME}` (LoadedConfig.secrets): only the engine gets them */
  secrets: Readonly<Record<string, string>> = {},
): ContainerSpec {
  const firstPort = ports[0];
  const fromEnv = (text: string) => substituteEnvRefs(text, (name) => secrets[name] ?? '');
  const wait: WaitSpec =
    container.wait.kind === 'http'
      ? { kind: 'http', path: container.wait.path, port: firstPort ?? 80 }
      : container.wait.kind === 'command'
        ? { kind: 'command', command: fromEnv(container.wait.command), shown: container.wait.command }
        : container.wait;
  return {
    name,
    ...(container.image ? { image: container.image } : {}),
    ...(container.build
      ? {
          build: {
            context: resolve(configDir, container.build.context),
            dockerfile: container.build.dockerfile,
            args: Object.fromEntries(
              Object.entries(container.build.args).map(([key, value]) => [key, fromEnv(value)]),
            ),
            ...(container.build.target !== undefined ? { target: container.build.target } : {}),
          },
        }
      : {}),
    ports,
    env: resolveEnv(container.env, addresses, secrets),
    ...(container.command ? { command: container.command.map(fromEnv) } : {}),
    wait,
    startupTimeoutMs: container.startupTimeoutMs,
  };
}

/**
 * How the run's k6 is started, the same for a service and a target (and a target's segment):
 * the user's script, the target's headers (through k6's environment, never the plan file), the
 * signal, and live progress per measured level.
 */
export function ladderRunOptions(run: {
  config: LoadgateConfig;
  configDir: string;
  k6: K6Binary;
  plan: LadderPlan;
  outDir: string;
  runId: string;
  progress: ProgressSink;
  signal: AbortSignal | undefined;
  samplesPath: string;
  /** the values of `${env.NAME}` (LoadedConfig.secrets): k6 reads those of the requests */
  secrets: Readonly<Record<string, string>>;
}): RunLadderOptions {
  const { config, progress } = run;
  const fromEnv = (text: string) => substituteEnvRefs(text, (name) => run.secrets[name] ?? '');
  return {
    k6: run.k6,
    plan: run.plan,
    outDir: run.outDir,
    runId: run.runId,
    samplesPath: run.samplesPath,
    secrets: run.secrets,
    ...(config.load.script ? { userScriptPath: resolve(run.configDir, config.load.script) } : {}),
    ...(config.target && Object.keys(config.target.headers).length > 0
      ? {
          targetHeaders: Object.fromEntries(
            Object.entries(config.target.headers).map(([name, value]) => [name, fromEnv(value)]),
          ),
        }
      : {}),
    ...(run.signal ? { signal: run.signal } : {}),
    // A runner kills the job 10 s after its first signal: k6 gets a few to write its summary.
    stopGraceMs: 4_000,
    onProgress: (update) => {
      if (update.warmup) return;
      progress.load({
        phase: update.phase,
        levelIndex: update.levelIndex,
        levelCount: config.load.levels.length,
        level: update.level,
        model: config.load.model,
        elapsedS: update.elapsedS,
        totalS: update.totalS,
        p95Ms: update.p95Ms,
        errorRate: update.errorRate,
      });
    },
  };
}

function measuredLevels(plan: LadderPlan): number {
  return plan.scenarios.filter((s) => s.measured).length;
}

/** The ladder plan's input from the config, against the service's or the target's URL. */
export function ladderInput(config: LoadgateConfig, baseUrl: string): LadderPlanInput {
  const { load } = config;
  return {
    baseUrl,
    model: load.model,
    levels: load.levels,
    levelDurationS: load.levelDurationS,
    warmupS: load.warmupS,
    requestTimeoutMs: load.requestTimeoutMs,
    ...(load.maxVUs !== undefined ? { maxVUs: load.maxVUs } : {}),
    requests: load.requests.map((request) => ({
      name: request.name,
      method: request.method,
      path: request.path,
      weight: request.weight,
      headers: request.headers,
      body: request.body ?? null,
      expectStatus: request.expectStatus?.[0] ?? null,
    })),
    ...(load.script ? { userScript: load.scriptRequests ? { requestNames: load.scriptRequests } : {} } : {}),
    ...(load.probe ? { probe: load.probe } : {}),
    ...phasePlanInput(config),
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new CancelledError(`cancelled (${String(signal.reason)}) before the load started`);
}

/** A run's id: its start time and 24 random bits, `20260101-000000-a1b2c3`. */
export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
