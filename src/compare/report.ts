import { markdownTable } from 'markdown-table';
import { escapeMarkdown } from '../report/escape.ts';
import { formatLevel, formatLevelNumber, formatMs, formatRate } from '../report/format.ts';
import type { Result } from '../result/schema.ts';
import { describeChangePoint } from './compare.ts';
import { explainKnee, KNEE_GAIN, kneeLevelsOfResult, kneesOf } from './knee.ts';
import { DEFAULT_POLICY } from './policy.ts';
import type { Comparison, MetricComparison, Policy } from './schema.ts';

/** Rows of the comparison table before "and N more": the regressions come first. */
const MAX_ROWS = 60;
const MAX_REASON_CHARS = 300;
const dash = '—';

const METRIC_LABEL: Record<MetricComparison['metric'], string> = {
  p50Ms: 'p50',
  p95Ms: 'p95',
  p99Ms: 'p99',
  errorRate: 'errors',
  timeoutRate: 'timeouts',
};
const VERDICT_LABEL: Record<MetricComparison['verdict'], string> = {
  regressed: '**regressed**',
  improved: 'improved',
  unchanged: 'unchanged',
  inconclusive: 'inconclusive',
};
const ORDER: Record<MetricComparison['verdict'], number> = {
  regressed: 0,
  inconclusive: 1,
  improved: 2,
  unchanged: 3,
};

/**
 * The report's sections about knees and baselines: the knee of every phase (every run), then,
 * when the run was compared, the comparison: its verdict and why, the knee's move, the noise
 * assumed, and a table of every metric that did not stay unchanged. Text from configs and
 * services is escaped.
 */
export function comparisonSections(result: Result, policy: Policy = DEFAULT_POLICY): string[] {
  const sections: string[] = [];
  const comparison = result.comparison;
  const limits = comparison?.policy.knee ?? policy.knee;
  const knees = kneesOf(kneeLevelsOfResult(result.levels), limits);
  if (knees.length > 0) {
    const several = knees.length > 1;
    const list = knees
      .map(
        (k) =>
          `${several ? `${escapeMarkdown(k.phase)}: ` : ''}${escapeMarkdown(explainKnee(k, result.loadModel), 400)}`,
      )
      .join('; ');
    sections.push(
      `Knee: ${list}. The knee is the last level before throughput stops growing with the load (under ${formatLevelNumber(KNEE_GAIN.bendShare * 100)}% of the lowest level's throughput per unit; flat under ${formatLevelNumber(KNEE_GAIN.flatShare * 100)}%, else between two levels) while the p95 weighted by traffic rises ${formatLevelNumber(limits.p95Factor)}× the lowest level's, or errors reach ${formatRate(limits.maxErrorRate)}.`,
    );
  }
  if (comparison !== undefined) sections.push(...renderComparison(comparison, result.loadModel));
  return sections;
}

/** The comparison alone, for report.md and `loadgate compare`. */
export function renderComparison(comparison: Comparison, model: Result['loadModel']): string[] {
  const b = comparison.baseline;
  const commit = b.commit ? `, commit ${escapeMarkdown(b.commit.slice(0, 12), 12)}` : '';
  const mode = comparison.mode === 'paired' ? 'paired runs' : 'stored baseline';
  const sections = [
    `### Comparison: ${verdictWord(comparison.verdict)}`,
    `Against run ${escapeMarkdown(b.runId, 60)} (${escapeMarkdown(b.source, 120)}${commit}; loadgate ${escapeMarkdown(b.toolVersion, 20)}), ${mode}.`,
    escapeMarkdown(comparison.summary, 1000),
  ];
  if (comparison.verdict === 'not-comparable') {
    sections.push(
      [
        'The runs cannot be compared, so no metric was judged:',
        ...comparison.notComparable.map((r) => `- ${escapeMarkdown(r, MAX_REASON_CHARS)}`),
      ].join('\n'),
    );
    return sections;
  }
  const findings = (comparison.findings ?? []).map((f) => `- ${escapeMarkdown(f, MAX_REASON_CHARS)}`);
  if (findings.length > 0) sections.push(findings.join('\n'));
  const moved = comparison.knees.map((k) => `- ${escapeMarkdown(k.headline, 200)}`);
  if (moved.length > 0) sections.push(moved.join('\n'));
  const changes = comparison.changePoints ?? [];
  if (changes.length > 0) {
    sections.push(
      [
        `Change points in the stored series (E-divisive means, Hunter's t test at p ≤ ${comparison.policy.changePointP ?? 0.002} over all the series searched): where it changed level, so a slower build taken as the baseline is not missed:`,
        ...changes
          .slice(0, MAX_ROWS)
          .map((c) => `- ${escapeMarkdown(describeChangePoint(c, model), MAX_REASON_CHARS)}`),
      ].join('\n'),
    );
  }
  const p = comparison.policy;
  const notes = [
    ...comparison.notes.map((n) => escapeMarkdown(n, MAX_REASON_CHARS)),
    `${comparison.checks} one-sided tests at α = ${p.alpha}, Holm-corrected; floors p50 ${formatRate(p.floors.p50Ms)}, p95 ${formatRate(p.floors.p95Ms)}, p99 ${formatRate(p.floors.p99Ms)}, errors ×${p.floors.errorRate.ratio} and +${formatRate(p.floors.errorRate.absolute)}, timeouts ×${p.floors.timeoutRate.ratio} and +${formatRate(p.floors.timeoutRate.absolute)}; a percentile with fewer than ${p.minTailSamples} samples beyond it is not judged`,
  ];
  sections.push(notes.map((n) => `${n}.`).join(' '));

  const shown = comparison.metrics
    .filter((m) => m.verdict !== 'unchanged')
    .sort((x, y) => ORDER[x.verdict] - ORDER[y.verdict]);
  const unchanged = comparison.metrics.length - shown.length;
  if (shown.length === 0) {
    sections.push(`All ${comparison.metrics.length} comparisons unchanged.`);
    return sections;
  }
  const rows = shown
    .slice(0, MAX_ROWS)
    .map((m) => [
      escapeMarkdown(m.phase),
      escapeMarkdown(formatLevel(m.level, model)),
      escapeMarkdown(m.request),
      METRIC_LABEL[m.metric],
      value(m, m.baseline),
      value(m, m.candidate),
      escapeMarkdown(change(m)),
      m.pWorseAdjusted === null
        ? dash
        : escapeMarkdown(formatP(Math.min(m.pWorseAdjusted, m.pBetterAdjusted ?? 1))),
      VERDICT_LABEL[m.verdict],
    ]);
  const header = [
    'Phase',
    'Level',
    'Request',
    'Metric',
    'Baseline',
    'This run',
    'Change (interval)',
    'p (Holm)',
    'Verdict',
  ];
  sections.push(markdownTable([header, ...rows], { align: ['l', 'r', 'l', 'l', 'r', 'r', 'r', 'r', 'l'] }));
  const more = shown.length - Math.min(shown.length, MAX_ROWS);
  const tail = [
    ...(more > 0 ? [`and ${more} more rows`] : []),
    ...(unchanged > 0 ? [`${unchanged} unchanged not listed`] : []),
  ];
  if (tail.length > 0) sections.push(`${tail.join('; ')} (see result.json).`);
  const reasons = shown
    .filter((m) => m.verdict !== 'improved')
    .slice(0, 10)
    .map((m) => `- ${escapeMarkdown(m.reason, MAX_REASON_CHARS)}`);
  if (reasons.length > 0) sections.push(reasons.join('\n'));
  return sections;
}

function verdictWord(verdict: Comparison['verdict']): string {
  return {
    pass: 'no regression',
    regressed: 'REGRESSED',
    inconclusive: 'inconclusive',
    'not-comparable': 'not comparable',
  }[verdict];
}

function value(m: MetricComparison, v: number | null): string {
  if (v === null) return dash;
  return m.metric === 'errorRate' || m.metric === 'timeoutRate'
    ? escapeMarkdown(formatRate(v))
    : `${formatMs(v)} ms`;
}

function change(m: MetricComparison): string {
  if (m.change === null) return dash;
  const rate = m.metric === 'errorRate' || m.metric === 'timeoutRate';
  const fmt = (x: number) => {
    const text = rate ? `${(Math.abs(x) * 100).toFixed(2)} pp` : `${(Math.abs(x) * 100).toFixed(1)}%`;
    return `${x < 0 ? '−' : '+'}${text}`;
  };
  const interval =
    m.changeLow !== null && m.changeHigh !== null ? ` (${fmt(m.changeLow)} … ${fmt(m.changeHigh)})` : '';
  return `${fmt(m.change)}${interval}`;
}

function formatP(p: number): string {
  return p < 0.0001 ? '<0.0001' : p.toPrecision(2);
}
