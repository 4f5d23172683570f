import {
  IDLE_PROBE_SCENARIO,
  LADDER_ENV,
  type LadderPlan,
  measuredScenarioName,
  type PhaseWindow,
  type PlanProbe,
  type PlanRequest,
  type PlanScenario,
  type PlanTimeline,
  type ProbeScenario,
  probeScenarioName,
  SAFE_NAME,
  warmupScenarioName,
} from '../../k6-scripts/contract.ts';
import { DERIVED_MAX_VUS } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { LoadModel } from '../result/schema.ts';

export type {
  LadderPlan,
  PhaseWindow,
  PlanProbe,
  PlanRequest,
  PlanScenario,
  PlanTimeline,
  ProbeScenario,
} from '../../k6-scripts/contract.ts';
/** The environment variables of the ladder script, named once (k6-scripts/contract.ts). */
export { LADDER_ENV };

/** The phase a plan runs when the input names none. */
export const DEFAULT_PHASE = 'clean';
/** Name of the one request slice when a user's script tags no `req` names. */
export const ALL_REQUESTS = 'all';
/**
 * Seconds a measured level may run past its end so that requests still in flight finish (or
 * time out) and are counted; added to the request timeout.
 */
export const DRAIN_MARGIN_S = 0.5;
/** The most VUs a probe scenario may use, whatever its rate and timeout. */
export const PROBE_MAX_VUS_CAP = 100;
/** Default length of a timeline's time slice, seconds. */
export const DEFAULT_TIMELINE_BUCKET_S = 1;

const ABSOLUTE_URL = /^https?:\/\/[^/]+/;

export interface LadderRequestInput {
  /** [A-Za-z0-9_.-]+ : it becomes a metric tag */
  name: string;
  /** default GET */
  method?: string;
  /** appended to baseUrl (starts with '/'), or an absolute http(s) URL (another port, say) */
  path: string;
  /** relative share of iterations; default 1 */
  weight?: number;
  headers?: Record<string, string>;
  body?: string | null;
  /** the one status that counts as success; default any 2xx or 3xx */
  expectStatus?: number | null;
}

export interface LadderPlanInput {
  baseUrl: string;
  model: LoadModel;
  /** VUs (closed) or arrivals per second (open), each a positive integer */
  levels: readonly number[];
  levelDurationS: number;
  /** unmeasured time before each level; 0 for none */
  warmupS: number;
  requestTimeoutMs: number;
  /** open model: VUs per level at most */
  maxVUs?: number;
  /** the built-in requests; ignored when userScript is set */
  requests: readonly LadderRequestInput[];
  /** the ladder runs once per phase, in this order; default ['clean'] */
  phases?: readonly string[];
  /**
   * The blocking detector: GET `path` at a constant `ratePerS` beside every measured level, and
   * alone for `idleS` before the ladder starts (0: no idle probe).
   */
  probe?: { path: string; ratePerS: number; idleS: number };
  /** phases whose requests are tagged with their time slice (recovery is judged from it) */
  timelinePhases?: readonly string[];
  /** the time slice's length, seconds; default DEFAULT_TIMELINE_BUCKET_S */
  timelineBucketS?: number;
  /**
   * A user's own k6 script drives the load. requestNames: the `req` tag values it sets, to
   * slice results by; none → one result per level named 'all'.
   */
  userScript?: { requestNames?: readonly string[] };
}

/**
 * The plan file for the ladder script: validated input plus the precomputed schedule of
 * scenarios, so k6 and the runner agree on every start time. Throws ConfigError listing every
 * problem.
 */
export function buildLadderPlan(input: LadderPlanInput): LadderPlan {
  const problems = planProblems(input);
  if (problems.length > 0) throw new ConfigError(`invalid load plan: ${problems.join('; ')}`, problems);

  const phases = input.phases && input.phases.length > 0 ? [...input.phases] : [DEFAULT_PHASE];
  const user = input.userScript !== undefined;
  const baseUrl = input.baseUrl.replace(/\/+$/, '');
  const requests: PlanRequest[] = user
    ? []
    : input.requests.map((r) => ({
        name: r.name,
        method: (r.method ?? 'GET').toUpperCase(),
        url: ABSOLUTE_URL.test(r.path) ? r.path : baseUrl + r.path,
        weight: r.weight ?? 1,
        headers: { ...r.headers },
        body: r.body ?? null,
        expectStatus: r.expectStatus ?? null,
      }));
  const requestNames = user ? [...(input.userScript?.requestNames ?? [])] : requests.map((r) => r.name);

  const drainS = roundS(input.requestTimeoutMs / 1000 + DRAIN_MARGIN_S);
  const scenarios: PlanScenario[] = [];
  const probes: ProbeScenario[] = [];
  const phaseWindows: PhaseWindow[] = [];
  let t = 0;
  if (input.probe && input.probe.idleS > 0) {
    // Before any load: what the probe costs on an idle service.
    probes.push({
      name: IDLE_PROBE_SCENARIO,
      phase: null,
      levelIndex: null,
      startS: 0,
      durationS: input.probe.idleS,
      gracefulStopS: 0,
    });
    t = roundS(input.probe.idleS);
  }
  phases.forEach((phase, phaseIndex) => {
    // Between phases nothing runs until the last level's requests have drained: faults switch
    // at a phase's start, and must not reach requests the previous phase measures.
    if (phaseIndex > 0) t = roundS(t + drainS);
    const phaseStartS = t;
    input.levels.forEach((level, levelIndex) => {
      const maxVUs = input.model === 'open' ? openMaxVUs(input, level) : null;
      const common = { phase, levelIndex, level, maxVUs };
      if (input.warmupS > 0) {
        // Cut off at its end (no graceful stop) so it never overlaps the measured level.
        scenarios.push({
          ...common,
          name: warmupScenarioName(phase, levelIndex),
          measured: false,
          startS: t,
          durationS: input.warmupS,
          gracefulStopS: 0,
        });
        t = roundS(t + input.warmupS);
      }
      // In-flight requests drain during the next warm-up, which nobody measures.
      scenarios.push({
        ...common,
        name: measuredScenarioName(phase, levelIndex),
        measured: true,
        startS: t,
        durationS: input.levelDurationS,
        gracefulStopS: drainS,
      });
      if (input.probe) {
        probes.push({
          name: probeScenarioName(phase, levelIndex),
          phase,
          levelIndex,
          startS: t,
          durationS: input.levelDurationS,
          gracefulStopS: drainS,
        });
      }
      t = roundS(t + input.levelDurationS);
    });
    phaseWindows.push({ phase, startS: phaseStartS, endS: t });
  });
  const probe: PlanProbe | null = input.probe
    ? {
        url: ABSOLUTE_URL.test(input.probe.path) ? input.probe.path : baseUrl + input.probe.path,
        ratePerS: input.probe.ratePerS,
        maxVUs: Math.min(
          PROBE_MAX_VUS_CAP,
          Math.max(2, Math.ceil((input.probe.ratePerS * input.requestTimeoutMs) / 1000) + 1),
        ),
        scenarios: probes,
      }
    : null;
  const bucketS = input.timelineBucketS ?? DEFAULT_TIMELINE_BUCKET_S;
  const timelines: PlanTimeline[] = phaseWindows
    .filter((w) => input.timelinePhases?.includes(w.phase))
    .map((w) => ({
      phase: w.phase,
      startS: w.startS,
      bucketS,
      buckets: Math.max(1, Math.ceil(roundS((w.endS - w.startS) / bucketS))),
    }));

  return {
    planVersion: 1,
    script: user ? 'user' : 'builtin',
    baseUrl,
    model: input.model,
    levels: [...input.levels],
    levelDurationS: input.levelDurationS,
    warmupS: input.warmupS,
    requestTimeoutMs: input.requestTimeoutMs,
    phases,
    requests,
    requestNames,
    scenarios,
    totalS: Math.max(planDurationS(scenarios), planDurationS(probes)),
    probe,
    phaseWindows,
    timelines,
  };
}

/**
 * Seconds the ladder takes as buildLadderPlan lays it out (the idle probe, then per phase a drain
 * after the first and each level's warm-up and measured time, then the last drain), from counts
 * alone: a config is bounded by it before any plan is built.
 */
export function ladderDurationS(shape: {
  levelCount: number;
  phaseCount: number;
  levelDurationS: number;
  warmupS: number;
  requestTimeoutMs: number;
  probeIdleS?: number;
}): number {
  const drainS = roundS(shape.requestTimeoutMs / 1000 + DRAIN_MARGIN_S);
  const perPhaseS = shape.levelCount * (shape.warmupS + shape.levelDurationS);
  return roundS((shape.probeIdleS ?? 0) + shape.phaseCount * (perPhaseS + drainS));
}

/** Seconds from the ladder's start until its last scenario must have ended, drain included. */
export function planDurationS(
  scenarios: readonly Pick<PlanScenario, 'startS' | 'durationS' | 'gracefulStopS'>[],
): number {
  return roundS(Math.max(0, ...scenarios.map((s) => s.startS + s.durationS + s.gracefulStopS)));
}

/** The scenario running `elapsedS` into the ladder (the last one once it is over). */
export function scenarioAt(plan: LadderPlan, elapsedS: number): PlanScenario | undefined {
  let current: PlanScenario | undefined;
  for (const s of plan.scenarios) if (s.startS <= elapsedS) current = s;
  return current;
}

/**
 * A k6 script that runs a user's own default function under the ladder: the ladder's options
 * (scenarios, thresholds) with the user's own thresholds added, the ladder's handleSummary, the
 * user's setup, default and teardown. The rest of the user's `options` is not used: the ladder
 * decides the load. Paths should be absolute.
 */
export function renderUserScriptWrapper(ladderScriptPath: string, userScriptPath: string): string {
  return [
    '// Generated by loadgate: runs your script under the load ladder.',
    `import * as user from ${JSON.stringify(userScriptPath)};`,
    `export { handleSummary, probe } from ${JSON.stringify(ladderScriptPath)};`,
    `import { markLadderStart, markTimeBucket, optionsWithUserThresholds } from ${JSON.stringify(ladderScriptPath)};`,
    '',
    '// the ladder decides the load; your thresholds still apply (crossed: k6 exits 99)',
    'export const options = optionsWithUserThresholds(user.options);',
    '',
    'export function setup() {',
    "  return typeof user.setup === 'function' ? user.setup() : undefined;",
    '}',
    'export default function (data) {',
    '  markLadderStart();',
    '  markTimeBucket();',
    '  return user.default(data);',
    '}',
    'export function teardown(data) {',
    "  if (typeof user.teardown === 'function') user.teardown(data);",
    '}',
    '',
  ].join('\n');
}

function openMaxVUs(input: LadderPlanInput, level: number): number {
  if (input.maxVUs !== undefined) return input.maxVUs;
  // enough VUs to wait out the timeout at the level's rate, within the config's own bound
  return Math.min(DERIVED_MAX_VUS.max, Math.max(1, Math.ceil((level * input.requestTimeoutMs) / 1000)));
}

function planProblems(input: LadderPlanInput): string[] {
  const problems: string[] = [];
  const positive = (value: number, path: string) => {
    if (!Number.isFinite(value) || value <= 0) problems.push(`${path}: must be a positive number`);
  };
  if (!ABSOLUTE_URL.test(input.baseUrl)) problems.push('baseUrl: must be an http:// or https:// URL');
  if (input.levels.length === 0) problems.push('levels: at least one level is needed');
  input.levels.forEach((level, i) => {
    if (!Number.isInteger(level) || level <= 0) problems.push(`levels[${i}]: must be a positive integer`);
  });
  positive(input.levelDurationS, 'levelDurationS');
  if (!Number.isFinite(input.warmupS) || input.warmupS < 0) problems.push('warmupS: must be 0 or more');
  positive(input.requestTimeoutMs, 'requestTimeoutMs');
  if (input.maxVUs !== undefined && (!Number.isInteger(input.maxVUs) || input.maxVUs <= 0)) {
    problems.push('maxVUs: must be a positive integer');
  }
  names(input.phases ?? [], 'phases', problems);
  if (input.probe !== undefined) {
    if (!input.probe.path.startsWith('/') && !ABSOLUTE_URL.test(input.probe.path))
      problems.push("probe.path: must start with '/' or be an http(s) URL");
    positive(input.probe.ratePerS, 'probe.ratePerS');
    if (!Number.isFinite(input.probe.idleS) || input.probe.idleS < 0)
      problems.push('probe.idleS: must be 0 or more');
  }
  const phaseList = input.phases && input.phases.length > 0 ? input.phases : [DEFAULT_PHASE];
  (input.timelinePhases ?? []).forEach((phase, i) => {
    if (!phaseList.includes(phase))
      problems.push(`timelinePhases[${i}]: '${phase}' is not one of the phases`);
  });
  if (input.timelineBucketS !== undefined) positive(input.timelineBucketS, 'timelineBucketS');
  if (input.userScript !== undefined) {
    names(input.userScript.requestNames ?? [], 'userScript.requestNames', problems);
    return problems;
  }
  if (input.requests.length === 0) problems.push('requests: at least one request is needed');
  names(
    input.requests.map((r) => r.name),
    'requests',
    problems,
  );
  input.requests.forEach((r, i) => {
    if (!r.path.startsWith('/') && !ABSOLUTE_URL.test(r.path)) {
      problems.push(`requests[${i}].path: must start with '/' or be an http(s) URL`);
    }
    if (r.weight !== undefined) positive(r.weight, `requests[${i}].weight`);
    const status = r.expectStatus;
    if (
      status !== undefined &&
      status !== null &&
      !(Number.isInteger(status) && status >= 100 && status < 600)
    ) {
      problems.push(`requests[${i}].expectStatus: must be an HTTP status (100..599)`);
    }
  });
  return problems;
}

function names(list: readonly string[], path: string, problems: string[]): void {
  const seen = new Set<string>();
  list.forEach((name, i) => {
    if (!SAFE_NAME.test(name))
      problems.push(`${path}[${i}]: '${name}' may hold only letters, digits, '_', '.', '-'`);
    // a phase's '__' would blur the scenario name `<phase>__L<i>`
    else if (path === 'phases' && name.includes('__'))
      problems.push(`${path}[${i}]: '${name}' may not contain '__'`);
    if (seen.has(name)) problems.push(`${path}[${i}]: '${name}' appears twice`);
    seen.add(name);
  });
}

/** Millisecond precision keeps k6 durations like "2.5s" readable and sums exact. */
function roundS(s: number): number {
  return Math.round(s * 1000) / 1000;
}
