/**
 * The contract between the ladder script (k6-scripts/ladder.ts, run by k6) and the runner
 * (src/load, run by Node): the plan file's shape, the environment variables, the metric and
 * scenario names. Both sides import this one file, so they cannot drift apart. It must stay
 * free of imports: k6 and Node each load it as it is.
 */

/** The environment variables the ladder script reads; the runner sets them. */
export const LADDER_ENV = {
  /** path of the plan JSON (LadderPlan below); required */
  plan: 'LOADGATE_PLAN',
  /** path where handleSummary writes k6's full summary JSON; required */
  summary: 'LOADGATE_SUMMARY',
  /** the service's URL (http://127.0.0.1:<port>): a user's own script sends its requests here */
  baseUrl: 'LOADGATE_BASE_URL',
  /**
   * a deployed target's headers as a JSON object, added to every request and probe (a request's
   * own header of the same name wins); kept out of the plan file, which is saved with the results
   */
  targetHeaders: 'LOADGATE_TARGET_HEADERS',
  /** where handleSummary writes this runner's part manifest (PartManifest); unset: none */
  part: 'LOADGATE_PART',
  /** for the part manifest: the config's hash, the samples file's name, k6's version and the run's id */
  configHash: 'LOADGATE_CONFIG_HASH',
  samplesFile: 'LOADGATE_SAMPLES_FILE',
  k6Version: 'LOADGATE_K6_VERSION',
  runId: 'LOADGATE_RUN_ID',
} as const;

/**
 * Gauge: the ladder's start by k6's own clock (ms since the epoch), reported once per VU and
 * scenario as the scenario's start minus its offset in the plan; its minimum is when this k6's
 * ladder began. Parts of one distributed run must have begun together.
 */
export const LADDER_START_METRIC = 'loadgate_ladder_start_ms';

/** The field handleSummary adds to k6's summary data: which execution segment this k6 ran. */
export const SUMMARY_SEGMENT_FIELD = 'loadgateSegment';
export interface SummarySegment {
  /** k6's executionSegment, e.g. "1/3:2/3"; null when k6 ran the whole test */
  executionSegment: string | null;
  executionSegmentSequence: string | null;
}

export const PART_VERSION = 1;

/**
 * One runner's share of a distributed run (`loadgate run --segment i/N`, or a k6-operator
 * runner): written beside its k6 summary and samples, read by `loadgate merge`.
 */
export interface PartManifest extends SummarySegment {
  partVersion: typeof PART_VERSION;
  /** the hash of the normalized config the plan came from: every part of a run has the same */
  configHash: string;
  plan: LadderPlan;
  /** when this k6's ladder began (LADDER_START_METRIC's minimum); null when no scenario ran */
  startedAtMs: number | null;
  k6Version: string | null;
  runId: string | null;
  /** the runner was stopped before its ladder ended: its part is partial, and so is the merge */
  partial: boolean;
  /** why it is partial, one line */
  problem: string | null;
  /** beside this manifest: k6's summary (handleSummary) and its samples (`--out csv=…`) */
  files: { summary: string; samples: string };
}

/** Custom counter: one sample per failed request, tagged `outcome` (one of OUTCOMES). */
export const FAILURE_METRIC = 'loadgate_failures';
export const OUTCOMES = ['timeout', 'connection', 'http5xx', 'http4xx', 'other'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** k6 error_code of a request that ran out of its `timeout` (lib/netext/httpext/error_codes.go). */
export const K6_REQUEST_TIMEOUT_CODE = 1050;

/**
 * User scripts have no loadgate_failures counter: their 5xx responses are counted from the
 * built-in http_reqs submetric per status, for these statuses (the ones servers send).
 */
export const USER_SCRIPT_5XX_STATUSES = [500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511] as const;

/** Tag names and values become submetric selectors, which split on `,` `:` `{` `}`. */
export const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

export function measuredScenarioName(phase: string, levelIndex: number): string {
  return `${phase}__L${levelIndex}`;
}

export function warmupScenarioName(phase: string, levelIndex: number): string {
  return `${phase}__W${levelIndex}`;
}

/** The probe scenario beside the measured level `<phase>__L<levelIndex>`. */
export function probeScenarioName(phase: string, levelIndex: number): string {
  return `${phase}__P${levelIndex}`;
}

/** The probe scenario that runs alone before the ladder, against the idle service. */
export const IDLE_PROBE_SCENARIO = 'idle__P';

/**
 * The VU tag naming a request's time slice within a phase whose recovery is measured: the
 * index of the `bucketS`-long slice in which its iteration started, counted from the phase's start.
 */
export const TIME_BUCKET_TAG = 'sec';

/** A submetric selected by tags alone (no scenario), spelled as k6 spells it in the summary. */
export function tagSubmetric(metric: string, tags: Record<string, string | number>): string {
  return `${metric}{${Object.entries(tags)
    .map(([key, value]) => `${key}:${value}`)
    .join(',')}}`;
}

/** One time slice of a phase's timeline: the main requests started in it (probes excluded). */
export function timelineSubmetric(metric: string, phase: string, bucket: number): string {
  return tagSubmetric(metric, { phase, [TIME_BUCKET_TAG]: bucket });
}

/**
 * The submetric of `metric` for one measured scenario, optionally one request and more tags,
 * spelled exactly as the ladder declares it in its thresholds and as it appears in the summary.
 */
export function submetric(
  metric: string,
  scenario: string,
  req: string | null,
  extra: Record<string, string | number> = {},
): string {
  const tags = [`scenario:${scenario}`];
  if (req !== null) tags.push(`req:${req}`);
  for (const [key, value] of Object.entries(extra)) tags.push(`${key}:${value}`);
  return `${metric}{${tags.join(',')}}`;
}

/**
 * The ladder's thresholds with a user script's own added: both apply, so a threshold of the
 * user's that is crossed still makes k6 exit 99. Where both name one metric, the user's
 * expressions follow the ladder's. Anything but an object of thresholds adds nothing.
 */
export function mergeThresholds<T>(ladder: Record<string, T[]>, user: unknown): Record<string, T[]> {
  const merged: Record<string, T[]> = { ...ladder };
  if (user === null || typeof user !== 'object' || Array.isArray(user)) return merged;
  for (const [metric, value] of Object.entries(user as Record<string, T | T[]>)) {
    const expressions = Array.isArray(value) ? value : [value];
    merged[metric] = [...(merged[metric] ?? []), ...expressions];
  }
  return merged;
}

/** The trend statistics the summary carries, p(99) included (it is not in k6's default). */
export const SUMMARY_TREND_STATS = ['count', 'min', 'med', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'max'];

export type PlanLoadModel = 'closed' | 'open';

/** One built-in request the ladder sends, picked at random in proportion to its weight. */
export interface PlanRequest {
  /** tag `req` on every metric; safe for submetric selectors: [A-Za-z0-9_.-]+ */
  name: string;
  method: string;
  /** the full URL requested: baseUrl + path, or path itself when it is an absolute URL */
  url: string;
  weight: number;
  headers: Record<string, string>;
  body: string | null;
  /** the one status that counts as success; null: any 2xx or 3xx */
  expectStatus: number | null;
}

/** One k6 scenario of the ladder, precomputed so the script and the runner share one schedule. */
export interface PlanScenario {
  /** `<phase>__W<levelIndex>` (warm-up) or `<phase>__L<levelIndex>` (measured) */
  name: string;
  phase: string;
  levelIndex: number;
  /** VUs (closed model) or arrivals per second (open model) */
  level: number;
  measured: boolean;
  startS: number;
  durationS: number;
  gracefulStopS: number;
  /** open model only: VUs k6 may use for this scenario; null in the closed model */
  maxVUs: number | null;
}

/** One probe scenario: the probe request at a constant low rate, beside a level or alone. */
export interface ProbeScenario {
  /** `<phase>__P<levelIndex>` beside a measured level, or IDLE_PROBE_SCENARIO */
  name: string;
  /** the phase and level index of the measured level it runs beside; null for the idle probe */
  phase: string | null;
  levelIndex: number | null;
  startS: number;
  durationS: number;
  gracefulStopS: number;
}

/** The blocking detector's cheap request, sent at a constant arrival rate in scenarios of its own. */
export interface PlanProbe {
  /** the full URL, always GET */
  url: string;
  ratePerS: number;
  /** VUs each probe scenario may use: enough to keep the rate while requests wait out the timeout */
  maxVUs: number;
  scenarios: ProbeScenario[];
}

/** When a phase runs: from its first scenario's start to its last measured level's end. */
export interface PhaseWindow {
  phase: string;
  startS: number;
  endS: number;
}

/** A phase whose requests are tagged with their time slice (TIME_BUCKET_TAG), for recovery. */
export interface PlanTimeline {
  phase: string;
  /** the phase's start, seconds from the ladder's start */
  startS: number;
  bucketS: number;
  /** slices 0..buckets-1 cover the phase; a later request counts in the last */
  buckets: number;
}

export interface LadderPlan {
  planVersion: 1;
  /** 'builtin': the ladder sends `requests`; 'user': a user's script drives the load */
  script: 'builtin' | 'user';
  baseUrl: string;
  model: PlanLoadModel;
  levels: number[];
  levelDurationS: number;
  warmupS: number;
  requestTimeoutMs: number;
  phases: string[];
  /** empty when script is 'user' */
  requests: PlanRequest[];
  /**
   * The `req` tag values results are sliced by. Built-in: the request names. User script: the
   * names it tags its requests with (`tags: { req: 'name' }`); empty means one slice per level.
   */
  requestNames: string[];
  scenarios: PlanScenario[];
  /** seconds from the first scenario's start until the last one must have ended */
  totalS: number;
  /** the blocking detector; absent or null: no probe runs (plans written before it had none) */
  probe?: PlanProbe | null;
  /** when each phase runs, in order; absent in plans written before phases had windows */
  phaseWindows?: PhaseWindow[];
  /** phases whose requests carry their time slice; absent or empty: none */
  timelines?: PlanTimeline[];
}
