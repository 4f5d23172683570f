import { markdownTable } from 'markdown-table';
import type { Result } from '../result/schema.ts';
import { escapeMarkdown } from './escape.ts';
import { formatLevel, formatMs } from './format.ts';
import { paletteChart } from './mermaid.ts';

const MAX_NAME_CHARS = 60;

/**
 * The report's trend over the stored history (result.trend, a nightly run's series): p95 of each
 * request at one level, one point per run, this run last, as a Mermaid line chart; this run
 * against the median of the runs before it; the points as a folded table. Nothing without a
 * trend of at least two points. Pure.
 */
export function trendSection(result: Pick<Result, 'trend' | 'loadModel'>): string[] {
  const trend = result.trend;
  if (!trend || trend.points.length < 2) return [];
  const name = (text: string) => escapeMarkdown(text, MAX_NAME_CHARS);
  const runs = trend.points.length;
  const at = `${formatLevel(trend.level, result.loadModel)}`;
  const sections = [
    `### Trend: p95 at ${escapeMarkdown(at, 40)} (${name(trend.phase)}), the last ${runs} runs of ${escapeMarkdown(trend.source, 200)}`,
  ];

  const drawable = trend.requests
    .map((request, i) => ({ request, values: trend.points.map((p) => p.p95Ms[i] ?? null) }))
    .filter((line): line is { request: string; values: number[] } => line.values.every((v) => v !== null));
  const missing = trend.requests.filter((r) => !drawable.some((d) => d.request === r));
  const notes: string[] = [];
  if (missing.length > 0) {
    notes.push(`Not drawn, not measured in every run: ${missing.map(name).join(', ')}.`);
  }
  if (trend.skipped > 0) {
    notes.push(
      `${trend.skipped} stored ${trend.skipped === 1 ? 'run is' : 'runs are'} left out: another load, k6 or runner.`,
    );
  }
  if (drawable.length > 0) {
    const chart = paletteChart(
      {
        title: 'p95 per run, oldest to this run',
        xLabel: 'run started (UTC)',
        categories: categories(trend.points.map((p) => p.startedAt)),
        yLabel: 'p95 (ms)',
      },
      drawable.map((line) => ({ label: name(line.request), values: line.values })),
    );
    const cut = drawable.length > chart.drawn ? [`Only the first ${chart.drawn} requests are drawn.`] : [];
    sections.push(chart.block, [chart.legend, 'The last point is this run.', ...cut, ...notes].join(' '));
  } else if (notes.length > 0) sections.push(notes.join(' '));

  const changes = trend.requests.flatMap((request, i) => {
    const before = trend.points
      .slice(0, -1)
      .map((p) => p.p95Ms[i])
      .filter((v): v is number => v !== null && v !== undefined);
    const now = trend.points.at(-1)?.p95Ms[i];
    if (before.length === 0 || now === null || now === undefined) return [];
    const typical = median(before);
    if (!(typical > 0)) return [];
    const change = now / typical - 1;
    return [
      `${name(request)} ${formatMs(now)} ms (${change >= 0 ? '+' : '−'}${(Math.abs(change) * 100).toFixed(1)}%)`,
    ];
  });
  if (changes.length > 0) {
    sections.push(`This run against the median of the ${runs - 1} before it: ${changes.join('; ')}.`);
  }
  const levels = trend.changePoints ?? [];
  if (levels.length > 0) {
    sections.push(
      [
        'Where the series changed level (change points: E-divisive means, Hunter’s t test):',
        ...levels.slice(0, 20).map((c) => {
          const commit =
            c.commit && /^[0-9a-f]{7,64}$/i.test(c.commit) ? ` (\`${c.commit.slice(0, 7)}\`)` : '';
          const where = `${c.metric.replace('Ms', '')} of ${name(c.request)} at ${escapeMarkdown(formatLevel(c.level, result.loadModel), 40)} (${name(c.phase)})`;
          const sign = c.change >= 0 ? '+' : '−';
          return `- ${where}: ${sign}${(Math.abs(c.change) * 100).toFixed(1)}%, ${formatMs(c.beforeMs)} → ${formatMs(c.afterMs)} ms from run ${escapeMarkdown(c.runId, 60)}${commit}`;
        }),
        ...(levels.length > 20 ? [`- and ${levels.length - 20} more (see result.json)`] : []),
      ].join('\n'),
    );
  }

  const header = ['Run', 'Started (UTC)', 'Commit', ...trend.requests.map((r) => `p95 ${name(r)} (ms)`)];
  const rows = trend.points.map((p, index) => [
    `${escapeMarkdown(p.runId, 60)}${index === runs - 1 ? ' (this run)' : ''}`,
    escapeMarkdown(p.startedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''), 30),
    p.commit && /^[0-9a-f]{7,64}$/i.test(p.commit) ? `\`${p.commit.slice(0, 7)}\`` : '—',
    ...p.p95Ms.map((v) => (v === null ? '—' : formatMs(v))),
  ]);
  sections.push(
    [
      '<details><summary>The runs</summary>',
      '',
      markdownTable([header, ...rows], { align: header.map((_, i) => (i < 3 ? 'l' : 'r')) }),
      '',
      '</details>',
    ].join('\n'),
  );
  return sections;
}

/** "11-21 06:00" from an ISO time; our own digits only, so safe inside a chart. */
function categories(startedAt: readonly string[]): string[] {
  const labels = startedAt.map((iso) => {
    const m = /^\d{4}-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(iso);
    return m ? `${m[1]}-${m[2]} ${m[3]}:${m[4]}` : '?';
  });
  // a category appears once on the axis: repeated labels get their position
  return labels.map((label, i) =>
    labels.indexOf(label) === i && label !== '?' ? label : `${label} #${i + 1}`,
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
