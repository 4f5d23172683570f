import type { Comparison } from '../compare/schema.ts';
import { escapeMarkdown } from '../report/escape.ts';
import { formatLevel, formatMs, formatRateCell, formatRps } from '../report/format.ts';
import type { Breach, LoadModel, Result } from '../result/schema.ts';

/**
 * What the pull request comment, the job summary and the annotations say a run found: the
 * absolute gate's breaches and the comparison's verdicts, as rows. Pure: data in, data out.
 */

/** What one row says: a comparison's verdict or an absolute gate's breach. */
export type FindingStatus = 'regressed' | 'breach' | 'improved' | 'inconclusive';

/** A comparison's change and its interval (the two one-sided bounds at 1 − 2α). */
export interface FindingChange {
  /** percentiles: candidate / base − 1; rates: candidate − base (a difference of shares) */
  value: number | null;
  low: number | null;
  high: number | null;
}

export interface Finding {
  status: FindingStatus;
  phase: string;
  level: number;
  request: string;
  /** a compared metric ("p95Ms", "errorRate") or a gate metric ("p95", "poolTimeouts") */
  metric: string;
  /** the base's value; null for a gate breach */
  base: number | null;
  /** this run's value */
  candidate: number | null;
  /** the gate's limit; null for a comparison */
  limit: number | null;
  /** the comparison's change; null for a gate breach */
  change: FindingChange | null;
  /** one line a person reads, as the gate or the comparison wrote it (plain text, not escaped) */
  reason: string;
}

/** Gate breaches as rows. */
export function findingsFromBreaches(breaches: readonly Breach[]): Finding[] {
  return breaches.map((b) => ({
    status: 'breach',
    phase: b.phase,
    level: b.level,
    request: b.request,
    metric: b.metric,
    base: null,
    candidate: b.actual,
    limit: b.limit,
    change: null,
    reason: b.reason,
  }));
}

/**
 * The comparison's verdicts as rows: every metric that regressed, improved or is inconclusive
 * (unchanged ones are left to result.json), in the comparison's order. A comparison that could
 * not be made has none: it judged nothing.
 */
export function findingsFromComparison(comparison: Comparison): Finding[] {
  if (comparison.verdict === 'not-comparable') return [];
  return comparison.metrics
    .filter((m) => m.verdict !== 'unchanged')
    .map((m) => ({
      status: m.verdict as Exclude<typeof m.verdict, 'unchanged'>,
      phase: m.phase,
      level: m.level,
      request: m.request,
      metric: m.metric,
      base: m.baseline,
      candidate: m.candidate,
      limit: null,
      change: { value: m.change, low: m.changeLow, high: m.changeHigh },
      reason: m.reason,
    }));
}

/** Everything a run found: its gate's breaches, then its comparison's verdicts when it was compared. */
export function findingsOf(result: Pick<Result, 'gate' | 'comparison'>): Finding[] {
  return [
    ...findingsFromBreaches(result.gate.breaches),
    ...(result.comparison ? findingsFromComparison(result.comparison) : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// Words and numbers

const LATENCY_METRICS = new Set(['p50', 'p90', 'p95', 'p99', 'max', 'poolWaitP95', 'poolWaitMean']);
const COUNT_METRICS = new Set(['poolTimeouts', 'peakDbConnections']);
const METRIC_LABELS: Readonly<Record<string, string>> = {
  p50Ms: 'p50',
  p90Ms: 'p90',
  p95Ms: 'p95',
  p99Ms: 'p99',
  maxMs: 'max latency',
  max: 'max latency',
  errorRate: 'error rate',
  timeoutRate: 'timeout rate',
  connectionErrorRate: 'connection error rate',
  http5xxRate: '5xx rate',
  http4xxRate: '4xx rate',
  throughputRps: 'throughput',
  poolWaitP95: 'pool wait p95',
  poolWaitMean: 'pool wait mean',
  poolTimeouts: 'pool timeouts',
  peakDbConnections: 'peak DB connections',
};

type MetricKind = 'latency' | 'rate' | 'throughput' | 'count' | 'other';

export function metricKind(metric: string): MetricKind {
  if (/Ms$/.test(metric) || LATENCY_METRICS.has(metric)) return 'latency';
  if (/Rate$/.test(metric)) return 'rate';
  if (/Rps$/.test(metric)) return 'throughput';
  if (COUNT_METRICS.has(metric)) return 'count';
  return 'other';
}

/** "p95", "error rate"; an unknown metric as itself, escaped. Markdown. */
export function metricLabel(metric: string): string {
  return METRIC_LABELS[metric] ?? escapeMarkdown(metric, 40);
}

/** "812 ms", "3.1%", "41.2 req/s", "3"; Markdown (an unknown metric's value is escaped). */
export function formatMetricValue(metric: string, value: number | null): string {
  if (value === null) return '—';
  switch (metricKind(metric)) {
    case 'latency':
      return `${formatMs(value)} ms`;
    case 'rate':
      return escapeMarkdown(formatRateCell(value));
    case 'throughput':
      return `${formatRps(value)} req/s`;
    case 'count':
      return String(Math.round(value));
    case 'other':
      return escapeMarkdown(String(value), 20);
  }
}

/** A signed change: "+25.0%" for a percentile, "+1.20 pp" for a rate. */
function signed(metric: string, x: number): string {
  const text =
    metricKind(metric) === 'rate'
      ? `${(Math.abs(x) * 100).toFixed(2)} pp`
      : `${(Math.abs(x) * 100).toFixed(1)}%`;
  return `${x < 0 ? '−' : '+'}${text}`;
}

/** "+25.0% (+12.1% … +40.2%)", "+1.20 pp", "—". */
export function formatChange(f: Pick<Finding, 'metric' | 'change'>): string {
  const c = f.change;
  if (!c || c.value === null) return '—';
  const interval =
    c.low !== null && c.high !== null ? ` (${signed(f.metric, c.low)} … ${signed(f.metric, c.high)})` : '';
  return `${signed(f.metric, c.value)}${interval}`;
}

/** Where a finding is, for prose: "items at 32 VUs", with the phase when a run has several. Markdown. */
export function placeOf(f: Finding, model: LoadModel, withPhase: boolean): string {
  const request = f.request === '' ? '' : `${escapeMarkdown(f.request, 40)} at `;
  const phase = withPhase ? ` in phase ${escapeMarkdown(f.phase, 30)}` : '';
  return `${request}${escapeMarkdown(formatLevel(f.level, model), 30)}${phase}`;
}

/** What and where: "p95 of items at 32 VUs". Markdown. */
export function findingPlace(f: Finding, model: LoadModel, withPhase: boolean): string {
  const place = placeOf(f, model, withPhase);
  return `${metricLabel(f.metric)}${f.request === '' ? ' at ' : ' of '}${place}`;
}

// ---------------------------------------------------------------------------------------------
// The headline

const PLACES_NAMED = 3;

/**
 * The words after the verdict on the comment's first line, in Markdown with every string from
 * the run escaped: whether the run is slower or less reliable than the base and where, whether it
 * breached the absolute gate (a run can fail for either; this says which), or why it could not be
 * compared. Without a comparison: the run's own summary.
 */
export function verdictExplanation(result: Result, findings: readonly Finding[], maxChars = 300): string {
  const comparison = result.comparison;
  if (result.verdict === 'error' || result.partial || comparison === undefined) {
    return escapeMarkdown(result.summary, maxChars);
  }
  const model = result.loadModel;
  const withPhase = new Set(result.levels.map((l) => l.phase)).size > 1;
  const list = (rows: readonly Finding[], describe: (f: Finding) => string) => {
    const named = rows.slice(0, PLACES_NAMED).map(describe);
    const more = rows.length - named.length;
    return `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  };
  const parts: string[] = [];

  const breaches = findings.filter((f) => f.status === 'breach');
  // failed without a breach of loadgate's gate: k6's own thresholds; the summary says so
  if (result.verdict === 'fail' && breaches.length === 0) parts.push(escapeMarkdown(result.summary, 200));
  if (breaches.length > 0) {
    const n = breaches.length;
    parts.push(
      `fails the absolute gate (${n} ${n === 1 ? 'breach' : 'breaches'}: ${list(breaches, (f) => `${findingPlace(f, model, withPhase)} ${formatMetricValue(f.metric, f.candidate)}`)})`,
    );
  }
  if (comparison.verdict === 'not-comparable') {
    const why = comparison.notComparable[0] ?? comparison.summary;
    parts.push(`not compared with the base, so no verdict on regressions: ${escapeMarkdown(why, 200)}`);
    return parts.join('; ');
  }
  const regressed = findings.filter((f) => f.status === 'regressed');
  const where = (f: Finding) => placeOf(f, model, withPhase);
  const slower = groupByPlace(regressed.filter((f) => metricKind(f.metric) === 'latency'));
  const lessReliable = groupByPlace(regressed.filter((f) => metricKind(f.metric) !== 'latency'));
  const describe = (group: Finding[]) => {
    const first = group[0] as Finding;
    const changes = group.map(
      (f) =>
        `${metricLabel(f.metric)} ${formatChange({ metric: f.metric, change: f.change ? { value: f.change.value, low: null, high: null } : null })}`,
    );
    return `${where(first)} (${changes.join(', ')})`;
  };
  const vsWords = comparison.mode === 'paired' ? 'the base revision' : 'the base';
  const worse: string[] = [];
  if (slower.length > 0) worse.push(`slower than ${vsWords}: ${listGroups(slower, describe)}`);
  if (lessReliable.length > 0) worse.push(`less reliable: ${listGroups(lessReliable, describe)}`);
  const vs = vsWords;
  if (worse.length > 0) {
    parts.push(`${breaches.length > 0 ? 'and regressed, ' : ''}${worse.join('; ')}`);
  } else {
    const inconclusive = findings.filter((f) => f.status === 'inconclusive');
    const improved = findings.filter((f) => f.status === 'improved').length;
    const checked = comparison.metrics.length;
    const gain = improved > 0 ? `, ${improved} improved` : '';
    parts.push(
      inconclusive.length > 0
        ? `no regression found against ${vs}, but ${inconclusive.length} of ${checked} comparisons are inconclusive (${list(inconclusive, (f) => findingPlace(f, model, withPhase))})${gain}`
        : `no regression against ${vs} in ${checked} comparisons${gain}`,
    );
  }
  return parts.join('; ');
}

/** Findings of one (phase, level, request) together, in order of first appearance. */
function groupByPlace(findings: readonly Finding[]): Finding[][] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.phase}\u0000${f.level}\u0000${f.request}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.values()];
}

function listGroups(groups: readonly Finding[][], describe: (group: Finding[]) => string): string {
  const named = groups.slice(0, PLACES_NAMED).map(describe);
  const more = groups.length - named.length;
  return `${named.join('; ')}${more > 0 ? `; and ${more} more ${more === 1 ? 'place' : 'places'}` : ''}`;
}

/** One line per phase whose knee moved ("📉 The knee moved from 80 VUs to 40 VUs"); Markdown. */
export function kneeHeadlines(comparison: Comparison | undefined): string[] {
  if (!comparison || comparison.verdict === 'not-comparable') return [];
  return comparison.knees
    .filter((k) => k.moved === 'earlier' || k.moved === 'later')
    .map((k) => {
      const text = escapeMarkdown(k.headline, 200);
      const sentence = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
      return k.moved === 'earlier'
        ? `📉 **${sentence}**: this run saturates at a lower level.`
        : `📈 **${sentence}**: this run holds up to a higher level.`;
    });
}
