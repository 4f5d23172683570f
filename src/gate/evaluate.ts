import { ConfigError } from '../errors.ts';
import { clip, formatLevel, formatMs, formatRate, formatRps, toOneLine } from '../report/format.ts';
import type { Breach, LevelResult, LoadModel, RequestResult } from '../result/schema.ts';

/** The metrics an absolute gate can limit. */
export const GATE_METRICS = [
  'p50',
  'p90',
  'p95',
  'p99',
  'max',
  'errorRate',
  'timeoutRate',
  'connectionErrorRate',
  'http5xxRate',
  'http4xxRate',
  'throughputRps',
  'poolWaitP95',
  'poolWaitMean',
  'poolTimeouts',
  'peakDbConnections',
] as const;
export type GateMetric = (typeof GATE_METRICS)[number];
/** The metrics of the whole level (the service's pool, its database) rather than of one request. */
export const LEVEL_GATE_METRICS = [
  'poolWaitP95',
  'poolWaitMean',
  'poolTimeouts',
  'peakDbConnections',
] as const;
type LevelGateMetric = (typeof LEVEL_GATE_METRICS)[number];
type RequestGateMetric = Exclude<GateMetric, LevelGateMetric>;

/**
 * One absolute gate threshold, normalized: the form the config module produces. Latency metrics
 * take `maxMs`, rates `maxRate` (0..1), throughput `minRps`; exactly that one limit is set.
 * Each filter left out matches everything; the threshold applies to every measured
 * (phase, level, request) that matches all the filters given.
 */
export interface GateThreshold {
  metric: GateMetric;
  maxMs?: number;
  maxRate?: number;
  minRps?: number;
  /** pool timeouts and peak DB connections: the most allowed in one level */
  maxCount?: number;
  /** a level exactly as configured (VUs in the closed model, req/s in the open one) */
  level?: number;
  /** a request name */
  request?: string;
  /** a phase name */
  phase?: string;
}

export interface GateEvaluation {
  /** (threshold × matching cell) checks made */
  checked: number;
  breaches: Breach[];
  /** one line per threshold that matched no measured cell (a misspelt name passes silently otherwise) */
  unmatched: string[];
}

type LimitKey = 'maxMs' | 'maxRate' | 'minRps' | 'maxCount';
/** A metric of the whole level (the service's pool, its database), not of one request. */
type LevelMetricSpec = {
  level: (level: LevelResult) => number | null;
  limitKey: LimitKey;
  label: string;
};
type MetricSpec = {
  field: keyof Pick<
    RequestResult,
    | 'p50Ms'
    | 'p90Ms'
    | 'p95Ms'
    | 'p99Ms'
    | 'maxMs'
    | 'errorRate'
    | 'timeoutRate'
    | 'connectionErrorRate'
    | 'http5xxRate'
    | 'http4xxRate'
    | 'throughputRps'
  >;
  limitKey: LimitKey;
  /** how the metric reads in a sentence */
  label: string;
};

const METRICS: Readonly<Record<RequestGateMetric, MetricSpec>> = {
  p50: { field: 'p50Ms', limitKey: 'maxMs', label: 'p50' },
  p90: { field: 'p90Ms', limitKey: 'maxMs', label: 'p90' },
  p95: { field: 'p95Ms', limitKey: 'maxMs', label: 'p95' },
  p99: { field: 'p99Ms', limitKey: 'maxMs', label: 'p99' },
  max: { field: 'maxMs', limitKey: 'maxMs', label: 'max latency' },
  errorRate: { field: 'errorRate', limitKey: 'maxRate', label: 'error rate' },
  timeoutRate: { field: 'timeoutRate', limitKey: 'maxRate', label: 'timeout rate' },
  connectionErrorRate: { field: 'connectionErrorRate', limitKey: 'maxRate', label: 'connection error rate' },
  http5xxRate: { field: 'http5xxRate', limitKey: 'maxRate', label: '5xx rate' },
  http4xxRate: { field: 'http4xxRate', limitKey: 'maxRate', label: '4xx rate' },
  throughputRps: { field: 'throughputRps', limitKey: 'minRps', label: 'throughput' },
};

/** Level metrics: null (not measured) is no breach, and is not counted as a check. */
const LEVEL_METRICS: Readonly<Record<LevelGateMetric, LevelMetricSpec>> = {
  poolWaitP95: { level: (l) => l.pool.waitP95Ms, limitKey: 'maxMs', label: 'pool wait p95' },
  poolWaitMean: { level: (l) => l.pool.waitMeanMs, limitKey: 'maxMs', label: 'pool wait mean' },
  poolTimeouts: { level: (l) => l.pool.timeouts, limitKey: 'maxCount', label: 'pool timeouts' },
  peakDbConnections: {
    level: (l) => l.pool.peakDbConnections,
    limitKey: 'maxCount',
    label: 'peak DB connections',
  },
};

const LIMIT_KEYS: readonly LimitKey[] = ['maxMs', 'maxRate', 'minRps', 'maxCount'];

/** Names inside a reason stay readable and on one line, whatever the config held. */
const MAX_NAME_CHARS = 60;

function isGateMetric(metric: unknown): metric is GateMetric {
  return (
    typeof metric === 'string' && (Object.hasOwn(METRICS, metric) || Object.hasOwn(LEVEL_METRICS, metric))
  );
}

function isLevelMetric(metric: GateMetric): metric is LevelGateMetric {
  return Object.hasOwn(LEVEL_METRICS, metric);
}

/** How a metric is limited and how it reads in a sentence. */
function specOf(metric: GateMetric): { limitKey: LimitKey; label: string } {
  return isLevelMetric(metric) ? LEVEL_METRICS[metric] : METRICS[metric];
}

/**
 * Every problem with normalized thresholds, each "thresholds[i].field: message"; empty when all
 * are usable. The config module can call this to report them with the rest of the config.
 */
export function checkThresholds(thresholds: readonly GateThreshold[]): string[] {
  const problems: string[] = [];
  thresholds.forEach((threshold, i) => {
    const at = `thresholds[${i}]`;
    if (!isGateMetric(threshold.metric)) {
      problems.push(`${at}.metric: unknown metric ${JSON.stringify(threshold.metric)}`);
      return;
    }
    const { limitKey } = specOf(threshold.metric);
    const limit = threshold[limitKey];
    if (isLevelMetric(threshold.metric) && threshold.request !== undefined) {
      problems.push(`${at}.request: ${threshold.metric} is measured per level, not per request`);
    }
    if (typeof limit !== 'number' || !Number.isFinite(limit) || limit < 0) {
      problems.push(`${at}.${limitKey}: ${threshold.metric} needs ${limitKey}, a finite number ≥ 0`);
    } else if (limitKey === 'maxRate' && limit > 1) {
      problems.push(`${at}.maxRate: a share 0..1 (0.001 is 0.1%), got ${limit}`);
    }
    for (const other of LIMIT_KEYS) {
      if (other !== limitKey && threshold[other] !== undefined) {
        problems.push(`${at}.${other}: does not apply to ${threshold.metric} (use ${limitKey})`);
      }
    }
  });
  return problems;
}

/** A configured limit as a person wrote it: 800, 2.5, 0.25 (no float noise, no padding zeros). */
function limitNumber(value: number): string {
  return String(Number(value.toFixed(3)));
}

/**
 * The measured value, with as many extra digits as it takes not to read as equal to the limit
 * it crossed ("912.4 ms > 912 ms", never "912 ms > 912 ms").
 */
function contrast(
  format: (value: number, extraDigits: number) => string,
  actual: number,
  limitText: string,
): string {
  for (let extra = 0; extra <= 6; extra++) {
    const text = format(actual, extra);
    if (Number.parseFloat(text) !== Number.parseFloat(limitText)) return text;
  }
  return format(actual, 0);
}

/** Where a breach is: "p95 of items at 20 VUs (clean)"; a level metric names no request. */
function where(
  metric: GateMetric,
  request: string | null,
  level: number,
  phase: string,
  model: LoadModel,
): string {
  const name = (text: string) => clip(toOneLine(text), MAX_NAME_CHARS);
  const of = request === null ? '' : ` of ${name(request)}`;
  return `${specOf(metric).label}${of} at ${formatLevel(level, model)} (${name(phase)})`;
}

/** The one-line reason for a breach, e.g. "p95 of items at 20 VUs (clean): 912 ms > 800 ms limit". */
function reasonFor(
  metric: GateMetric,
  request: string | null,
  level: number,
  phase: string,
  model: LoadModel,
  actual: number | null,
  limit: number,
): string {
  const at = where(metric, request, level, phase, model);
  const { limitKey } = specOf(metric);
  if (limitKey === 'maxCount') return `${at}: ${actual ?? 0} > ${limitNumber(limit)} limit`;
  if (limitKey === 'maxMs') {
    const l = limitNumber(limit);
    if (actual === null) return `${at}: no request completed (limit ${l} ms)`;
    return `${at}: ${contrast(formatMs, actual, l)} ms > ${l} ms limit`;
  }
  if (limitKey === 'maxRate') {
    const l = formatRate(limit, 4);
    return `${at}: ${contrast((v, extra) => formatRate(v, 2 + extra), actual ?? 0, l)} > ${l} limit`;
  }
  const l = limitNumber(limit);
  return `${at}: ${contrast(formatRps, actual ?? 0, l)} req/s < ${l} req/s minimum`;
}

/**
 * Applies absolute thresholds to measured levels. Each threshold is checked against every
 * (phase, level, request) its filters match; a latency limit meets a null latency (no request
 * completed) as a breach. Breaches come in threshold order, then in the order the levels ran.
 * Throws a ConfigError listing every problem when a threshold is malformed.
 */
export function evaluateGate(
  levels: readonly LevelResult[],
  thresholds: readonly GateThreshold[],
  loadModel: LoadModel,
): GateEvaluation {
  const problems = checkThresholds(thresholds);
  if (problems.length > 0) throw new ConfigError('invalid gate thresholds', problems);

  let checked = 0;
  const breaches: Breach[] = [];
  const unmatched: string[] = [];
  for (const threshold of thresholds) {
    const { metric } = threshold;
    if (isLevelMetric(metric)) {
      const spec = LEVEL_METRICS[metric];
      const limit = threshold[spec.limitKey] as number;
      let matched = 0;
      for (const level of levels) {
        if (threshold.phase !== undefined && level.phase !== threshold.phase) continue;
        if (threshold.level !== undefined && level.level !== threshold.level) continue;
        const actual = spec.level(level);
        if (actual === null) continue; // not measured: nothing to hold against the limit
        matched++;
        if (actual <= limit) continue;
        breaches.push({
          metric,
          phase: level.phase,
          level: level.level,
          request: '',
          limit,
          actual,
          reason: reasonFor(metric, null, level.level, level.phase, loadModel, actual, limit),
        });
      }
      checked += matched;
      if (matched === 0) unmatched.push(describeUnmatched(threshold, spec, limit, loadModel));
      continue;
    }
    const spec = METRICS[metric];
    const limit = threshold[spec.limitKey] as number;
    let matched = 0;
    for (const level of levels) {
      if (threshold.phase !== undefined && level.phase !== threshold.phase) continue;
      if (threshold.level !== undefined && level.level !== threshold.level) continue;
      for (const request of level.requests) {
        if (threshold.request !== undefined && request.name !== threshold.request) continue;
        matched++;
        const actual = request[spec.field];
        const breached =
          spec.limitKey === 'minRps' ? (actual ?? 0) < limit : actual === null || actual > limit;
        if (!breached) continue;
        breaches.push({
          metric: threshold.metric,
          phase: level.phase,
          level: level.level,
          request: request.name,
          limit,
          actual,
          reason: reasonFor(
            threshold.metric,
            request.name,
            level.level,
            level.phase,
            loadModel,
            actual,
            limit,
          ),
        });
      }
    }
    checked += matched;
    if (matched === 0) unmatched.push(describeUnmatched(threshold, spec, limit, loadModel));
  }
  return { checked, breaches, unmatched };
}

function describeUnmatched(
  threshold: GateThreshold,
  spec: { limitKey: LimitKey; label: string },
  limit: number,
  model: LoadModel,
): string {
  const bound =
    spec.limitKey === 'maxMs'
      ? `≤ ${limitNumber(limit)} ms`
      : spec.limitKey === 'maxRate'
        ? `≤ ${formatRate(limit, 4)}`
        : spec.limitKey === 'maxCount'
          ? `≤ ${limitNumber(limit)}`
          : `≥ ${limitNumber(limit)} req/s`;
  const filters = [
    threshold.request === undefined
      ? null
      : `request ${JSON.stringify(clip(threshold.request, MAX_NAME_CHARS))}`,
    threshold.level === undefined ? null : `level ${formatLevel(threshold.level, model)}`,
    threshold.phase === undefined ? null : `phase ${JSON.stringify(clip(threshold.phase, MAX_NAME_CHARS))}`,
  ].filter((f) => f !== null);
  const scope = filters.length > 0 ? ` for ${filters.join(', ')}` : '';
  return `gate threshold ${spec.label} ${bound}${scope} matched nothing measured, so it checked nothing`;
}
