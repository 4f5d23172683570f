import { markdownTable } from 'markdown-table';
import type { Comparison } from '../compare/schema.ts';
import { escapeMarkdown } from '../report/escape.ts';
import { formatLevelNumber, levelUnit } from '../report/format.ts';
import type { Result, Verdict } from '../result/schema.ts';
import { GitHubApiError, type GitHubClient, type IssueComment } from './client.ts';
import { comparisonChart } from './comparisonChart.ts';
import {
  type Finding,
  type FindingStatus,
  findingsOf,
  formatChange,
  formatMetricValue,
  kneeHeadlines,
  metricLabel,
  verdictExplanation,
} from './findings.ts';
import { shellCommand } from './shell.ts';

/** GitHub rejects a comment body longer than this (characters). */
export const GITHUB_COMMENT_MAX_CHARS = 65_536;
/** What loadgate allows itself: a margin under GitHub's limit for counting differences. */
export const COMMENT_MAX_CHARS = 65_000;
/** The login GITHUB_TOKEN's comments carry; GET /user is not allowed for that token. */
export const ACTIONS_BOT_LOGIN = 'github-actions[bot]';

const MAX_FINDING_ROWS = 30;
const SHORT_FINDING_ROWS = 5;
const MAX_REASONS = 10;
const MAX_REASON_CHARS = 300;
const MAX_SUMMARY_CHARS = 300;
const MAX_COMMAND_CHARS = 3_000;

/**
 * The hidden first line that finds a job's comment again. The key keeps only characters that
 * cannot end an HTML comment, so no config name can forge or break it.
 */
export function commentMarker(jobKey: string): string {
  const key =
    jobKey
      .replace(/[^A-Za-z0-9._/:+=-]/g, '_')
      .replace(/-{2,}/g, '-')
      .slice(0, 200) || 'default';
  return `<!-- loadgate:${key} -->`;
}

export type { Finding, FindingChange, FindingStatus } from './findings.ts';
export { findingsFromBreaches, findingsFromComparison, findingsOf } from './findings.ts';

export interface CommentInput {
  /** one comment per job key: the config path, plus the matrix's overrides when they differ */
  jobKey: string;
  result: Result;
  /** report.md as renderReport made it */
  reportMarkdown: string;
  /** default: findingsOf(result), the gate's breaches and the comparison's verdicts */
  findings?: readonly Finding[];
  /** Mermaid chart(s) shown open; default: base against this run when compared, else those of the report */
  chartMarkdown?: string;
  /** the run's page and the report artifact's, when known */
  links?: { runUrl?: string; artifactUrl?: string; artifactName?: string };
  /** the command that reproduces the run locally */
  reproduce?: Reproduce;
  /** where the run came from, shown escaped */
  head?: { ref?: string; sha?: string };
}

const VERDICT_LINE: Readonly<Record<Verdict, string>> = {
  pass: '✅ **loadgate: PASS**',
  fail: '❌ **loadgate: FAIL**',
  regressed: '❌ **loadgate: REGRESSED**',
  inconclusive: '⚠️ **loadgate: INCONCLUSIVE**',
  'not-comparable': '⚠️ **loadgate: NOT COMPARABLE**',
  error: '💥 **loadgate: ERROR**',
};

const STATUS_WORDS: Readonly<Record<FindingStatus, string>> = {
  regressed: '🔺 regressed',
  breach: '⛔ gate breach',
  improved: '🟢 improved',
  inconclusive: '❔ inconclusive',
};

/** The parts of the comment above the links, shared with the job summary. */
interface Overview {
  /** the verdict line, the knee's move, where the run came from */
  head: string;
  /** why the runs could not be compared; '' when they could */
  notComparable: string;
  table: string;
  /** the table with fewer rows, for when the comment is short of room */
  shortTable: string;
  /** how the comparison judged, folded */
  judged: string;
  chart: string;
}

function overview(input: CommentInput): Overview {
  const { result } = input;
  const findings = input.findings ?? findingsOf(result);
  const partial = result.partial ? ' (partial run)' : '';
  const headline = `${VERDICT_LINE[result.verdict]}${partial} — ${verdictExplanation(result, findings, MAX_SUMMARY_CHARS)}`;
  const context: string[] = input.jobKey === '' ? [] : [`Config \`${inertCode(input.jobKey, 200)}\``];
  if (input.head?.ref) context.push(`branch ${escapeMarkdown(input.head.ref, 120)}`);
  if (input.head?.sha) context.push(`commit ${escapeMarkdown(input.head.sha.slice(0, 12), 12)}`);
  context.push(`run ${escapeMarkdown(result.runId, 60)}`);
  const comparison = result.comparison;
  if (comparison) {
    const b = comparison.baseline;
    const commit = b.commit ? ` (commit ${escapeMarkdown(b.commit.slice(0, 12), 12)})` : '';
    context.push(
      comparison.mode === 'paired'
        ? `paired with the base revision${commit}`
        : `against base run ${escapeMarkdown(b.runId, 60)}${commit}`,
    );
  }
  const knees = kneeHeadlines(comparison);
  const head = [headline, ...(knees.length > 0 ? [knees.join('\n')] : []), context.join(' · ')].join('\n\n');
  return {
    head,
    notComparable: comparison?.verdict === 'not-comparable' ? notComparableBlock(comparison) : '',
    table: findingsTable(findings, result, MAX_FINDING_ROWS),
    shortTable: findingsTable(findings, result, SHORT_FINDING_ROWS),
    judged: comparison && comparison.verdict !== 'not-comparable' ? judgedBlock(comparison, findings) : '',
    chart: input.chartMarkdown ?? (comparisonChart(result, findings) || extractCharts(input.reportMarkdown)),
  };
}

/**
 * The sticky comment's body: the marker, then a first line with the verdict and why (slower or
 * less reliable than the base, and where; a gate breach; or why the runs could not be compared),
 * the knee's move when it moved, a table of what regressed, breached, improved or is
 * inconclusive, how the comparison judged (folded), the chart of base against this run, links to
 * the run and the report artifact, the command that reproduces the run, and the full report
 * folded. Every string from a config, a service or a pull request is rendered inert. The body
 * never exceeds COMMENT_MAX_CHARS: the folded report is shortened section by section, then left
 * out, with a note; then the chart, the folded judgement and table rows go; the marker is the
 * first line and is never cut. Pure and deterministic.
 */
export function renderComment(input: CommentInput, maxChars: number = COMMENT_MAX_CHARS): string {
  const marker = commentMarker(input.jobKey);
  const o = overview(input);
  const links = linkLine(input.links);
  const reproduce = input.reproduce ? reproduceBlock(input.reproduce) : '';
  const assemble = (parts: readonly string[]) => `${parts.filter((s) => s !== '').join('\n\n')}\n`;

  // What goes when room runs out, in order: the report (shortened first), the chart, the
  // folded judgement, then table rows.
  const attempts: { table: string; judged: string; chart: string }[] = [
    { table: o.table, judged: o.judged, chart: o.chart },
    { table: o.table, judged: o.judged, chart: '' },
    { table: o.table, judged: '', chart: '' },
    { table: o.shortTable, judged: '', chart: '' },
  ];
  let body = '';
  for (const a of attempts) {
    const parts = [marker, o.head, o.notComparable, a.table, a.judged, a.chart, links, reproduce];
    // +2: the blank line before the folded report
    const details = foldedReport(input.reportMarkdown, maxChars - assemble(parts).length - 2);
    body = assemble([...parts, details]);
    if (body.length <= maxChars) return body;
  }
  // Only reachable with absurd limits: cut the end, keeping the marker and headline first.
  const note = '\n\n…(cut to fit a comment; see the report artifact)\n';
  return body.slice(0, Math.max(marker.length + 1, maxChars - note.length)) + note;
}

/**
 * The job summary: report.md as it is when the run was not compared (it opens with the verdict
 * and lists the gate's breaches); when it was, the comment's overview (verdict and where, the
 * knee, the table, the chart) above the whole report.
 */
export function renderSummary(input: CommentInput): string {
  if (!input.result.comparison) return input.reportMarkdown;
  const o = overview(input);
  const parts = [o.head, o.notComparable, o.table, o.judged, o.chart, '---', input.reportMarkdown.trimEnd()];
  return `${parts.filter((s) => s !== '').join('\n\n')}\n`;
}

function notComparableBlock(comparison: Comparison): string {
  const reasons = comparison.notComparable.length > 0 ? comparison.notComparable : [comparison.summary];
  return [
    'The base and this run cannot be compared, so no metric was judged:',
    ...reasons.slice(0, 10).map((r) => `- ${escapeMarkdown(r, MAX_REASON_CHARS)}`),
  ].join('\n');
}

function judgedBlock(comparison: Comparison, findings: readonly Finding[]): string {
  const b = comparison.baseline;
  const mode =
    comparison.mode === 'paired'
      ? 'paired runs: base and this run alternated on the same runner (ABBA)'
      : 'a stored baseline';
  const commit = b.commit ? `, commit ${escapeMarkdown(b.commit.slice(0, 12), 12)}` : '';
  const c = comparison.counts;
  const against =
    comparison.mode === 'paired'
      ? `Base: ${escapeMarkdown(b.source, 120)}${commit} (loadgate ${escapeMarkdown(b.toolVersion, 20)}), ${mode}.`
      : `Against run ${escapeMarkdown(b.runId, 60)} (${escapeMarkdown(b.source, 120)}${commit}; loadgate ${escapeMarkdown(b.toolVersion, 20)}), ${mode}.`;
  const lines = [
    against,
    `${comparison.checks} one-sided tests at α = ${comparison.policy.alpha}, Holm-corrected: ${c.regressed} regressed, ${c.improved} improved, ${c.inconclusive} inconclusive, ${c.unchanged} unchanged.`,
    ...comparison.notes.slice(0, 5).map((n) => `${escapeMarkdown(n, MAX_REASON_CHARS)}.`),
  ];
  const reasons = [
    ...findings.filter((f) => f.status === 'regressed'),
    ...findings.filter((f) => f.status === 'inconclusive'),
  ]
    .slice(0, MAX_REASONS)
    .map((f) => `- ${escapeMarkdown(f.reason, MAX_REASON_CHARS)}`);
  return [
    '<details><summary>How this was judged</summary>',
    lines.join(' '),
    ...(reasons.length > 0 ? [reasons.join('\n')] : []),
    '</details>',
  ].join('\n\n');
}

function findingsTable(findings: readonly Finding[], result: Result, maxRows: number): string {
  if (findings.length === 0) {
    if (result.comparison?.verdict === 'not-comparable') return 'No gate breach.';
    return result.comparison
      ? 'No regression, gate breach or inconclusive result.'
      : 'No gate breach. (No baseline was compared: regressions are not judged.)';
  }
  const order: FindingStatus[] = ['regressed', 'breach', 'inconclusive', 'improved'];
  const sorted = [...findings].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
  const shown = sorted.slice(0, maxRows);
  // Columns a reader needs: base and change only with a comparison, the limit only with a breach.
  const compared = findings.some((f) => f.change !== null);
  const breached = findings.some((f) => f.status === 'breach');
  const rows = shown.map((f) => [
    STATUS_WORDS[f.status],
    escapeMarkdown(f.phase, 40),
    formatLevelNumber(f.level),
    escapeMarkdown(f.request, 60),
    metricLabel(f.metric),
    ...(compared ? [formatMetricValue(f.metric, f.base)] : []),
    formatMetricValue(f.metric, f.candidate),
    ...(compared ? [formatChange(f)] : []),
    ...(breached ? [formatMetricValue(f.metric, f.limit)] : []),
  ]);
  const header = [
    '',
    'Phase',
    `Level (${levelUnit(result.loadModel)})`,
    'Request',
    'Metric',
    ...(compared ? ['Base'] : []),
    'This run',
    ...(compared ? ['Change (interval)'] : []),
    ...(breached ? ['Limit'] : []),
  ];
  const align = header.map((_, i) => (i === 2 || i >= 5 ? 'r' : 'l'));
  const table = markdownTable([header, ...rows], { align });
  const more =
    sorted.length > shown.length ? `\n\n…and ${sorted.length - shown.length} more in result.json.` : '';
  return `${table}${more}`;
}

/** The report's Mermaid blocks, each with the caption line that follows it. */
export function extractCharts(reportMarkdown: string): string {
  const blocks: string[] = [];
  const re = /```mermaid\n[\s\S]*?\n```(?:\n\n(Lines in order:[^\n]*))?/g;
  for (const match of reportMarkdown.matchAll(re)) blocks.push(match[0]);
  return blocks.join('\n\n');
}

function linkLine(links: CommentInput['links']): string {
  if (!links) return '';
  const parts: string[] = [];
  if (links.runUrl && isHttpUrl(links.runUrl)) parts.push(`[the run](${links.runUrl})`);
  if (links.artifactUrl && isHttpUrl(links.artifactUrl)) {
    parts.push(`[the full report](${links.artifactUrl})`);
  } else if (links.artifactName && links.runUrl && isHttpUrl(links.runUrl)) {
    parts.push(`the full report: artifact \`${inertCode(links.artifactName, 100)}\` of the run`);
  }
  return parts.length === 0 ? '' : `See ${parts.join(' · ')}.`;
}

/** URLs we build ourselves from the runner's environment; anything odd is left out. */
function isHttpUrl(url: string): boolean {
  return /^https?:\/\/[A-Za-z0-9.:[\]-]+(\/[A-Za-z0-9._~%/+-]*)?$/.test(url);
}

/** What reproduces a run: its config and overrides, and the package npx runs (a release tarball). */
export interface Reproduce {
  configPath: string;
  overrides: readonly string[];
  /** npx's --package: the release tarball's URL (loadgate is not on the npm registry) */
  packageSpec?: string;
}

/** The words of `loadgate run` that reproduce a run locally, same config and overrides. */
export function reproduceCommand(reproduce: Reproduce): string {
  return shellCommand([
    'npx',
    ...(reproduce.packageSpec ? ['--yes', `--package=${reproduce.packageSpec}`, '--'] : []),
    'loadgate',
    'run',
    '--config',
    reproduce.configPath,
    ...reproduce.overrides.flatMap((o) => ['--set', o]),
  ]);
}

function reproduceBlock(reproduce: Reproduce): string {
  const command = reproduceCommand(reproduce);
  if (command.length > MAX_COMMAND_CHARS) {
    const run = reproduceCommand({ ...reproduce, configPath: '…', overrides: [] }).replace(
      / --config …$/,
      '',
    );
    return `To reproduce locally: \`${inertCode(run, 500)}\` with the same config and ${reproduce.overrides.length} overrides (the command is ${command.length} characters long; see the action's inputs).`;
  }
  // A fence longer than any backtick run inside cannot be closed by the command; the command
  // is one line (shellQuote turns control characters into $'\n'), so it cannot open a new block.
  const longestRun = Math.max(0, ...[...command.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `Reproduce locally:\n\n${fence}sh\n${command}\n${fence}`;
}

/** Text inside a code span: no backtick can close it, and it stays on one line. */
function inertCode(text: string, maxChars: number): string {
  const oneLine = text.replace(/[\r\n\t]+/g, ' ').replaceAll('`', 'ˋ');
  return oneLine.length > maxChars ? `${oneLine.slice(0, maxChars - 1)}…` : oneLine || ' ';
}

/**
 * The report folded in <details>, whole when it fits in `budget` characters, else its first
 * sections (report.md separates sections by blank lines; a table or chart is never split) with
 * a note, else only the note.
 */
function foldedReport(reportMarkdown: string, budget: number): string {
  const open = '<details><summary>Full report</summary>\n\n';
  const close = '\n\n</details>';
  const whole = `${open}${reportMarkdown.trimEnd()}${close}`;
  if (whole.length <= budget) return whole;
  const sections = reportMarkdown.trimEnd().split(/\n{2,}/);
  const note = (kept: number) =>
    `*The report is ${reportMarkdown.length} characters, more than a comment holds: ${kept} of ${sections.length} sections are shown. The whole report is in the artifact and the job summary.*`;
  const kept: string[] = [];
  for (const section of sections) {
    const candidate = `${open}${[...kept, section].join('\n\n')}\n\n${note(kept.length + 1)}${close}`;
    if (candidate.length > budget) break;
    kept.push(section);
  }
  if (kept.length === 0) {
    const only = note(0);
    return only.length <= budget ? only : '';
  }
  return `${open}${kept.join('\n\n')}\n\n${note(kept.length)}${close}`;
}

// ---------------------------------------------------------------------------------------------
// Posting

export type StickyAction = 'created' | 'updated' | 'unchanged';

export interface StickyOutcome {
  action: StickyAction;
  commentId: number;
  url: string;
  /** duplicates with the marker that were removed (races, or an older loadgate) */
  removed: number[];
  /** the login whose comments were considered loadgate's */
  identity: string;
}

/** Whether a comment's author is this identity ("github-actions" and "github-actions[bot]" match). */
export function isSameAuthor(authorLogin: string, identity: string): boolean {
  const norm = (login: string) => login.toLowerCase().replace(/\[bot\]$/, '');
  return authorLogin !== '' && norm(authorLogin) === norm(identity);
}

/** Whether a comment is the job's: its first line is the marker, and its author is ours. */
function isOurs(comment: IssueComment, marker: string, identity: string): boolean {
  return isSameAuthor(comment.authorLogin, identity) && comment.body.split('\n', 1)[0]?.trim() === marker;
}

function oldestFirst(a: IssueComment, b: IssueComment): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id;
}

/**
 * One comment per job on a pull request: finds the comments that carry the body's marker and
 * were written by the token's identity (across all pages), keeps the oldest, deletes the rest,
 * and updates it in place unless unchanged; creates one when there is none. Safe against
 * concurrent runs: after creating, it looks again, and every run keeps the same (oldest)
 * comment, so exactly one is left. The identity is `author` when given, else the token's
 * login (GET /user), else github-actions[bot] (GITHUB_TOKEN may not read /user); the login
 * on a comment just created confirms it. Throws GitHubApiError.
 */
export async function upsertStickyComment(
  client: GitHubClient,
  options: { issueNumber: number; body: string; author?: string },
): Promise<StickyOutcome> {
  const { issueNumber, body } = options;
  const marker = body.split('\n', 1)[0] ?? '';
  if (!/^<!-- loadgate:[^\n]* -->$/.test(marker))
    throw new Error('the comment body must start with its marker');
  let identity = options.author || (await client.authenticatedLogin()) || ACTIONS_BOT_LOGIN;

  const existing = (await client.listComments(issueNumber))
    .filter((c) => isOurs(c, marker, identity))
    .sort(oldestFirst);
  if (existing.length === 0) {
    const created = await client.createComment(issueNumber, body);
    if (created.authorLogin) identity = created.authorLogin;
    // Another run may have created its own meanwhile: keep the oldest, whoever wrote it last.
    const after = (await client.listComments(issueNumber))
      .filter((c) => isOurs(c, marker, identity))
      .sort(oldestFirst);
    const keep = after[0] ?? created;
    const removed = await deleteAll(client, after.slice(1));
    if (keep.id !== created.id) {
      const updated = keep.body === body ? keep : await updateOrRecreate(client, issueNumber, keep, body);
      return { action: 'updated', commentId: updated.id, url: updated.htmlUrl, removed, identity };
    }
    return { action: 'created', commentId: created.id, url: created.htmlUrl, removed, identity };
  }
  const keep = existing[0] as IssueComment;
  const removed = await deleteAll(client, existing.slice(1));
  if (keep.body === body) {
    return { action: 'unchanged', commentId: keep.id, url: keep.htmlUrl, removed, identity };
  }
  const updated = await updateOrRecreate(client, issueNumber, keep, body);
  return {
    action: updated.id === keep.id ? 'updated' : 'created',
    commentId: updated.id,
    url: updated.htmlUrl,
    removed,
    identity,
  };
}

/** Deletes comments; one already gone (another run removed it) is fine. */
async function deleteAll(client: GitHubClient, comments: readonly IssueComment[]): Promise<number[]> {
  const removed: number[] = [];
  for (const comment of comments) {
    try {
      await client.deleteComment(comment.id);
      removed.push(comment.id);
    } catch (error) {
      if (!(error instanceof GitHubApiError && error.kind === 'not-found')) throw error;
    }
  }
  return removed;
}

/** Updates a comment; if someone deleted it meanwhile, creates a new one. */
async function updateOrRecreate(
  client: GitHubClient,
  issueNumber: number,
  comment: IssueComment,
  body: string,
): Promise<IssueComment> {
  try {
    return await client.updateComment(comment.id, body);
  } catch (error) {
    if (error instanceof GitHubApiError && error.kind === 'not-found')
      return client.createComment(issueNumber, body);
    throw error;
  }
}

export type CommentStatus = StickyAction | 'skipped';

export interface PostOutcome {
  status: CommentStatus;
  /** what happened, one line for the log; for `skipped`, why and what to do */
  message: string;
  /** how the action should tell it: info, a notice (expected, e.g. a fork) or a warning */
  level: 'info' | 'notice' | 'warning';
  url?: string;
}

/**
 * Posts the sticky comment and turns every GitHub failure into a defined outcome instead of an
 * exception: a read-only token (a fork's pull request) is a notice pointing at the companion
 * workflow, a deleted pull request or a rate limit a warning. A comment is never worth failing
 * the load test over; the report is in the job summary and the output folder either way.
 */
export async function postStickyComment(
  client: GitHubClient,
  options: { issueNumber: number; body: string; author?: string; reportPath?: string },
): Promise<PostOutcome> {
  const where = options.reportPath ? ` The report is saved in ${options.reportPath}.` : '';
  try {
    const outcome = await upsertStickyComment(client, options);
    const removed = outcome.removed.length > 0 ? ` (removed ${outcome.removed.length} duplicate)` : '';
    return {
      status: outcome.action,
      message: `loadgate comment ${outcome.action} on #${options.issueNumber}: ${outcome.url}${removed}`,
      level: 'info',
      url: outcome.url,
    };
  } catch (error) {
    if (!(error instanceof GitHubApiError)) throw error;
    const n = options.issueNumber;
    switch (error.kind) {
      case 'forbidden':
      case 'unauthorized':
        return {
          status: 'skipped',
          level: 'notice',
          message:
            `No comment on #${n}: the token may not write to this pull request (a pull request from a fork ` +
            `gets a read-only token; or grant "pull-requests: write").${where} Upload the output folder as ` +
            `an artifact and let the companion workflow (examples/workflows/loadgate-comment.yml) post it. (${error.message})`,
        };
      case 'not-found':
      case 'gone':
        return {
          status: 'skipped',
          level: 'warning',
          message: `No comment: pull request #${n} was not found (deleted, or the token cannot see it).${where} (${error.message})`,
        };
      case 'rate-limited':
        return {
          status: 'skipped',
          level: 'warning',
          message: `No comment on #${n}: ${error.message}. The comment is skipped rather than waited for.${where}`,
        };
      default:
        return {
          status: 'skipped',
          level: 'warning',
          message: `No comment on #${n}: ${error.message}.${where}`,
        };
    }
  }
}
