import type { Comparison } from '../compare/schema.ts';
import { escapeMarkdown } from '../report/escape.ts';
import { formatLevelNumber, levelUnit } from '../report/format.ts';
import { xyChartBlock } from '../report/mermaid.ts';
import type { Result } from '../result/schema.ts';
import type { Finding } from './findings.ts';

/**
 * The comment's chart of base against this run, as Mermaid xycharts (GitHub renders them in
 * comments). xychart has no legend and no dashes, so each request gets one hue, light for the
 * base and dark for this run, and a caption below names the lines; no string from the run goes
 * inside a block. Pure and deterministic.
 */

const HUES: readonly { name: string; base: string; run: string }[] = [
  { name: 'blue', base: '#93c5fd', run: '#1d4ed8' },
  { name: 'orange', base: '#fdba74', run: '#c2410c' },
  { name: 'green', base: '#86efac', run: '#15803d' },
  { name: 'purple', base: '#d8b4fe', run: '#7e22ce' },
];
/** Requests drawn per chart: two lines each. */
const MAX_REQUESTS = HUES.length;
/** Phases charted; the others are in the folded report. */
const MAX_PHASES = 3;
const MAX_NAME_CHARS = 60;

interface Series {
  label: string;
  color: string;
  values: number[];
}

/**
 * Stored baseline: per phase, p95 per level of the base (the comparison's per-metric baseline
 * values) and of this run, for the requests that regressed first. A line missing a value at some
 * level is left out (xychart draws no gaps) and the caption says so. Paired: one rate, so no
 * curve: p50, p95 and p99 of each side. Empty without a comparison, or when it was not comparable.
 */
export function comparisonChart(result: Result, findings: readonly Finding[]): string {
  const comparison = result.comparison;
  if (!comparison || comparison.verdict === 'not-comparable' || comparison.metrics.length === 0) return '';
  return comparison.mode === 'paired'
    ? pairedChart(comparison, result)
    : ladderCharts(comparison, result, findings);
}

function ladderCharts(comparison: Comparison, result: Result, findings: readonly Finding[]): string {
  const compared = new Set(comparison.metrics.map((m) => m.phase));
  const phases = [...new Set(result.levels.map((l) => l.phase))].filter((p) => compared.has(p));
  const several = phases.length > 1;
  const charts: string[] = [];
  for (const phase of phases.slice(0, MAX_PHASES)) {
    const levels = result.levels.filter((l) => l.phase === phase);
    const base = new Map(
      comparison.metrics
        .filter((m) => m.phase === phase && m.metric === 'p95Ms')
        .map((m) => [`${m.levelIndex}\u0000${m.request}`, m.baseline]),
    );
    const names = [...new Set(levels.flatMap((l) => l.requests.map((r) => r.name)))];
    const rank = (name: string) => {
      const here = findings.filter((f) => f.phase === phase && f.request === name);
      return here.some((f) => f.status === 'regressed') ? 0 : here.length > 0 ? 1 : 2;
    };
    const ordered = [...names].sort((a, b) => rank(a) - rank(b));
    const drawn = ordered.slice(0, MAX_REQUESTS);
    const series: Series[] = [];
    const missing: string[] = [];
    drawn.forEach((request, i) => {
      const hue = HUES[i] as (typeof HUES)[number];
      const baseValues = levels.map((_, index) => base.get(`${index}\u0000${request}`) ?? null);
      const runValues = levels.map((l) => l.requests.find((r) => r.name === request)?.p95Ms ?? null);
      const name = escapeMarkdown(request, MAX_NAME_CHARS);
      if (complete(baseValues)) series.push({ label: `${name}, base`, color: hue.base, values: baseValues });
      else missing.push(`${name}, base`);
      if (complete(runValues)) series.push({ label: `${name}, this run`, color: hue.run, values: runValues });
      else missing.push(`${name}, this run`);
    });
    const notes: string[] = [];
    if (ordered.length > drawn.length)
      notes.push(`${drawn.length} of ${ordered.length} requests drawn, those with findings first.`);
    if (missing.length > 0) notes.push(`Not drawn, no p95 at some level: ${missing.join('; ')}.`);
    const where = several ? `Phase ${escapeMarkdown(phase, MAX_NAME_CHARS)}: ` : '';
    if (series.length === 0) {
      if (notes.length > 0) charts.push(`${where}${notes.join(' ')}`);
      continue;
    }
    const categories = levels.map((l) => formatLevelNumber(l.level));
    charts.push(
      xyChartBlock({
        title: 'p95 per level: base (light) and this run (dark)',
        xLabel: levelUnit(result.loadModel),
        categories,
        yLabel: 'p95 (ms)',
        lines: series,
      }),
      `${where}${caption(series)}${notes.length > 0 ? ` ${notes.join(' ')}` : ''}`,
    );
  }
  if (phases.length > MAX_PHASES) {
    charts.push(`${phases.length - MAX_PHASES} more phases are charted in the full report.`);
  }
  return charts.join('\n\n');
}

function pairedChart(comparison: Comparison, result: Result): string {
  const percentiles = ['p50Ms', 'p95Ms', 'p99Ms'] as const;
  const requests = [...new Set(comparison.metrics.map((m) => m.request))];
  const drawn = requests.slice(0, MAX_REQUESTS);
  const series: Series[] = [];
  const missing: string[] = [];
  drawn.forEach((request, i) => {
    const hue = HUES[i] as (typeof HUES)[number];
    const metric = (p: (typeof percentiles)[number]) =>
      comparison.metrics.find((m) => m.request === request && m.metric === p);
    const baseValues = percentiles.map((p) => metric(p)?.baseline ?? null);
    const runValues = percentiles.map((p) => metric(p)?.candidate ?? null);
    const name = escapeMarkdown(request, MAX_NAME_CHARS);
    if (complete(baseValues)) series.push({ label: `${name}, base`, color: hue.base, values: baseValues });
    else missing.push(`${name}, base`);
    if (complete(runValues)) series.push({ label: `${name}, this run`, color: hue.run, values: runValues });
    else missing.push(`${name}, this run`);
  });
  const level = comparison.metrics[0]?.level;
  const at = level === undefined ? '' : ` at ${formatLevelNumber(level)} ${levelUnit(result.loadModel)}`;
  const intro = `Paired runs${at}: base and this run alternated on the same runner, so there is one level and no curve across levels; the lines join each side's p50, p95 and p99.`;
  const notes: string[] = [];
  if (requests.length > drawn.length) notes.push(`${drawn.length} of ${requests.length} requests drawn.`);
  if (missing.length > 0) notes.push(`Not drawn, a percentile missing: ${missing.join('; ')}.`);
  if (series.length === 0) return [intro, ...notes].join(' ');
  return [
    xyChartBlock({
      title: `latency${at}: base (light) and this run (dark)`,
      xLabel: 'percentile',
      categories: ['p50', 'p95', 'p99'],
      yLabel: 'latency (ms)',
      lines: series,
    }),
    [intro, caption(series), ...notes].join(' '),
  ].join('\n\n');
}

function complete(values: readonly (number | null)[]): values is number[] {
  return values.length > 0 && values.every((v) => v !== null && Number.isFinite(v));
}

function caption(series: readonly Series[]): string {
  const hue = (color: string) => {
    const h = HUES.find((c) => c.base === color || c.run === color);
    return h ? `${h.base === color ? 'light ' : ''}${h.name}` : color;
  };
  return `Lines in order: ${series.map((s, i) => `${i + 1}. ${s.label} (${hue(s.color)})`).join(', ')}.`;
}
