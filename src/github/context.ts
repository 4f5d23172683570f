import { readFile } from 'node:fs/promises';

/**
 * What loadgate needs to know about the workflow run it is in, read from the runner's
 * environment and the event payload (GITHUB_EVENT_PATH) once, in one place, instead of
 * @actions/github's `context` (which reads them when imported).
 */
export interface GitHubRunContext {
  /** e.g. https://github.com */
  serverUrl: string;
  /** e.g. https://api.github.com */
  apiUrl: string;
  /** "owner/name", or null outside Actions */
  repository: string | null;
  runId: string | null;
  runAttempt: string | null;
  eventName: string;
  /** the ref the run is for (GITHUB_REF), e.g. refs/heads/main; null outside Actions */
  ref: string | null;
  /** the repository's default branch, from the event payload (push, schedule and most events carry it) */
  defaultBranch: string | null;
  /** the pull request of a pull_request / pull_request_target event */
  pullRequest: PullRequestContext | null;
  /** the triggering run of a workflow_run event (the companion workflow) */
  workflowRun: WorkflowRunContext | null;
}

export interface PullRequestContext {
  number: number;
  headRef: string;
  headSha: string;
  /** the base branch's commit the pull request is compared against; '' when the event lacks it */
  baseSha: string;
  /** "owner/name"; null when the head repository was deleted */
  headRepo: string | null;
  baseRepo: string;
  /** the head is in another repository: the token is read-only, secrets are absent */
  fromFork: boolean;
}

export interface WorkflowRunContext {
  id: number;
  headSha: string;
  headBranch: string;
  /** "owner/name" of the head repository (a fork's for a fork's pull request) */
  headRepo: string | null;
  /** the event that triggered that run, e.g. "pull_request" */
  event: string;
  conclusion: string | null;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The context from an environment and an already-parsed event payload. Pure. */
export function githubContextFrom(env: Env, event: unknown): GitHubRunContext {
  const payload = isRecord(event) ? event : {};
  return {
    serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    repository:
      env.GITHUB_REPOSITORY && /^[\w.-]+\/[\w.-]+$/.test(env.GITHUB_REPOSITORY)
        ? env.GITHUB_REPOSITORY
        : null,
    runId: env.GITHUB_RUN_ID && /^\d+$/.test(env.GITHUB_RUN_ID) ? env.GITHUB_RUN_ID : null,
    runAttempt:
      env.GITHUB_RUN_ATTEMPT && /^\d+$/.test(env.GITHUB_RUN_ATTEMPT) ? env.GITHUB_RUN_ATTEMPT : null,
    eventName: env.GITHUB_EVENT_NAME ?? '',
    ref: env.GITHUB_REF || null,
    defaultBranch: defaultBranchOf(payload.repository),
    pullRequest: pullRequestOf(payload.pull_request),
    workflowRun: workflowRunOf(payload.workflow_run),
  };
}

/** Reads GITHUB_EVENT_PATH (a missing or unreadable file is an empty payload). */
export async function readGitHubContext(env: Env = process.env): Promise<GitHubRunContext> {
  let event: unknown = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8'));
    } catch {
      event = {};
    }
  }
  return githubContextFrom(env, event);
}

/** The run's page, or null outside Actions. */
export function runUrl(context: GitHubRunContext): string | null {
  if (!context.repository || !context.runId) return null;
  return `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}`;
}

/** A push to the repository's default branch: its passing runs become the baseline. */
export function isPushToDefaultBranch(context: GitHubRunContext): boolean {
  return (
    context.eventName === 'push' &&
    context.defaultBranch !== null &&
    context.ref === `refs/heads/${context.defaultBranch}`
  );
}

function defaultBranchOf(repository: unknown): string | null {
  return isRecord(repository) &&
    typeof repository.default_branch === 'string' &&
    repository.default_branch !== ''
    ? repository.default_branch
    : null;
}

function pullRequestOf(value: unknown): PullRequestContext | null {
  if (!isRecord(value) || typeof value.number !== 'number') return null;
  const head = isRecord(value.head) ? value.head : {};
  const base = isRecord(value.base) ? value.base : {};
  const headRepo =
    isRecord(head.repo) && typeof head.repo.full_name === 'string' ? head.repo.full_name : null;
  const baseRepo = isRecord(base.repo) && typeof base.repo.full_name === 'string' ? base.repo.full_name : '';
  return {
    number: value.number,
    headRef: typeof head.ref === 'string' ? head.ref : '',
    headSha: typeof head.sha === 'string' ? head.sha : '',
    baseSha: typeof base.sha === 'string' ? base.sha : '',
    headRepo,
    baseRepo,
    fromFork: headRepo !== baseRepo,
  };
}

function workflowRunOf(value: unknown): WorkflowRunContext | null {
  if (!isRecord(value) || typeof value.id !== 'number') return null;
  const repo = isRecord(value.head_repository) ? value.head_repository : {};
  return {
    id: value.id,
    headSha: typeof value.head_sha === 'string' ? value.head_sha : '',
    headBranch: typeof value.head_branch === 'string' ? value.head_branch : '',
    headRepo: typeof repo.full_name === 'string' ? repo.full_name : null,
    event: typeof value.event === 'string' ? value.event : '',
    conclusion: typeof value.conclusion === 'string' ? value.conclusion : null,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
