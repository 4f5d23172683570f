import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import { Cancellation } from '../cancel.ts';
import { pairedRateFromLadder, withPairedComparison } from '../compare/pairedGate.ts';
import { runPaired } from '../compare/pairedRun.ts';
import { readConfig } from '../config/read.ts';
import { tailFile } from '../containers/logs.ts';
import { runMerge } from '../distributed/mergeRun.ts';
import { runSegment } from '../distributed/segmentRun.ts';
import type { SegmentIndex } from '../distributed/segments.ts';
import { ConfigError, ExitCode, errorMessage, exitCodeOf } from '../errors.ts';
import { baselineRecorder, baselineToCompare } from '../github/baselineRecorder.ts';
import { createGitHubClient } from '../github/client.ts';
import { logUntrusted, mayIssueCommand } from '../github/commands.ts';
import { readGitHubContext } from '../github/context.ts';
import { commentFromArtifact, writeCommentRequest } from '../github/fromArtifact.ts';
import { type ActionSink, publishRun, recordsBaseline } from '../github/publish.ts';
import { releaseTarballUrl } from '../github/release.ts';
import type { K6Binary } from '../load/k6.ts';
import { ensureK6 } from '../load/k6Install.ts';
import { writeFileAtomic, writeJsonAtomic } from '../output/atomic.ts';
import { levelLines, type ProgressSink } from '../progress.ts';
import { onSecretRegistered } from '../redact.ts';
import { formatProgress } from '../report/terminal.ts';
import type { Result } from '../result/schema.ts';
import { exitCodeForResult, OUT_FILES, type RunOutcome, runLoadgate } from '../run.ts';
import { Inputs, Outputs } from './inputs.ts';
import { RUN_ID_STATE } from './runPost.ts';
import { type ActionSettings, readSettings } from './settings.ts';

/**
 * The action's one run: read inputs, run loadgate, write the job summary and outputs, and
 * turn the verdict or an error into the step's status. Exits explicitly, because the
 * engine's socket would keep Node alive.
 */
export async function runAction(): Promise<void> {
  let exitCode = 0;
  const sink = coreSink();
  let outDir = '';
  // A runner cancels a step with SIGINT, then SIGTERM 7.5 s later, then SIGKILL: stop k6 and the
  // containers, keep what was measured (partial), exit 130. The SIGTERM (or the deadline after the
  // first signal) stops waiting, after a best-effort cleanup; the post step covers the SIGKILL.
  let runId: string | undefined;
  const cancellation = new Cancellation({
    runId: () => runId,
    onSignal: (signal, first) =>
      core.warning(
        first
          ? `loadgate: ${signal} received, stopping k6 and the containers`
          : `loadgate: ${signal} received again, stopping now`,
      ),
  });
  cancellation.stopped.catch((error: unknown) => {
    core.setOutput(Outputs.verdict, 'error');
    core.setFailed(errorMessage(error));
    process.exit(ExitCode.cancelled);
  });
  const abort = { signal: cancellation.signal };
  try {
    const settings = readSettings((name) => core.getInput(name));
    // Before anything can print it: the runner masks registered secrets in the log.
    if (settings.token) core.setSecret(settings.token);
    // and each value the config reads with ${env.NAME}, as soon as it is read
    onSecretRegistered((value) => core.setSecret(value));
    outDir = settings.outDir;
    const context = await readGitHubContext();
    if (settings.mode === 'comment-from-artifact') {
      if (!settings.token || !context.repository) {
        throw new ConfigError('mode comment-from-artifact needs a token and GITHUB_REPOSITORY');
      }
      await mkdir(settings.outDir, { recursive: true });
      await commentFromArtifact(sink, {
        client: createGitHubClient({
          token: settings.token,
          repository: context.repository,
          apiUrl: context.apiUrl,
        }),
        context,
        runId: settings.runId,
        artifactName: settings.artifactName,
        ...(settings.commentAuthor ? { author: settings.commentAuthor } : {}),
        workDir: settings.outDir,
        defaultJobKey: settings.jobKey,
      });
      process.exit(0);
    }
    const merging = settings.parts.length > 0;
    // k6 from PATH when supported, else the pinned release (checksum-verified, tool-cached); a merge runs none.
    const k6 = merging ? undefined : await ensureK6({ log: (message) => core.info(message) });
    if (settings.segment !== null) {
      // one runner of a distributed run: its part is the step's product; the merge job judges the run
      process.exit(
        await runSegmentStep(settings, settings.segment, actionProgress(sink), abort.signal, k6, (id) => {
          runId = id;
        }),
      );
    }
    const pr = context.pullRequest;
    // A pull request compares with its base branch's baseline, when the baseline input names one.
    let compareWith: string | null = null;
    if (settings.mode === 'pr' && pr && settings.baseline !== '') {
      const found = await baselineToCompare(settings.baseline, process.cwd());
      if ('baselinePath' in found) compareWith = found.baselinePath;
      else core.notice(`no baseline at ${found.missing} yet: not compared`, { title: 'loadgate' });
    }
    // the git store's fetch and push use the token input: actions/checkout may have left no
    // credentials (persist-credentials: false)
    const gitAuth = settings.token
      ? { gitAuth: { token: settings.token, serverUrl: context.serverUrl } }
      : {};
    const baseline = {
      repoDir: process.cwd(),
      ...gitAuth,
      ...(compareWith !== null ? { baselinePath: compareWith } : {}),
      // a run that is recorded into a history shows that history's trend
      ...(recordsBaseline(settings.mode, context) && settings.baseline.startsWith('git:')
        ? { trendFrom: settings.baseline }
        : {}),
    };
    const outcome = merging
      ? await runMerge({
          configPath: settings.configPath,
          overrides: settings.overrides,
          partDirs: settings.parts,
          outDir: settings.outDir,
          progress: actionProgress(sink),
          baseline,
          ...(settings.segments !== null ? { expectedCount: settings.segments } : {}),
        })
      : await runLoadgate({
          configPath: settings.configPath,
          outDir: settings.outDir,
          overrides: settings.overrides,
          progress: actionProgress(sink),
          onRunId: (id) => {
            runId = id;
            core.saveState(RUN_ID_STATE, id);
          },
          outSetting: `input ${Inputs.out}`,
          signal: abort.signal,
          baseline,
          ...(k6 ? { k6 } : {}),
        });
    if (abort.signal.aborted) {
      // Cancelled: what was measured is in result.json (partial during the load); nothing is
      // published or recorded, and the step fails as cancelled.
      core.setOutput(Outputs.verdict, outcome.result.verdict);
      core.setOutput(Outputs.resultPath, outcome.resultPath);
      core.setFailed(
        `loadgate: cancelled (${String(abort.signal.reason)}); results so far in ${outcome.resultPath}`,
      );
      process.exit(ExitCode.cancelled);
    }
    const { result, reportMarkdown } =
      settings.mode === 'pr' && settings.paired && pr && !merging
        ? await withPairedRun(outcome, settings, pr.baseSha, abort.signal, k6)
        : outcome;
    // For the companion workflow, when this run's token cannot comment (a fork).
    await writeCommentRequest(settings.outDir, {
      jobKey: settings.jobKey,
      configPath: settings.configPath,
      overrides: settings.overrides,
    });
    const wantsComment = settings.mode === 'pr' && settings.comment;
    if (wantsComment && !pr) core.info('loadgate: no pull request in this event, so no comment');
    if (wantsComment && pr && !settings.token) core.warning('loadgate: no token input, so no comment');
    const published = await publishRun(sink, {
      mode: settings.mode,
      failOnRegression: settings.failOnRegression,
      result,
      reportMarkdown,
      resultPath: outcome.resultPath,
      reportPath: outcome.reportPath,
      context,
      comment:
        wantsComment && pr && settings.token && context.repository
          ? {
              client: createGitHubClient({
                token: settings.token,
                repository: context.repository,
                apiUrl: context.apiUrl,
              }),
              issueNumber: pr.number,
              jobKey: settings.jobKey,
              ...(settings.commentAuthor ? { author: settings.commentAuthor } : {}),
              artifactName: settings.artifactName,
              reproduce: {
                configPath: settings.configPath,
                overrides: settings.overrides,
                // the release this action is, run through npx (loadgate is not on the npm registry)
                packageSpec: releaseTarballUrl(context.serverUrl, process.env.GITHUB_ACTION_REPOSITORY),
              },
            }
          : null,
      ...(settings.baseline !== ''
        ? {
            baseline: baselineRecorder(settings.baseline, {
              repoDir: process.cwd(),
              ...gitAuth,
              outDir: settings.outDir,
            }),
          }
        : {}),
    });
    // a partial merge: a runner's part is missing or late, the runners' failure, not a cancellation
    const failedWith = merging && result.partial ? ExitCode.infra : exitCodeForResult(result);
    exitCode = published.failed ? failedWith || 1 : 0;
    if (exitCode !== 0) core.setFailed(result.summary);
    else sink.untrusted(result.summary);
  } catch (error) {
    exitCode = exitCodeOf(error);
    core.setOutput(Outputs.verdict, 'error');
    const message = errorMessage(error);
    // The message may carry the end of a service's or k6's log: printed inert, in full, and the
    // annotation (escaped by core) gets the first line.
    sink.untrusted(message);
    if (outDir) await echoLogTails(sink, outDir);
    core.setFailed(message.split('\n', 1)[0] ?? message);
  }
  process.exit(exitCode);
}

/**
 * One runner of a distributed run (the segment input): its share of the load, left in the
 * output folder as a part for the merge job. Exit 0, or 130 when cancelled (a partial part).
 */
async function runSegmentStep(
  settings: ActionSettings,
  segment: SegmentIndex,
  progress: ProgressSink,
  signal: AbortSignal,
  k6: K6Binary | undefined,
  onRunId: (runId: string) => void,
): Promise<number> {
  const outcome = await runSegment({
    configPath: settings.configPath,
    outDir: settings.outDir,
    overrides: settings.overrides,
    progress,
    segment,
    ...(settings.startAtMs !== null ? { startAtMs: settings.startAtMs } : {}),
    signal,
    ...(k6 ? { k6 } : {}),
    onRunId: (runId) => {
      onRunId(runId);
      core.saveState(RUN_ID_STATE, runId);
    },
  });
  core.info(`loadgate: part ${outcome.manifestPath} written (segment ${segment.index}/${segment.count})`);
  if (outcome.manifest.partial) {
    core.setFailed(`loadgate: cancelled; the part is partial (${outcome.manifestPath})`);
    return ExitCode.cancelled;
  }
  return ExitCode.pass;
}

/**
 * pr mode's paired comparison: the base commit's service built and driven alternately with this
 * one at a rate below this run's knee (paired mode cancels the runner's speed, which a stored
 * baseline from another job cannot). What cannot be paired (no base commit in the checkout, an
 * image instead of a Dockerfile, no rate below the knee) is a warning: the run keeps the
 * comparison it had. result.json and report.md are rewritten with the paired comparison.
 */
async function withPairedRun(
  outcome: RunOutcome,
  settings: ActionSettings,
  baseSha: string,
  signal: AbortSignal,
  k6: K6Binary | undefined,
): Promise<{ result: Result; reportMarkdown: string }> {
  const { result } = outcome;
  if (result.partial || result.verdict === 'error') return outcome;
  const skip = (why: string) => {
    core.warning(`loadgate: no paired comparison: ${why}`);
    return outcome;
  };
  if (!baseSha) return skip('the pull_request event names no base commit');
  const configured = (await readConfig(settings.configPath, settings.overrides)).config.paired.rate;
  const chosen =
    settings.pairedRate !== null
      ? { rate: settings.pairedRate, why: 'the paired-rate input' }
      : configured !== undefined
        ? { rate: configured, why: "the config's paired.rate" }
        : pairedRateFromLadder(result);
  if (chosen.rate === null) return skip(chosen.why);
  core.info(
    `loadgate: paired comparison with the base commit ${baseSha.slice(0, 12)} at ${chosen.rate} req/s (${chosen.why})`,
  );
  let paired: Awaited<ReturnType<typeof runPaired>>;
  try {
    paired = await runPaired({
      configPath: settings.configPath,
      overrides: settings.overrides,
      outDir: join(settings.outDir, 'paired'),
      progress: actionProgress(coreSink()),
      base: { ref: baseSha },
      rate: chosen.rate,
      runId: result.runId,
      signal,
      ...(k6 ? { k6 } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError) return skip(error.message);
    throw error;
  }
  const joined = withPairedComparison(result, paired.paired.comparison);
  await writeJsonAtomic(outcome.resultPath, joined.result);
  await writeFileAtomic(outcome.reportPath, joined.reportMarkdown);
  return joined;
}

/** @actions/core as the publishing sink; untrusted text goes between stop-commands markers. */
function coreSink(): ActionSink {
  return {
    info: (message) => core.info(message),
    untrusted: (text) => logUntrusted((line) => core.info(line), text),
    notice: (message, title) => core.notice(message, title ? { title } : {}),
    warning: (message, title) => core.warning(message, title ? { title } : {}),
    error: (message, title) => core.error(message, title ? { title } : {}),
    setOutput: (name, value) => core.setOutput(name, value),
    writeSummary: async (markdown) => {
      await core.summary.addRaw(markdown, true).write();
    },
  };
}

/** The last lines of every container log and of k6's, each in a group, printed inert. */
async function echoLogTails(sink: ActionSink, outDir: string): Promise<void> {
  const logsDir = join(outDir, OUT_FILES.logsDir);
  const files = [
    ...(await readdir(logsDir).catch(() => [] as string[]))
      .filter((f) => f.endsWith('.log'))
      .map((f) => join(logsDir, f)),
    join(outDir, OUT_FILES.k6Log),
  ];
  for (const file of files) {
    const tail = await tailFile(file, 40).catch(() => '');
    if (tail === '') continue;
    core.startGroup(`last lines of ${file.replace(/[^\w./-]/g, '_')}`);
    sink.untrusted(tail);
    core.endGroup();
  }
}

function actionProgress(sink: ActionSink): ProgressSink {
  // one line per level, with its last figures (a level's first poll may precede its first response)
  const levels = levelLines((update) => core.info(formatProgress(update)));
  return {
    step: (message) => {
      levels.flush();
      if (mayIssueCommand(message)) sink.untrusted(message);
      else core.info(message);
    },
    warn: (message) => {
      levels.flush();
      core.warning(message);
    },
    load: (update) => levels.update(update),
  };
}
