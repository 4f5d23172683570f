import { type Mode, Outputs } from '../action/inputs.ts';
import { savable } from '../baseline/names.ts';
import type { Result, Verdict } from '../result/schema.ts';
import type { GitHubClient } from './client.ts';
import {
  type PostOutcome,
  postStickyComment,
  type Reproduce,
  renderComment,
  renderSummary,
} from './comment.ts';
import { type GitHubRunContext, isPushToDefaultBranch, runUrl } from './context.ts';
import { type Finding, findingsOf } from './findings.ts';

/**
 * Where the action's words go: the job log, annotations, outputs and the job summary. The
 * action passes @actions/core; tests collect. One implementation serves every mode.
 */
export interface ActionSink {
  info(message: string): void;
  /** text loadgate did not write (logs, names): printed so it cannot issue a workflow command */
  untrusted(text: string): void;
  notice(message: string, title?: string): void;
  warning(message: string, title?: string): void;
  error(message: string, title?: string): void;
  setOutput(name: string, value: string): void;
  writeSummary(markdown: string): Promise<void>;
}

/**
 * Saves a run as the default branch's baseline through the configured store (recordBaseline.ts).
 * publishRun decides whether a run qualifies; the recorder only writes.
 */
export interface BaselineRecorder {
  /** for messages: "branch loadgate-baselines of origin", "baselines/main.json" */
  readonly description: string;
  /** saves this (complete, passing) run; returns where exactly it went */
  record(result: Result): Promise<{ ref: string }>;
}

/**
 * Whether a passing run of this job becomes the baseline: in nightly mode, and on a push to the
 * repository's default branch (any mode but the companion's).
 */
export function recordsBaseline(mode: Mode, context: GitHubRunContext): boolean {
  if (mode === 'comment-from-artifact') return false;
  return mode === 'nightly' || isPushToDefaultBranch(context);
}

/** Whether the verdict fails the job in this mode. */
export function failsJob(mode: Mode, verdict: Verdict, failOnRegression: boolean): boolean {
  if (verdict === 'error') return true;
  switch (mode) {
    case 'release':
      // An absolute gate: any breach fails, as does a regression when a comparison ran.
      return verdict === 'fail' || verdict === 'regressed';
    case 'pr':
      return failOnRegression && (verdict === 'fail' || verdict === 'regressed');
    case 'nightly':
    case 'comment-from-artifact':
      return false;
  }
}

export interface FindingCounts {
  breaches: number;
  regressions: number;
  improvements: number;
  inconclusive: number;
}

export function countFindings(findings: readonly Finding[]): FindingCounts {
  const count = (status: Finding['status']) => findings.filter((f) => f.status === status).length;
  return {
    breaches: count('breach'),
    regressions: count('regressed'),
    improvements: count('improved'),
    inconclusive: count('inconclusive'),
  };
}

/** GitHub shows at most 10 error and 10 warning annotations per step; the rest are summarised. */
export const MAX_ANNOTATIONS = 10;

/**
 * One annotation per breach or regression (an error when it fails the job, else a warning),
 * titled, at most MAX_ANNOTATIONS and then one saying how many more; a comparison that could not
 * be made gets a warning saying why. Messages are escaped by the annotation command itself, so a
 * name cannot add a line or a command.
 */
export function annotate(
  sink: ActionSink,
  result: Result,
  findings: readonly Finding[],
  asError: boolean,
): void {
  const bad = findings.filter((f) => f.status === 'breach' || f.status === 'regressed');
  const emit = asError ? sink.error.bind(sink) : sink.warning.bind(sink);
  for (const f of bad.slice(0, MAX_ANNOTATIONS)) {
    emit(f.reason.slice(0, 1000), f.status === 'breach' ? 'loadgate: gate breach' : 'loadgate: regression');
  }
  if (bad.length > MAX_ANNOTATIONS) {
    emit(`and ${bad.length - MAX_ANNOTATIONS} more: see the job summary`, 'loadgate');
  }
  const comparison = result.comparison;
  if (comparison?.verdict === 'not-comparable') {
    const why = comparison.notComparable.join('; ') || comparison.summary;
    sink.warning(
      `not compared with the baseline, so regressions were not judged: ${why}`.slice(0, 1000),
      'loadgate: not comparable',
    );
  }
}

export interface PublishInput {
  mode: Mode;
  failOnRegression: boolean;
  result: Result;
  reportMarkdown: string;
  resultPath: string;
  reportPath: string;
  /** default: findingsOf(result), the gate's breaches and, when compared, the comparison's verdicts */
  findings?: readonly Finding[];
  context: GitHubRunContext;
  /** null: no comment wanted (comment input off, or not a pull request) */
  comment: {
    client: GitHubClient;
    issueNumber: number;
    jobKey: string;
    author?: string;
    artifactName: string;
    reproduce: Reproduce;
    /** default: the pull_request event's head */
    head?: { ref: string; sha: string };
    /** default: this run's page */
    runUrl?: string;
  } | null;
  /** where a passing run of the default branch is saved as the baseline; absent: not configured */
  baseline?: BaselineRecorder;
}

export interface PublishOutcome {
  /** the job fails (exit 1) on this verdict in this mode */
  failed: boolean;
  comment: PostOutcome | null;
}

/**
 * Everything after a run, for every mode: outputs, the job summary (the same report), an
 * annotation per breach or regression, the sticky comment when asked, the default branch's run
 * recorded as the baseline (nightly mode, or a push to the default branch). A
 * failure to comment never fails the job: it becomes a notice or warning (see postStickyComment).
 */
export async function publishRun(sink: ActionSink, input: PublishInput): Promise<PublishOutcome> {
  const { result, mode } = input;
  const findings = input.findings ?? findingsOf(result);
  const counts = countFindings(findings);
  const failed = failsJob(mode, result.verdict, input.failOnRegression);

  sink.setOutput(Outputs.verdict, result.verdict);
  sink.setOutput(Outputs.summary, result.summary);
  sink.setOutput(Outputs.resultPath, input.resultPath);
  sink.setOutput(Outputs.reportPath, input.reportPath);
  sink.setOutput(Outputs.breaches, String(counts.breaches));
  sink.setOutput(Outputs.regressions, String(counts.regressions));
  sink.setOutput(Outputs.improvements, String(counts.improvements));
  sink.setOutput(Outputs.inconclusive, String(counts.inconclusive));

  await sink.writeSummary(
    renderSummary({
      jobKey: input.comment?.jobKey ?? '',
      result,
      reportMarkdown: input.reportMarkdown,
      findings,
    }),
  );
  annotate(sink, result, findings, failed);

  let comment: PostOutcome | null = null;
  if (input.comment) {
    const body = renderComment({
      jobKey: input.comment.jobKey,
      result,
      reportMarkdown: input.reportMarkdown,
      findings,
      links: {
        ...(input.comment.runUrl ? { runUrl: input.comment.runUrl } : {}),
        ...(!input.comment.runUrl && runUrl(input.context)
          ? { runUrl: runUrl(input.context) as string }
          : {}),
        artifactName: input.comment.artifactName,
      },
      reproduce: input.comment.reproduce,
      ...(input.comment.head
        ? { head: input.comment.head }
        : input.context.pullRequest
          ? { head: { ref: input.context.pullRequest.headRef, sha: input.context.pullRequest.headSha } }
          : {}),
    });
    comment = await postStickyComment(input.comment.client, {
      issueNumber: input.comment.issueNumber,
      body,
      ...(input.comment.author ? { author: input.comment.author } : {}),
      reportPath: input.reportPath,
    });
    tell(sink, comment);
  }
  sink.setOutput(Outputs.comment, comment?.status ?? 'off');
  sink.setOutput(Outputs.commentUrl, comment?.url ?? '');

  let failedToRecord = false;
  if (recordsBaseline(mode, input.context)) {
    const recorded = await recordBaseline(sink, input);
    sink.setOutput(Outputs.baseline, recorded.ref ?? '');
    failedToRecord = recorded.failed;
  } else {
    sink.setOutput(Outputs.baseline, '');
  }
  return { failed: failed || failedToRecord, comment };
}

/**
 * The default branch's run as the new baseline: only a complete run whose verdict did not fail
 * (pass, or a comparison that found no regression) is saved; a partial, failed or regressed run
 * never is. A store that cannot be written fails the job, since recording is the job's point.
 */
async function recordBaseline(
  sink: ActionSink,
  input: PublishInput,
): Promise<{ ref: string | null; failed: boolean }> {
  const { result } = input;
  const why = input.mode === 'nightly' ? 'nightly' : 'push to the default branch';
  if (!input.baseline) {
    sink.notice(
      `${why}: no baseline input, so this run is not recorded as the baseline (its result is in ${input.resultPath})`,
      'loadgate',
    );
    return { ref: null, failed: false };
  }
  if (result.partial) {
    sink.warning(`${why}: a partial run is never recorded as the baseline`, 'loadgate');
    return { ref: null, failed: false };
  }
  if (!savable(result.verdict)) {
    sink.notice(
      `${why}: not recorded as the baseline in ${input.baseline.description}: the verdict is ${result.verdict}`,
      'loadgate',
    );
    return { ref: null, failed: false };
  }
  try {
    const { ref } = await input.baseline.record(result);
    sink.info(`${why}: recorded this run as the baseline ${ref}`);
    return { ref, failed: false };
  } catch (error) {
    sink.error(
      `${why}: recording the baseline in ${input.baseline.description} failed: ${(error as Error).message}`,
      'loadgate: baseline not recorded',
    );
    return { ref: null, failed: true };
  }
}

function tell(sink: ActionSink, outcome: PostOutcome): void {
  if (outcome.level === 'notice') sink.notice(outcome.message, 'loadgate: no PR comment');
  else if (outcome.level === 'warning') sink.warning(outcome.message, 'loadgate: no PR comment');
  else sink.info(outcome.message);
}
