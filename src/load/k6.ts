import { execFile, spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { submetric } from '../../k6-scripts/contract.ts';
import tools from '../../tools.json' with { type: 'json' };
import { withoutRunnerTokens } from '../config/secrets.ts';
import { tailFile } from '../containers/logs.ts';
import { boundedTimeout, MAX_TIMER_MS } from '../deadline.ts';
import { InfraError } from '../errors.ts';
import { hasSecrets, redact, redactingLines } from '../redact.ts';
import { K6_RUN_ID_ENV } from './orphans.ts';
import { LADDER_ENV, type LadderPlan, renderUserScriptWrapper, scenarioAt } from './plan.ts';
import { crossedThresholds, type LevelLoadResult, parseLadderSummary } from './summary.ts';

/**
 * The k6 versions loadgate speaks to (pinned in tools.json): the handleSummary data, REST API
 * and exit statuses it reads are v2's.
 */
export const SUPPORTED_K6 = { atLeast: tools.k6SupportedAtLeast, below: tools.k6SupportedBelow } as const;
/** Environment variable naming the k6 binary; otherwise `k6` is looked up on PATH. */
export const K6_PATH_ENV = 'LOADGATE_K6';
/** Seconds k6 may take beyond the plan's duration: starting VUs, setup, writing the summary. */
export const TIME_LIMIT_MARGIN_S = 60;
/** k6 exit status when a threshold was crossed. */
export const K6_EXIT_THRESHOLDS = 99;
/** k6 exit status after an interrupt signal (it still writes its summary). */
export const K6_EXIT_ABORTED = 105;

const HOW_TO_GET_K6 =
  `install k6 ${SUPPORTED_K6.atLeast}..<${SUPPORTED_K6.below} (npm run bootstrap builds the pinned one into ` +
  `/opt/loadgate/tools/bin) and put it on PATH or set ${K6_PATH_ENV}`;

export interface K6Binary {
  path: string;
  /** e.g. "2.2.0" */
  version: string;
}

export interface LadderProgress {
  phase: string;
  levelIndex: number;
  level: number;
  /** true during a level's unmeasured warm-up */
  warmup: boolean;
  elapsedS: number;
  totalS: number;
  /** the current level's p95 so far, all requests; null in warm-up or before any response */
  p95Ms: number | null;
  /** the current level's share of failed requests so far; null in warm-up or before any */
  errorRate: number | null;
}

export interface RunLadderOptions {
  k6: K6Binary;
  plan: LadderPlan;
  /** the plan, the summary, k6's log (and a user-script wrapper) are written here */
  outDir: string;
  /** a user's own k6 script to run instead of the built-in requests (plan.script must be 'user') */
  userScriptPath?: string;
  /** default: k6-scripts/ladder.ts of this package */
  ladderScriptPath?: string;
  /** aborting stops k6 gracefully (SIGINT, then SIGKILL after stopGraceMs); results are partial */
  signal?: AbortSignal;
  onProgress?: (progress: LadderProgress) => void;
  /**
   * Called once, with `performance.now()`, when k6's scenarios begin (its REST API reports the
   * running state, setup done): the plan's start times count from here. Not called when k6
   * stops before that.
   */
  onStart?: (startedAtMs: number) => void;
  /** default 2000 */
  pollIntervalMs?: number;
  /** time k6 gets after SIGINT to write its summary before SIGKILL; default 15000 */
  stopGraceMs?: number;
  /** wall-clock seconds after which k6 is stopped; default plan.totalS + TIME_LIMIT_MARGIN_S */
  timeLimitS?: number;
  /**
   * Also write every metric sample to this file (k6 `--out csv=…`, gzip when the name ends in
   * .gz): the per-request latencies behind a baseline's spreads (src/baseline/samples.ts).
   */
  samplesPath?: string;
  /** the run's id, in k6's environment: the action's post step finds an orphaned k6 by it */
  runId?: string;
  /**
   * the values of `${env.NAME}` the plan's requests refer to (LoadedConfig.secrets): in k6's
   * environment, where the ladder reads them; the plan file keeps the references
   */
  secrets?: Readonly<Record<string, string>>;
  /** a deployed target's headers: given to k6 in its environment, never written to a file */
  targetHeaders?: Record<string, string>;
  /**
   * Run only this k6 execution segment of every scenario (`--execution-segment`, with the
   * sequence all runners share): VUs and arrival rates split exactly as k6 splits them.
   */
  segment?: { executionSegment: string; executionSegmentSequence: string };
  /**
   * Start the scenarios at this time (ms since the epoch): k6 starts paused, and is resumed
   * through its REST API once it is ready and the time has come, as k6-operator starts its
   * runners together. onResumed says how late that was (0 when on time).
   */
  startAtMs?: number;
  onResumed?: (lateMs: number) => void;
  /**
   * Have the ladder script write this runner's part manifest (PartManifest) beside the summary:
   * a distributed run's share, for `loadgate merge`.
   */
  part?: { path: string; configHash: string };
}

export interface LadderRun {
  levels: LevelLoadResult[];
  /** the run was stopped through `signal`: levels are partial */
  cancelled: boolean;
  /** k6 exited 99; loadgate's own thresholds never fail, so a user script's must have */
  thresholdsCrossed: boolean;
  /** the thresholds k6 found crossed, each `metric: expression` (empty unless thresholdsCrossed) */
  crossedThresholds: string[];
  k6Version: string;
  /** absolute paths */
  files: { plan: string; summary: string; log: string; script: string; samples?: string };
}

/** The version in `k6 version` output ("k6 v2.2.0 (commit/…)"), or null. */
export function parseK6Version(output: string): string | null {
  return /\bk6 v?(\d+\.\d+\.\d+)/.exec(output)?.[1] ?? null;
}

/** Whether loadgate supports this k6 version (SUPPORTED_K6). */
export function isSupportedK6Version(version: string): boolean {
  const v = semver(version);
  return (
    v !== null && compare(v, semver(SUPPORTED_K6.atLeast)) >= 0 && compare(v, semver(SUPPORTED_K6.below)) < 0
  );
}

/**
 * Finds k6 (LOADGATE_K6, then PATH) and checks its version. Throws InfraError, saying how to get
 * a supported k6, when there is none or it is the wrong version.
 */
export async function locateK6(env: NodeJS.ProcessEnv = process.env): Promise<K6Binary> {
  const path = env[K6_PATH_ENV] || (await findOnPath('k6', env.PATH ?? ''));
  if (!path) throw new InfraError(`k6 not found: ${HOW_TO_GET_K6}`);
  let output: string;
  try {
    output = (await promisify(execFile)(path, ['version'], { timeout: 15_000 })).stdout;
  } catch (error) {
    throw new InfraError(
      `k6 at ${path} did not run (${(error as Error).message.split('\n')[0]}): ${HOW_TO_GET_K6}`,
      {
        cause: error,
      },
    );
  }
  const version = parseK6Version(output);
  if (version === null || !isSupportedK6Version(version)) {
    throw new InfraError(
      `k6 at ${path} is ${version ?? 'of unknown version'}, not supported: ${HOW_TO_GET_K6}`,
    );
  }
  return { path, version };
}

/** The built-in ladder script: beside the sources in a checkout, beside dist/ when bundled. */
export function defaultLadderScriptPath(): string {
  const candidates = ['../../k6-scripts/ladder.ts', '../k6-scripts/ladder.ts'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new InfraError(`the ladder script is missing (looked at ${candidates.join(', ')})`);
  return found;
}

/**
 * Runs the ladder plan with k6 and returns per-level results. Bounded: k6 is stopped once the
 * plan's duration plus a margin has passed (then InfraError). Exit 0 and 99 (thresholds) are
 * results, as is a stop through `signal` (cancelled, partial); any other exit is an InfraError
 * carrying the end of k6's log.
 */
export async function runLadder(options: RunLadderOptions): Promise<LadderRun> {
  const { k6, plan } = options;
  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  const files = {
    plan: join(outDir, 'k6-plan.json'),
    summary: join(outDir, 'k6-summary.json'),
    log: join(outDir, 'k6.log'),
    script: options.ladderScriptPath ? resolve(options.ladderScriptPath) : defaultLadderScriptPath(),
  };
  await writeFile(files.plan, `${JSON.stringify(plan, null, 2)}\n`);
  if (options.userScriptPath !== undefined) {
    if (plan.script !== 'user') throw new InfraError('a user script needs a plan built with userScript');
    const wrapper = join(outDir, 'k6-user-wrapper.js');
    await writeFile(
      wrapper,
      renderUserScriptWrapper(fileUrl(files.script), fileUrl(resolve(options.userScriptPath))),
    );
    files.script = wrapper;
  }

  const samples = options.samplesPath !== undefined ? resolve(options.samplesPath) : undefined;
  // k6 reads `csv=a=b,c=d` as options: a plain file name must have neither
  if (samples !== undefined && /[=,]/.test(samples)) {
    throw new InfraError(`the samples file's path may not contain '=' or ',': ${samples}`);
  }
  const waitS = options.startAtMs !== undefined ? Math.max(0, (options.startAtMs - Date.now()) / 1000) : 0;
  const limitS = options.timeLimitS ?? plan.totalS + TIME_LIMIT_MARGIN_S + waitS;
  // A limit past setTimeout's range would fire at once and stop k6 at its start: refused before
  // k6 starts (the config's bounds keep a plan far below it).
  if (!(limitS * 1000 <= MAX_TIMER_MS)) {
    throw new InfraError(
      `k6's time limit of ${limitS} s is beyond what a timer can wait (${MAX_TIMER_MS} ms)`,
    );
  }
  const port = await freePort();
  // With secrets about, k6's output is redacted on its way to the log (a request's URL in a
  // warning may carry one); otherwise k6 writes its log itself, which outlives a killed loadgate.
  const redacting = hasSecrets();
  const log = await open(files.log, 'w');
  const child = spawn(
    k6.path,
    [
      'run',
      '--no-color',
      '--quiet',
      '--no-usage-report',
      '--address',
      `127.0.0.1:${port}`,
      ...(samples !== undefined ? ['--out', `csv=${samples}`] : []),
      ...(options.segment
        ? [
            '--execution-segment',
            options.segment.executionSegment,
            '--execution-segment-sequence',
            options.segment.executionSegmentSequence,
          ]
        : []),
      ...(options.startAtMs !== undefined ? ['--paused'] : []),
      files.script,
    ],
    {
      env: {
        // the runner's tokens stay out of reach of a user's script
        ...withoutRunnerTokens(k6FreeEnv(process.env)),
        ...options.secrets,
        [LADDER_ENV.plan]: files.plan,
        [LADDER_ENV.summary]: files.summary,
        [LADDER_ENV.baseUrl]: plan.baseUrl,
        ...(options.runId ? { [K6_RUN_ID_ENV]: options.runId } : {}),
        ...(options.targetHeaders
          ? { [LADDER_ENV.targetHeaders]: JSON.stringify(options.targetHeaders) }
          : {}),
        ...(options.part
          ? {
              [LADDER_ENV.part]: resolve(options.part.path),
              [LADDER_ENV.configHash]: options.part.configHash,
              [LADDER_ENV.k6Version]: k6.version,
              [LADDER_ENV.samplesFile]: samples ?? '',
            }
          : {}),
      },
      stdio: ['ignore', redacting ? 'pipe' : log.fd, redacting ? 'pipe' : log.fd],
      // Its own process group: a Ctrl-C on the terminal reaches loadgate only, which then sends
      // k6 exactly one SIGINT (a second one would stop k6 before it writes its summary).
      detached: true,
    },
  );
  const logCopied = redacting ? copyRedacted([child.stdout, child.stderr], log) : Promise.resolve();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (done) => {
      child.once('error', (error) => done({ code: null, signal: null, error }));
      child.once('exit', (code, signal) => done({ code, signal }));
    },
  );

  let cancelled = false;
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (child.exitCode !== null || child.signalCode !== null || killTimer) return;
    child.kill('SIGINT');
    killTimer = boundedTimeout(() => child.kill('SIGKILL'), options.stopGraceMs ?? 15_000);
  };
  const onAbort = () => {
    cancelled = true;
    stop();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const limitTimer = boundedTimeout(() => {
    timedOut = true;
    stop();
  }, limitS * 1000);
  // Progress counts from the scenarios' start, which a user script's setup() may delay by seconds.
  let scenariosStartedAtMs: number | null = null;
  const startWatch =
    options.onStart || options.onProgress
      ? watchForStart(port, (startedAtMs) => {
          scenariosStartedAtMs = startedAtMs;
          options.onStart?.(startedAtMs);
        })
      : undefined;
  const poller = options.onProgress
    ? startProgressPolling(
        port,
        plan,
        () => scenariosStartedAtMs,
        options.onProgress,
        options.pollIntervalMs ?? 2000,
      )
    : undefined;
  const resumer =
    options.startAtMs !== undefined ? resumeAt(port, options.startAtMs, options.onResumed) : undefined;

  let result: Awaited<typeof exited>;
  try {
    result = await exited;
  } finally {
    poller?.stop();
    startWatch?.stop();
    resumer?.stop();
    clearTimeout(limitTimer);
    clearTimeout(killTimer);
    options.signal?.removeEventListener('abort', onAbort);
    await logCopied;
    await log.close();
  }

  if (result.error) throw new InfraError(`k6 could not be started (${k6.path}): ${result.error.message}`);
  if (timedOut) {
    throw new InfraError(
      `k6 ran past its time limit of ${limitS} s and was stopped${await logTail(files.log)}`,
    );
  }
  const thresholdsCrossed = result.code === K6_EXIT_THRESHOLDS;
  const expectedExit =
    result.code === 0 || thresholdsCrossed || (cancelled && result.code === K6_EXIT_ABORTED);
  if (!expectedExit) {
    const how = result.code !== null ? `exited with ${result.code}` : `was killed by ${result.signal}`;
    throw new InfraError(`k6 ${how}${await logTail(files.log)}`);
  }
  let text: string;
  try {
    text = await readFile(files.summary, 'utf8');
  } catch (error) {
    throw new InfraError(`k6 wrote no summary to ${files.summary}${await logTail(files.log)}`, {
      cause: error,
    });
  }
  const redacted = redact(text);
  if (redacted !== text) await writeFile(files.summary, redacted);
  return {
    levels: parseLadderSummary(text, plan),
    cancelled,
    thresholdsCrossed,
    crossedThresholds: thresholdsCrossed ? crossedThresholds(text) : [],
    k6Version: k6.version,
    files: { ...files, ...(samples !== undefined ? { samples } : {}) },
  };
}

/**
 * Polls k6's REST API. k6 v2 keeps a submetric live when a threshold names it, so the current
 * level's p95 and failed share are read from `http_req_duration{scenario:…}` and
 * `http_req_failed{scenario:…}`. Elapsed time counts from the scenarios' start (watchForStart);
 * k6's own clocks (the `iterations` rate) include setup(), which put a script with a slow setup
 * levels ahead of itself (a level shown before it had any response: "p95 —").
 */
function startProgressPolling(
  port: number,
  plan: LadderPlan,
  scenariosStartedAtMs: () => number | null,
  onProgress: (progress: LadderProgress) => void,
  intervalMs: number,
): { stop(): void } {
  const base = `http://127.0.0.1:${port}/v1/metrics/`;
  const sample = async (id: string): Promise<Record<string, number> | null> => {
    try {
      const res = await fetch(base + encodeURIComponent(id), { signal: AbortSignal.timeout(intervalMs) });
      if (!res.ok) return null;
      const body = (await res.json()) as { data?: { attributes?: { sample?: Record<string, number> } } };
      return body.data?.attributes?.sample ?? null;
    } catch {
      return null; // not listening yet, or already gone
    }
  };
  let busy = false;
  let stopped = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const startedAtMs = scenariosStartedAtMs();
      if (stopped || startedAtMs === null) return;
      const elapsedS = (performance.now() - startedAtMs) / 1000;
      const scenario = scenarioAt(plan, elapsedS);
      if (!scenario) return;
      let p95Ms: number | null = null;
      let errorRate: number | null = null;
      if (scenario.measured) {
        const duration = await sample(submetric('http_req_duration', scenario.name, null));
        const failed = await sample(submetric('http_req_failed', scenario.name, null));
        const seen = duration !== null && (duration.max ?? 0) > 0;
        p95Ms = seen ? (duration['p(95)'] ?? null) : null;
        errorRate = failed && seen ? (failed.rate ?? null) : null;
      }
      if (stopped) return;
      onProgress({
        phase: scenario.phase,
        levelIndex: scenario.levelIndex,
        level: scenario.level,
        warmup: !scenario.measured,
        elapsedS: Math.min(elapsedS, plan.totalS),
        totalS: plan.totalS,
        p95Ms,
        errorRate,
      });
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/**
 * k6's execution states (lib.ExecutionStatus) from the scenarios' start to the end of the run:
 * Running, Teardown, Ended. Interrupted (10) is left out: it may come before anything ran.
 */
export const K6_STATUS_RUNNING = 7;
const K6_STATUS_ENDED = 9;
/** How often the REST API is asked whether the scenarios began: the error of the ladder's start time. */
const START_POLL_MS = 50;

/**
 * Polls k6's status until its scenarios run, then calls onStart with the time of the answer
 * (the error is at most one poll interval plus one local round trip).
 */
function watchForStart(port: number, onStart: (startedAtMs: number) => void): { stop(): void } {
  let stopped = false;
  const url = `http://127.0.0.1:${port}/v1/status`;
  const poll = async () => {
    while (!stopped) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        if (res.ok) {
          const body = (await res.json()) as {
            data?: { attributes?: { status?: number; running?: boolean } };
          };
          const attributes = body.data?.attributes;
          const running =
            attributes?.status !== undefined
              ? attributes.status >= K6_STATUS_RUNNING && attributes.status <= K6_STATUS_ENDED
              : attributes?.running === true;
          if (running && !stopped) {
            stopped = true;
            onStart(performance.now());
            return;
          }
        }
      } catch {
        // not listening yet
      }
      await new Promise((done) => setTimeout(done, START_POLL_MS));
    }
  };
  void poll();
  return {
    stop() {
      stopped = true;
    },
  };
}

/** Copies k6's output into its log line by line, every secret value redacted. */
async function copyRedacted(
  sources: (Readable | null)[],
  log: Awaited<ReturnType<typeof open>>,
): Promise<void> {
  await Promise.all(
    sources.map(async (source) => {
      if (!source) return;
      for await (const chunk of source.pipe(redactingLines())) await log.write(chunk as string);
    }),
  );
}

/** How often a paused k6 is asked whether it is ready to be resumed. */
const RESUME_POLL_MS = 50;

/**
 * Resumes a k6 started with --paused at `startAtMs` (ms since the epoch), once its REST API
 * answers: as soon as it is ready when the time has passed already. Reports how late it was.
 */
function resumeAt(port: number, startAtMs: number, onResumed?: (lateMs: number) => void): { stop(): void } {
  let stopped = false;
  const url = `http://127.0.0.1:${port}/v1/status`;
  const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
  const run = async () => {
    // Sleep most of the way, then poll the clock closely: timers may fire late on a busy runner.
    while (!stopped && Date.now() < startAtMs) await sleep(Math.min(RESUME_POLL_MS, startAtMs - Date.now()));
    // k6 refuses to resume until its VUs are initialized: ask again until it has
    while (!stopped) {
      const lateMs = Math.max(0, Date.now() - startAtMs);
      try {
        const res = await fetch(url, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ data: { type: 'status', id: 'default', attributes: { paused: false } } }),
          signal: AbortSignal.timeout(5000),
        });
        const body = res.ok ? ((await res.json()) as { data?: { attributes?: { paused?: boolean } } }) : null;
        if (body?.data?.attributes?.paused === false) {
          onResumed?.(lateMs);
          return;
        }
      } catch {
        // gone (stopped or failed: its exit says why), or not answering yet
      }
      await sleep(RESUME_POLL_MS);
    }
  };
  void run();
  return {
    stop() {
      stopped = true;
    },
  };
}

/** The environment without K6_* variables: they would override the ladder's own options. */
function k6FreeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('K6_')));
}

async function logTail(path: string, lines = 20): Promise<string> {
  try {
    const text = (await tailFile(path, lines)).trimEnd();
    if (text === '') return ' (its log is empty)';
    return `; the end of its log (${path}):\n${text}`;
  } catch {
    return '';
  }
}

async function findOnPath(name: string, pathVar: string): Promise<string | null> {
  for (const dir of pathVar.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

function fileUrl(path: string): string {
  return pathToFileURL(path).href;
}

function semver(v: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function compare(a: [number, number, number] | null, b: [number, number, number] | null): number {
  if (!a || !b) return Number.NaN;
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}
