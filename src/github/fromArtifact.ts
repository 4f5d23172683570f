import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Outputs } from '../action/inputs.ts';
import { DEFAULT_CONFIG_PATH } from '../config/defaults.ts';
import { ConfigError } from '../errors.ts';
import { writeJsonAtomic } from '../output/atomic.ts';
import { renderReport } from '../report/markdown.ts';
import { type Result, ResultSchema } from '../result/schema.ts';
import { GitHubApiError, type GitHubClient, type PullRequestRef } from './client.ts';
import type { GitHubRunContext } from './context.ts';
import { type ActionSink, publishRun } from './publish.ts';
import { releaseTarballUrl } from './release.ts';
import { extractZip, UnsafeArchiveError } from './zip.ts';

/**
 * The companion workflow's side (mode comment-from-artifact): a fork's pull request run could
 * not comment, so it saved its output folder as an artifact; this posts it from the base
 * repository. Everything in the artifact is untrusted data from the fork: it is extracted
 * with every path kept inside its folder, result.json must match the result schema, the
 * report is rendered anew from it (the artifact's own report.md is never posted), and the pull
 * request is found by head repository and head SHA, never by a number the artifact names.
 */

/** Written beside result.json in pr mode: what the companion needs to post the same comment. */
export const COMMENT_REQUEST_FILE = 'loadgate-comment.json';

export const CommentRequestSchema = z.object({
  jobKey: z.string().max(500),
  configPath: z.string().max(1000),
  overrides: z.array(z.string().max(2000)).max(100),
});
export type CommentRequest = z.infer<typeof CommentRequestSchema>;

/** Saves what the companion workflow needs, in the output folder that the workflow uploads. */
export async function writeCommentRequest(outDir: string, request: CommentRequest): Promise<void> {
  await writeJsonAtomic(join(outDir, COMMENT_REQUEST_FILE), request);
}

/** An artifact from a fork that does not hold what loadgate writes (exit 2, nothing posted). */
export class UntrustedArtifactError extends ConfigError {}

export const MAX_ARTIFACT_ZIP_BYTES = 50 * 1024 * 1024;
const MAX_RESULT_BYTES = 20 * 1024 * 1024;

export interface LoadedArtifact {
  result: Result;
  reportMarkdown: string;
  request: CommentRequest | null;
  folder: string;
}

/**
 * Downloads the run's artifact by name and reads it as untrusted data. Returns null when the
 * run has no such artifact (it failed before uploading, or the name differs). Throws
 * UntrustedArtifactError when the archive or its result.json is not acceptable.
 */
export async function loadArtifact(
  client: GitHubClient,
  options: { runId: number; artifactName: string; workDir: string },
): Promise<LoadedArtifact | null> {
  const artifact = (await client.listRunArtifacts(options.runId)).find(
    (a) => a.name === options.artifactName && !a.expired,
  );
  if (!artifact) return null;
  if (artifact.sizeBytes > MAX_ARTIFACT_ZIP_BYTES) {
    throw new UntrustedArtifactError(
      `artifact ${options.artifactName} is ${artifact.sizeBytes} bytes, over the ${MAX_ARTIFACT_ZIP_BYTES} loadgate reads`,
    );
  }
  const zip = await client.downloadArtifactZip(artifact.id, MAX_ARTIFACT_ZIP_BYTES);
  const folder = await mkdtemp(join(options.workDir, 'artifact-'));
  let files: string[];
  try {
    files = await extractZip(zip, folder);
  } catch (error) {
    if (error instanceof UnsafeArchiveError) {
      throw new UntrustedArtifactError(`artifact ${options.artifactName} refused: ${error.message}`, [
        error.message,
      ]);
    }
    throw error;
  }
  const resultName = files.includes('result.json') ? 'result.json' : null;
  if (!resultName)
    throw new UntrustedArtifactError(`artifact ${options.artifactName} has no result.json at its top`);
  const text = await readFile(join(folder, resultName), 'utf8');
  if (text.length > MAX_RESULT_BYTES) throw new UntrustedArtifactError('result.json is too large');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UntrustedArtifactError(`artifact ${options.artifactName}: result.json is not JSON`);
  }
  const parsed = ResultSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 20)
      .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new UntrustedArtifactError(
      `artifact ${options.artifactName}: result.json does not match the result schema (${problems[0]})`,
      problems,
    );
  }
  let request: CommentRequest | null = null;
  if (files.includes(COMMENT_REQUEST_FILE)) {
    try {
      const r = CommentRequestSchema.safeParse(
        JSON.parse(await readFile(join(folder, COMMENT_REQUEST_FILE), 'utf8')),
      );
      request = r.success ? r.data : null;
    } catch {
      request = null;
    }
  }
  return { result: parsed.data, reportMarkdown: renderReport(parsed.data), request, folder };
}

/**
 * The pull request a workflow_run came from: by head SHA (commits/{sha}/pulls), else by head
 * branch (pulls?head=owner:branch), keeping only those whose head is that repository at that
 * SHA; an open one first. Null when none matches.
 */
export async function findPullRequest(
  client: GitHubClient,
  run: { headSha: string; headRepo: string | null; headBranch: string },
): Promise<PullRequestRef | null> {
  const matches = (p: PullRequestRef) =>
    p.headSha === run.headSha && (run.headRepo === null || p.headRepo === run.headRepo);
  const pick = (pulls: PullRequestRef[]) => {
    const found = pulls.filter(matches);
    return found.find((p) => p.state === 'open') ?? found[0] ?? null;
  };
  const bySha = pick(await client.pullsForCommit(run.headSha));
  if (bySha) return bySha;
  if (!run.headRepo || !run.headBranch) return null;
  const owner = run.headRepo.split('/')[0];
  return pick(await client.pullsByHead(`${owner}:${run.headBranch}`));
}

/** The triggering run of the companion workflow, from the run-id input or the event. */
export function triggeringRun(
  context: GitHubRunContext,
  runId: number | null,
): { id: number; headSha: string; headRepo: string | null; headBranch: string } {
  const run = context.workflowRun;
  if (!run) {
    throw new ConfigError(
      'mode comment-from-artifact runs on a workflow_run event (see examples/workflows/loadgate-comment.yml)',
    );
  }
  return { id: runId ?? run.id, headSha: run.headSha, headRepo: run.headRepo, headBranch: run.headBranch };
}

export interface CommentFromArtifactOptions {
  client: GitHubClient;
  context: GitHubRunContext;
  runId: number | null;
  artifactName: string;
  author?: string;
  /** where the artifact is extracted (a new folder inside) */
  workDir: string;
  /** used when the artifact carries no loadgate-comment.json */
  defaultJobKey: string;
}

/**
 * The companion's whole job: the triggering run's artifact, read as untrusted data, posted as
 * the sticky comment on the pull request that run was for, with the same job summary,
 * annotations and outputs as a pr-mode run. A missing artifact or pull request, or a GitHub
 * failure, is a notice or warning (comment output "skipped"); an unacceptable artifact throws
 * UntrustedArtifactError.
 */
export async function commentFromArtifact(
  sink: ActionSink,
  options: CommentFromArtifactOptions,
): Promise<void> {
  const { client, context } = options;
  const run = triggeringRun(context, options.runId);
  const skip = (level: 'notice' | 'warning', message: string) => {
    if (level === 'notice') sink.notice(message, 'loadgate: no PR comment');
    else sink.warning(message, 'loadgate: no PR comment');
    sink.setOutput(Outputs.comment, 'skipped');
    sink.setOutput(Outputs.commentUrl, '');
  };
  let artifact: LoadedArtifact | null;
  let pull: PullRequestRef | null;
  try {
    artifact = await loadArtifact(client, {
      runId: run.id,
      artifactName: options.artifactName,
      workDir: options.workDir,
    });
    if (!artifact) {
      return skip(
        'notice',
        `run ${run.id} has no artifact named ${JSON.stringify(options.artifactName)}: nothing to post`,
      );
    }
    pull = await findPullRequest(client, run);
  } catch (error) {
    if (error instanceof GitHubApiError) return skip('warning', error.message);
    throw error;
  }
  if (!pull) {
    return skip(
      'notice',
      `no pull request has head ${run.headRepo ?? '?'}@${run.headSha.slice(0, 12)}: nothing to post`,
    );
  }
  const { result, reportMarkdown, request } = artifact;
  const runPage = context.repository
    ? `${context.serverUrl}/${context.repository}/actions/runs/${run.id}`
    : undefined;
  await publishRun(sink, {
    mode: 'comment-from-artifact',
    failOnRegression: false,
    result,
    reportMarkdown,
    resultPath: join(artifact.folder, 'result.json'),
    reportPath: '',
    context,
    comment: {
      client,
      issueNumber: pull.number,
      jobKey: request?.jobKey || options.defaultJobKey,
      ...(options.author ? { author: options.author } : {}),
      artifactName: options.artifactName,
      reproduce: {
        configPath: request?.configPath || DEFAULT_CONFIG_PATH,
        overrides: request?.overrides ?? [],
        packageSpec: releaseTarballUrl(context.serverUrl, process.env.GITHUB_ACTION_REPOSITORY),
      },
      head: { ref: run.headBranch, sha: run.headSha },
      ...(runPage ? { runUrl: runPage } : {}),
    },
  });
}
