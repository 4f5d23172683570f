/*
 * loadgate's built-in ladder: drives a service through rising load levels, one k6 scenario per
 * level, and leaves per level × per request results in the handleSummary JSON.
 *
 * Environment (the runner sets these; names also in contract.ts → LADDER_ENV):
 *   LOADGATE_PLAN     path of the plan JSON written by src/load/plan.ts (required)
 *   LOADGATE_SUMMARY  path where handleSummary writes k6's full summary JSON (required)
 *   LOADGATE_BASE_URL the service's URL on loopback, for a user's own script to send to
 *   LOADGATE_TARGET_HEADERS  a deployed target's headers (JSON), on every request and probe
 *   LOADGATE_PART     where to write this runner's part manifest (distributed runs); optional,
 *                     with LOADGATE_CONFIG_HASH, LOADGATE_SAMPLES_FILE, LOADGATE_K6_VERSION, LOADGATE_RUN_ID
 *
 * Per phase and level the plan holds an unmeasured warm-up scenario `<phase>__W<i>` followed by
 * the measured one `<phase>__L<i>`; the closed model runs `level` VUs (constant-vus), the open
 * model starts `level` iterations per second (constant-arrival-rate). Every scenario has a fixed
 * duration, every request the plan's timeout, so the run ends on time even if nothing answers.
 *
 * Metrics are sliced by the tags `scenario` (phase and level) and `req` (request name). k6 only
 * keeps a submetric when a threshold names it, so the options below declare an always-true
 * threshold for each slice; those submetrics then appear in the summary and the REST API.
 * Failed requests also count in `loadgate_failures` tagged `outcome`: timeout (error_code 1050),
 * connection (other network errors), http5xx, http4xx, other (e.g. an unexpected 2xx).
 *
 * The blocking detector, when the plan has a probe: one GET at a constant arrival rate in a
 * scenario of its own beside each measured level (`<phase>__P<i>`), and alone before the ladder
 * (`idle__P`), run by `probe`. Its latency is the submetric `http_req_duration{scenario:…__P<i>}`.
 *
 * Recovery: in the phases the plan lists in `timelines`, every main iteration carries the VU tag
 * `sec` (its time slice since the phase's start), and `http_req_duration{phase:…,sec:k}` and
 * `http_req_failed{phase:…,sec:k}` give a latency and failure series. Probes never carry it.
 *
 * A user's own script can take the place of the built-in requests: the runner generates a
 * wrapper that imports this module's options (with the script's own thresholds added, so that
 * crossing one makes k6 exit 99), handleSummary and probe, and the user's default function,
 * calling markTimeBucket before each of its iterations. Such a script reads the
 * service's URL from __ENV.LOADGATE_BASE_URL and tags each request `req` to get per-request
 * results; untagged, it gets one result per level, named `all`.
 */
import exec from 'k6/execution';
import http, { type RefinedParams, type RefinedResponse, type ResponseType } from 'k6/http';
import { Counter, Gauge } from 'k6/metrics';
import type { Options, Scenario } from 'k6/options';
import {
  FAILURE_METRIC,
  K6_REQUEST_TIMEOUT_CODE,
  LADDER_ENV,
  LADDER_START_METRIC,
  type LadderPlan,
  mergeThresholds,
  OUTCOMES,
  type Outcome,
  PART_VERSION,
  type PartManifest,
  type PlanRequest,
  type PlanTimeline,
  type ProbeScenario,
  SUMMARY_SEGMENT_FIELD,
  SUMMARY_TREND_STATS,
  type SummarySegment,
  submetric,
  TIME_BUCKET_TAG,
  timelineSubmetric,
  USER_SCRIPT_5XX_STATUSES,
} from './contract.ts';

const plan = readPlan();
const targetHeaders = readTargetHeaders();
const failures = new Counter(FAILURE_METRIC);
const ladderStart = new Gauge(LADDER_START_METRIC);
const ALWAYS = { count: ['count>=0'], trend: ['max>=0'], rate: ['rate>=0'] };

export const options: Options = {
  scenarios: Object.fromEntries([
    ...plan.scenarios.map((s): [string, Scenario] => [s.name, scenarioOptions(s)]),
    ...(plan.probe?.scenarios ?? []).map((s): [string, Scenario] => [s.name, probeScenarioOptions(s)]),
  ]),
  thresholds: sliceThresholds(),
  summaryTrendStats: SUMMARY_TREND_STATS,
  discardResponseBodies: true,
  userAgent: 'loadgate',
};

/**
 * The options a user's script runs under: the ladder's, plus the script's own thresholds (the
 * ladder alone decides the load, so the script's scenarios, VUs and durations are not used).
 */
export function optionsWithUserThresholds(user: Options | undefined): Options {
  return { ...options, thresholds: mergeThresholds(options.thresholds ?? {}, user?.thresholds) };
}

const picker = weightedPicker(plan.requests);
const requestParams = new Map(plan.requests.map((r) => [r.name, paramsFor(r)]));
const scenarioByName = new Map(plan.scenarios.map((s) => [s.name, s]));
const timelineByPhase = new Map<string, PlanTimeline>((plan.timelines ?? []).map((t) => [t.phase, t]));
const probeParams: RefinedParams<ResponseType> = {
  headers: targetHeaders,
  timeout: `${plan.requestTimeoutMs}ms`,
  tags: { name: 'probe' },
};
const scenarioStartS = new Map<string, number>([
  ...plan.scenarios.map((s): [string, number] => [s.name, s.startS]),
  ...(plan.probe?.scenarios ?? []).map((s): [string, number] => [s.name, s.startS]),
]);
/** the scenarios whose start this VU reported already */
const startReported = new Set<string>();

export default function (): void {
  markLadderStart();
  markTimeBucket();
  const request = picker();
  const res = http.request(request.method, request.url, request.body, requestParams.get(request.name));
  const outcome = outcomeOf(res, request.expectStatus);
  if (outcome !== null) failures.add(1, { req: request.name, outcome });
}

/** The blocking detector's request; its scenario tags say which level it ran beside. */
export function probe(): void {
  markLadderStart();
  // A VU may have run a main scenario before: its slice tag must not follow it here.
  delete exec.vu.metrics.tags[TIME_BUCKET_TAG];
  if (plan.probe) http.get(plan.probe.url, probeParams);
}

/**
 * Tags this VU's next metrics with the time slice of its phase's timeline the iteration starts
 * in, or removes the tag outside such phases (VUs move between scenarios).
 */
export function markTimeBucket(): void {
  const tags = exec.vu.metrics.tags;
  const scenario = scenarioByName.get(exec.scenario.name);
  const timeline = scenario ? timelineByPhase.get(scenario.phase) : undefined;
  if (scenario === undefined || timeline === undefined) {
    delete tags[TIME_BUCKET_TAG];
    return;
  }
  const sinceStartS = (Date.now() - exec.scenario.startTime) / 1000 + scenario.startS - timeline.startS;
  const bucket = Math.floor(sinceStartS / timeline.bucketS);
  tags[TIME_BUCKET_TAG] = String(Math.min(timeline.buckets - 1, Math.max(0, bucket)));
}

/**
 * Reports, once per VU and scenario, when the ladder began by k6's clock: the scenario's start
 * minus its offset in the plan (LADDER_START_METRIC). Parts of a distributed run compare it.
 */
export function markLadderStart(): void {
  const name = exec.scenario.name;
  if (startReported.has(name)) return;
  startReported.add(name);
  const startS = scenarioStartS.get(name);
  if (startS !== undefined) ladderStart.add(exec.scenario.startTime - startS * 1000);
}

/**
 * Writes the full summary to LOADGATE_SUMMARY, with the execution segment this k6 ran, and a
 * few lines per level to stdout; with LOADGATE_PART, also this runner's part manifest.
 */
export function handleSummary(data: SummaryData): Record<string, string> {
  const options = exec.test.options as { executionSegment?: unknown; executionSegmentSequence?: unknown };
  const segment: SummarySegment = {
    executionSegment: textOrNull(options.executionSegment),
    executionSegmentSequence: textOrNull(options.executionSegmentSequence),
  };
  const summaryPath = requiredEnv(LADDER_ENV.summary);
  const out: Record<string, string> = {
    [summaryPath]: JSON.stringify({ ...data, [SUMMARY_SEGMENT_FIELD]: segment }),
    stdout: textSummary(data),
  };
  const partPath = __ENV[LADDER_ENV.part];
  if (partPath) out[partPath] = JSON.stringify(partManifest(data, segment, summaryPath), null, 2);
  return out;
}

/** This runner's share of a distributed run, as `loadgate merge` reads it. */
function partManifest(data: SummaryData, segment: SummarySegment, summaryPath: string): PartManifest {
  const start = data.metrics[LADDER_START_METRIC]?.values.min;
  return {
    partVersion: PART_VERSION,
    ...segment,
    configHash: __ENV[LADDER_ENV.configHash] ?? '',
    plan,
    startedAtMs: typeof start === 'number' && start > 0 ? start : null,
    k6Version: __ENV[LADDER_ENV.k6Version] || null,
    runId: __ENV[LADDER_ENV.runId] || null,
    partial: false,
    problem: null,
    files: { summary: baseName(summaryPath), samples: baseName(__ENV[LADDER_ENV.samplesFile] ?? '') },
  };
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function readPlan(): LadderPlan {
  const parsed = JSON.parse(open(requiredEnv(LADDER_ENV.plan))) as LadderPlan;
  if (parsed.planVersion !== 1) throw new Error(`unsupported ladder plan version ${parsed.planVersion}`);
  return parsed;
}

function readTargetHeaders(): Record<string, string> {
  const text = __ENV[LADDER_ENV.targetHeaders];
  if (!text) return {};
  const parsed = JSON.parse(text) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${LADDER_ENV.targetHeaders} must be a JSON object of header names and values`);
  return parsed as Record<string, string>;
}

/** The target's headers under a request's own, which win whatever their case. */
function withTargetHeaders(own: Record<string, string>): Record<string, string> {
  const ownNames = new Set(Object.keys(own).map((name) => name.toLowerCase()));
  const inherited = Object.entries(targetHeaders).filter(([name]) => !ownNames.has(name.toLowerCase()));
  return { ...Object.fromEntries(inherited), ...own };
}

function requiredEnv(name: string): string {
  const value = __ENV[name];
  if (!value) throw new Error(`${name} is not set: the ladder script is started by loadgate`);
  return value;
}

function scenarioOptions(s: LadderPlan['scenarios'][number]): Scenario {
  const common = {
    startTime: `${s.startS}s`,
    duration: `${s.durationS}s`,
    gracefulStop: `${s.gracefulStopS}s`,
    tags: { phase: s.phase, level: String(s.level) },
  };
  if (plan.model === 'closed') return { executor: 'constant-vus', vus: s.level, ...common };
  const maxVUs = s.maxVUs ?? s.level;
  return {
    executor: 'constant-arrival-rate',
    rate: s.level,
    timeUnit: '1s',
    // All VUs up front: starting one mid-level would cost time inside the measurement.
    preAllocatedVUs: maxVUs,
    maxVUs,
    ...common,
  };
}

/** Probes arrive at a constant rate whatever the load model, from VUs allocated up front. */
function probeScenarioOptions(s: ProbeScenario): Scenario {
  const maxVUs = plan.probe?.maxVUs ?? 1;
  return {
    executor: 'constant-arrival-rate',
    exec: 'probe',
    rate: plan.probe?.ratePerS ?? 1,
    timeUnit: '1s',
    preAllocatedVUs: maxVUs,
    maxVUs,
    startTime: `${s.startS}s`,
    duration: `${s.durationS}s`,
    gracefulStop: `${s.gracefulStopS}s`,
    tags: s.phase === null ? { probe: 'idle' } : { probe: 'level', phase: s.phase },
  };
}

/** An always-true threshold per slice, so k6 keeps (and reports) each submetric. */
function sliceThresholds(): Record<string, string[]> {
  const thresholds: Record<string, string[]> = {};
  for (const s of plan.probe?.scenarios ?? []) {
    thresholds[submetric('http_req_duration', s.name, null)] = ALWAYS.trend;
  }
  for (const timeline of plan.timelines ?? []) {
    for (let bucket = 0; bucket < timeline.buckets; bucket++) {
      thresholds[timelineSubmetric('http_req_duration', timeline.phase, bucket)] = ALWAYS.trend;
      thresholds[timelineSubmetric('http_req_failed', timeline.phase, bucket)] = ALWAYS.rate;
    }
  }
  const names: (string | null)[] = plan.requestNames.length > 0 ? plan.requestNames : [null];
  for (const s of plan.scenarios.filter((x) => x.measured)) {
    // per level, all requests: what live progress reads from the REST API
    thresholds[submetric('http_req_duration', s.name, null)] = ALWAYS.trend;
    thresholds[submetric('http_req_failed', s.name, null)] = ALWAYS.rate;
    thresholds[submetric('dropped_iterations', s.name, null)] = ALWAYS.count;
    for (const req of names) {
      thresholds[submetric('http_reqs', s.name, req)] = ALWAYS.count;
      thresholds[submetric('http_req_duration', s.name, req)] = ALWAYS.trend;
      if (plan.script === 'builtin') {
        for (const outcome of OUTCOMES)
          thresholds[submetric(FAILURE_METRIC, s.name, req, { outcome })] = ALWAYS.count;
      } else {
        // no counter of ours in a user's script: classify from k6's own tags instead
        thresholds[submetric('http_req_failed', s.name, req)] = ALWAYS.rate;
        thresholds[submetric('http_reqs', s.name, req, { status: 0 })] = ALWAYS.count;
        thresholds[submetric('http_reqs', s.name, req, { error_code: K6_REQUEST_TIMEOUT_CODE })] =
          ALWAYS.count;
        for (const status of USER_SCRIPT_5XX_STATUSES) {
          thresholds[submetric('http_reqs', s.name, req, { status })] = ALWAYS.count;
        }
      }
    }
  }
  return thresholds;
}

function weightedPicker(requests: PlanRequest[]): () => PlanRequest {
  const total = requests.reduce((sum, r) => sum + r.weight, 0);
  return () => {
    let ticket = Math.random() * total;
    for (const r of requests) {
      ticket -= r.weight;
      if (ticket < 0) return r;
    }
    return requests[requests.length - 1] as PlanRequest;
  };
}

function paramsFor(r: PlanRequest): RefinedParams<ResponseType> {
  const expected = r.expectStatus ?? { min: 200, max: 399 };
  return {
    headers: withTargetHeaders(r.headers),
    timeout: `${plan.requestTimeoutMs}ms`,
    // `name` replaces the URL as the tag k6 groups by, keeping its series few
    tags: { req: r.name, name: r.name },
    // keeps k6's own http_req_failed in step with loadgate's idea of a failure
    responseCallback: http.expectedStatuses(expected),
  };
}

/** What went wrong with a response, or null when it is what the plan expects. */
function outcomeOf(res: RefinedResponse<ResponseType>, expectStatus: number | null): Outcome | null {
  if (res.error_code === K6_REQUEST_TIMEOUT_CODE) return 'timeout';
  if (res.status === 0) {
    // 1xxx: network-level (DNS 11xx, TCP 12xx, TLS 13xx, HTTP/2 16xx); 1020 is a bad URL
    return res.error_code >= 1000 && res.error_code < 1700 && res.error_code !== 1020
      ? 'connection'
      : 'other';
  }
  const ok = expectStatus === null ? res.status >= 200 && res.status < 400 : res.status === expectStatus;
  if (ok) return null;
  if (res.status >= 500 && res.status < 600) return 'http5xx';
  if (res.status >= 400 && res.status < 500) return 'http4xx';
  return 'other';
}

interface SummaryMetric {
  type: string;
  values: Record<string, number>;
}
interface SummaryData {
  metrics: Record<string, SummaryMetric>;
}

function textSummary(data: SummaryData): string {
  const lines = ['loadgate ladder'];
  for (const s of plan.scenarios.filter((x) => x.measured)) {
    const count = data.metrics[submetric('http_req_duration', s.name, null)]?.values.count ?? 0;
    const p95 = data.metrics[submetric('http_req_duration', s.name, null)]?.values['p(95)'];
    const failed = data.metrics[submetric('http_req_failed', s.name, null)]?.values.rate ?? 0;
    const dropped = data.metrics[submetric('dropped_iterations', s.name, null)]?.values.count ?? 0;
    const p95Text = count > 0 && p95 !== undefined ? `${p95.toFixed(1)} ms` : '-';
    const probe = plan.probe?.scenarios.find((p) => p.phase === s.phase && p.levelIndex === s.levelIndex);
    lines.push(
      `  ${s.name} level ${s.level}: ${count} requests, p95 ${p95Text}, ` +
        `failed ${(failed * 100).toFixed(1)}%, dropped ${dropped}` +
        (probe ? `, probe p95 ${trendText(data, probe.name)}` : ''),
    );
  }
  const idle = plan.probe?.scenarios.find((p) => p.phase === null);
  if (idle) lines.push(`  idle probe p95 ${trendText(data, idle.name)}`);
  return `${lines.join('\n')}\n`;
}

function trendText(data: SummaryData, scenario: string): string {
  const values = data.metrics[submetric('http_req_duration', scenario, null)]?.values;
  return values && (values.count ?? 0) > 0 && values['p(95)'] !== undefined
    ? `${values['p(95)'].toFixed(1)} ms`
    : '-';
}
