import { markdownTable } from 'markdown-table';
import { comparisonSections } from '../compare/report.ts';
import { CAUSE_WORDS, diagnoseRun, type Finding } from '../faults/diagnosis.ts';
import type { LevelResult, LoadModel, RequestResult, Result, Verdict } from '../result/schema.ts';
import { DEFAULT_MAX_CHARS, escapeMarkdown } from './escape.ts';
import {
  formatLevel,
  formatLevelNumber,
  formatMs,
  formatRateCell,
  formatRps,
  formatSeconds,
  levelUnit,
} from './format.ts';
import { mergedSection } from './merged.ts';
import { paletteChart } from './mermaid.ts';
import { anyPoolFigure, NOTHING_MEASURED, POOL_HEADER, poolNotes, poolRows } from './pool.ts';
import { trendSection } from './trend.ts';

export interface ReportOptions {
  /** characters kept of a name (request, phase) in a table cell or caption; default 80 */
  maxNameChars?: number;
  /** breach reasons listed before "and N more"; default 50 */
  maxBreaches?: number;
}

const VERDICT_WORDS: Readonly<Record<Verdict, string>> = {
  pass: 'PASS',
  fail: 'FAIL',
  regressed: 'REGRESSED',
  inconclusive: 'INCONCLUSIVE',
  'not-comparable': 'NOT COMPARABLE',
  error: 'ERROR',
};

const MAX_REASON_CHARS = 400;
const MAX_SUMMARY_CHARS = 1000;
const dash = '—';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Phases in the order the run declared them, then any that only the levels name. */
function phaseNames(result: Result): string[] {
  const names = result.phases.map((p) => p.name);
  for (const level of result.levels) if (!names.includes(level.phase)) names.push(level.phase);
  return names;
}

/** Request names in the order they first appear. */
function requestNames(levels: readonly LevelResult[]): string[] {
  const names: string[] = [];
  for (const level of levels) for (const r of level.requests) if (!names.includes(r.name)) names.push(r.name);
  return names;
}

/**
 * report.md for a run: the verdict as a heading, the run's facts, per phase a table of every
 * (level, request) with throughput beside latency and a Mermaid chart of p95 per level, then the
 * gate's breaches. Every string that came from a config or a service is escaped inert.
 * Deterministic: the same result renders the same bytes.
 */
export function renderReport(result: Result, opts: ReportOptions = {}): string {
  const maxNameChars = opts.maxNameChars ?? DEFAULT_MAX_CHARS;
  const name = (text: string) => escapeMarkdown(text, maxNameChars);
  const sections: string[] = [
    heading(result),
    escapeMarkdown(result.summary, MAX_SUMMARY_CHARS),
    facts(result),
  ];
  if (result.partial) {
    sections.push(
      result.merged
        ? `**Partial run:** ${escapeMarkdown(result.merged.partialReasons.join('; '), MAX_SUMMARY_CHARS)}; it is never used as a baseline.`
        : '**Partial run:** cancelled or failed part-way; it is never used as a baseline.',
    );
  }
  if (result.merged) sections.push(...mergedSection(result.merged));

  const findings = diagnoseRun(result);
  for (const phase of phaseNames(result)) {
    const levels = result.levels.filter((l) => l.phase === phase);
    sections.push(`### Phase: ${name(phase)}`);
    const entry = result.phases.find((p) => p.name === phase);
    const faults = entry?.faults ?? [];
    if (faults.length > 0) sections.push(`Faults: ${faults.map((f) => name(f)).join('; ')}.`);
    const recovery = entry?.recoverySeconds;
    if (recovery !== undefined && recovery !== null) sections.push(`Recovery: ${formatSeconds(recovery)}.`);
    else if (entry?.recoveryMeasured) {
      sections.push(
        'Recovery: **not recovered**: p95 and errors were not back within the clean phase’s band by the end of this phase.',
      );
    }
    if (levels.length === 0) {
      sections.push('No level was measured.');
      continue;
    }
    sections.push(levelTable(levels, result.loadModel, name));
    sections.push(...p95Chart(levels, result.loadModel, name));
    sections.push(...poolSection(levels, result.loadModel));
    const here = findings.filter((f) => f.phase === phase);
    if (here.length > 0) sections.push(findingsList(here, result.loadModel));
  }

  sections.push(...gateSection(result, opts.maxBreaches ?? 50));
  // the knee, and the comparison with a baseline when there was one
  sections.push(...comparisonSections(result));
  // the stored history's trend, when the run read one (a nightly run)
  sections.push(...trendSection(result));
  return `${sections.join('\n\n')}\n`;
}

function heading(result: Result): string {
  const phases = phaseNames(result).length;
  const levels = new Set(result.levels.map((l) => l.level)).size;
  const requests = requestNames(result.levels).length;
  const counts = [
    ...(phases > 1 ? [plural(phases, 'phase', 'phases')] : []),
    plural(levels, 'level', 'levels'),
    plural(requests, 'request', 'requests'),
    plural(result.gate.breaches.length, 'gate breach', 'gate breaches'),
  ];
  const partial = result.partial ? ' (partial run)' : '';
  return `## loadgate: ${VERDICT_WORDS[result.verdict]}${partial} — ${counts.join(', ')}`;
}

function facts(result: Result): string {
  const model =
    result.loadModel === 'closed'
      ? 'Closed model (a fixed number of VUs per level)'
      : 'Open model (a fixed arrival rate per level)';
  const parts = [model];
  const durations = result.levels.map((l) => l.durationS);
  if (durations.length > 0) {
    const shortest = formatSeconds(Math.min(...durations));
    const longest = formatSeconds(Math.max(...durations));
    parts.push(
      shortest === longest ? `${shortest} per level` : `${shortest.replace(' s', '')}–${longest} per level`,
    );
  }
  parts.push(`k6 ${escapeMarkdown(result.k6Version, 40)}`);
  if (result.probeIdleP95Ms !== null) parts.push(`idle probe p95 ${formatMs(result.probeIdleP95Ms)} ms`);
  parts.push(`run ${escapeMarkdown(result.runId, 60)}`);
  return parts.join(' · ');
}

function levelTable(
  levels: readonly LevelResult[],
  model: LoadModel,
  name: (text: string) => string,
): string {
  const open = model === 'open';
  const header = [
    `Level (${levelUnit(model)})`,
    'Request',
    'Throughput (req/s)',
    'p50 (ms)',
    'p90 (ms)',
    'p95 (ms)',
    'p99 (ms)',
    'max (ms)',
    'Errors',
    'Timeouts',
    'Conn. errors',
    '5xx',
    '4xx',
    // A closed model never drops iterations: the column would always read 0.
    ...(open ? ['Dropped (iterations)'] : []),
  ];
  const order = requestNames(levels);
  const ms = (value: number | null) => (value === null ? dash : formatMs(value));
  const rows = levels.flatMap((level) =>
    [...level.requests]
      .sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))
      .map((r: RequestResult) => [
        formatLevelNumber(level.level),
        name(r.name),
        formatRps(r.throughputRps),
        ms(r.p50Ms),
        ms(r.p90Ms),
        ms(r.p95Ms),
        ms(r.p99Ms),
        ms(r.maxMs),
        formatRateCell(r.errorRate),
        formatRateCell(r.timeoutRate),
        formatRateCell(r.connectionErrorRate),
        formatRateCell(r.http5xxRate),
        formatRateCell(r.http4xxRate),
        ...(open ? [String(level.droppedIterations)] : []),
      ])
      // Our own cells hold only digits, units and signs; "<0.01%" still needs its "<" escaped.
      .map((cells) => cells.map((cell, i) => (i === 1 ? cell : escapeMarkdown(cell)))),
  );
  const align = header.map((_, i) => (i === 1 ? 'l' : 'r'));
  return markdownTable([header, ...rows], { align });
}

/**
 * A Mermaid xychart of p95 per level, one line per request. xychart has no legend, so no
 * config or service text goes inside the block; a caption below maps lines to requests.
 * A request with no p95 at some level is left out (xychart cannot draw a gap) and said so.
 */
function p95Chart(
  levels: readonly LevelResult[],
  model: LoadModel,
  name: (text: string) => string,
): string[] {
  const drawable: { request: string; values: number[] }[] = [];
  const missing: string[] = [];
  for (const request of requestNames(levels)) {
    const values = levels.map((l) => l.requests.find((r) => r.name === request)?.p95Ms ?? null);
    if (values.every((v): v is number => v !== null)) drawable.push({ request, values });
    else missing.push(request);
  }
  if (drawable.length === 0) {
    return missing.length > 0
      ? [`Not drawn, no p95 at some level: ${missing.map((r) => name(r)).join(', ')}.`]
      : [];
  }
  const chart = paletteChart(
    {
      title: 'p95 latency per level',
      xLabel: levelUnit(model),
      categories: levels.map((l) => formatLevelNumber(l.level)),
      yLabel: 'p95 (ms)',
    },
    drawable.map((line) => ({ label: name(line.request), values: line.values })),
  );
  const notes: string[] = [];
  if (drawable.length > chart.drawn) notes.push(`Only the first ${chart.drawn} requests are drawn.`);
  if (missing.length > 0) {
    notes.push(`Not drawn, no p95 at some level: ${missing.map((r) => name(r)).join(', ')}.`);
  }
  return [chart.block, [chart.legend, ...notes].join(' ')];
}

/**
 * The service's pool and its database per level (src/metrics), "not measured" in every cell
 * loadgate had nothing for; one sentence when nothing at all was measured.
 */
function poolSection(levels: readonly LevelResult[], model: LoadModel): string[] {
  if (!anyPoolFigure(levels)) return [NOTHING_MEASURED];
  const header = [`Level (${levelUnit(model)})`, ...POOL_HEADER];
  const rows = poolRows(levels).map((cells) => cells.map((cell) => escapeMarkdown(cell)));
  const table = markdownTable([header, ...rows], { align: header.map(() => 'r') });
  const notes = poolNotes(levels).map((note) => escapeMarkdown(note, MAX_SUMMARY_CHARS));
  return [table, ...(notes.length > 0 ? [notes.join(' ')] : [])];
}

/**
 * What the slow levels most likely mean, one line per level: the blocking detector's probe
 * against its idle latency, the slow requests against their lowest level.
 */
function findingsList(findings: readonly Finding[], model: LoadModel): string {
  const lines = findings.map(
    (f) =>
      `- ${escapeMarkdown(formatLevel(f.level, model))}: **${CAUSE_WORDS[f.cause]}**: ${escapeMarkdown(f.evidence.join('; '), 600)}.`,
  );
  return [
    '**What the slow levels most likely mean** (probe = a cheap request beside the load; CPU = the service container’s and the runner’s):',
    ...lines,
  ].join('\n');
}

function gateSection(result: Result, maxBreaches: number): string[] {
  const { checked, breaches } = result.gate;
  if (breaches.length === 0) {
    return [
      '### Gate',
      checked === 0
        ? 'No gate check was made: no threshold is configured, or none matched a measured level.'
        : `${plural(checked, 'gate check', 'gate checks')}, no breach.`,
    ];
  }
  const listed = breaches.slice(0, Math.max(0, maxBreaches));
  const items = listed.map((b) => `- ${escapeMarkdown(b.reason, MAX_REASON_CHARS)}`);
  if (breaches.length > listed.length) {
    items.push(`- and ${breaches.length - listed.length} more (see result.json)`);
  }
  return [
    `### Gate: ${plural(breaches.length, 'breach', 'breaches')} in ${plural(checked, 'check', 'checks')}`,
    items.join('\n'),
  ];
}
