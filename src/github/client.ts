import { getOctokit } from '@actions/github';
import { DEADLINES_MS } from '../deadline.ts';
import { InfraError } from '../errors.ts';

/**
 * The few GitHub REST calls loadgate makes, behind an interface: the comment logic is written
 * against this, and tests point the real implementation at a local server that checks every
 * request against GitHub's OpenAPI description.
 */
export interface GitHubClient {
  /** The token's own login (GET /user); null when the token cannot say (an installation token). */
  authenticatedLogin(): Promise<string | null>;
  /** Every comment of an issue or pull request, all pages, oldest first. */
  listComments(issueNumber: number): Promise<IssueComment[]>;
  createComment(issueNumber: number, body: string): Promise<IssueComment>;
  updateComment(commentId: number, body: string): Promise<IssueComment>;
  deleteComment(commentId: number): Promise<void>;
  /** Pull requests whose head is this commit (works for forks, unlike workflow_run.pull_requests). */
  pullsForCommit(sha: string): Promise<PullRequestRef[]>;
  /** Open and closed pull requests whose head is `owner:branch`. */
  pullsByHead(ownerColonBranch: string): Promise<PullRequestRef[]>;
  /** Artifacts of a workflow run, by name. */
  listRunArtifacts(runId: number): Promise<ArtifactRef[]>;
  /** The zip archive of one artifact, at most `maxBytes` long. */
  downloadArtifactZip(artifactId: number, maxBytes: number): Promise<Buffer>;
}

export interface IssueComment {
  id: number;
  body: string;
  /** login of the comment's author, e.g. "github-actions[bot]" */
  authorLogin: string;
  createdAt: string;
  htmlUrl: string;
}

export interface PullRequestRef {
  number: number;
  state: string;
  headSha: string;
  /** "owner/name" of the head repository; null when it was deleted */
  headRepo: string | null;
  headRef: string;
  baseRepo: string;
}

export interface ArtifactRef {
  id: number;
  name: string;
  sizeBytes: number;
  expired: boolean;
}

export type GitHubErrorKind =
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'gone'
  | 'invalid'
  | 'rate-limited'
  | 'server'
  | 'network';

/** A failed GitHub call, classified so callers decide without reading status codes; uncaught, exit 3. */
export class GitHubApiError extends InfraError {
  constructor(
    message: string,
    readonly kind: GitHubErrorKind,
    readonly status: number | null,
    /** for rate limits: seconds to wait (retry-after) or until the reset, when GitHub said */
    readonly retryAfterS: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface ErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/**
 * Classifies a failed call from its status, headers and message. GitHub signals a rate limit
 * as 429, or as 403 with x-ratelimit-remaining: 0 (primary) or retry-after / a "secondary rate
 * limit" message (secondary); any other 403 is a missing permission.
 */
export function classifyGitHubError(
  error: unknown,
  what: string,
  nowMs = Date.now(),
  timeoutMs: number | null = null,
): GitHubApiError {
  if (error instanceof GitHubApiError) return error;
  if (timeoutMs !== null && isTimeout(error)) {
    return new GitHubApiError(
      `${what}: GitHub's API did not answer within ${timeoutMs / 1000} s`,
      'network',
      null,
      null,
      { cause: error },
    );
  }
  const e = (error ?? {}) as ErrorLike;
  const status = typeof e.status === 'number' ? e.status : null;
  const headers = e.response?.headers ?? {};
  const data = e.response?.data as { message?: unknown } | undefined;
  const apiMessage = typeof data?.message === 'string' ? data.message : (e.message ?? String(error));
  const header = (name: string) => {
    const value = headers[name];
    return value === undefined ? undefined : String(value);
  };
  const retryAfter = Number(header('retry-after'));
  const reset = Number(header('x-ratelimit-reset'));
  const exhausted = header('x-ratelimit-remaining') === '0';
  const rateLimited =
    status === 429 ||
    (status === 403 && (exhausted || Number.isFinite(retryAfter) || /rate limit/i.test(apiMessage)));
  if (rateLimited) {
    const waitS = Number.isFinite(retryAfter)
      ? retryAfter
      : Number.isFinite(reset)
        ? Math.max(0, Math.ceil(reset - nowMs / 1000))
        : null;
    const when = waitS === null ? '' : `; GitHub says to retry in ${waitS} s`;
    return new GitHubApiError(
      `${what}: GitHub's API rate limit was reached (${status}${when})`,
      'rate-limited',
      status,
      waitS,
      { cause: error },
    );
  }
  const kind: GitHubErrorKind =
    status === null
      ? 'network'
      : status === 401
        ? 'unauthorized'
        : status === 403
          ? 'forbidden'
          : status === 404
            ? 'not-found'
            : status === 410
              ? 'gone'
              : status === 422
                ? 'invalid'
                : status >= 500
                  ? 'server'
                  : 'invalid';
  return new GitHubApiError(`${what}: ${status ?? 'no answer'} ${oneLine(apiMessage)}`, kind, status, null, {
    cause: error,
  });
}

/** fetch with a deadline over the whole exchange, the caller's own signal kept. */
function fetchWithin(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    return fetch(input, {
      ...init,
      signal: init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline,
    });
  };
}

/** Whether an error (or one it wraps) is a fetch's deadline passing. */
function isTimeout(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'TimeoutError') return true;
  }
  return false;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

export interface GitHubClientOptions {
  token: string;
  /** "owner/name" */
  repository: string;
  /** GITHUB_API_URL; default https://api.github.com */
  apiUrl?: string;
  /** each request's deadline, its body included; default DEADLINES_MS.githubRequest */
  requestTimeoutMs?: number;
}

/** The real client, on @actions/github's Octokit (REST only, no GraphQL). */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const [owner, repo] = splitRepository(options.repository);
  const timeoutMs = options.requestTimeoutMs ?? DEADLINES_MS.githubRequest;
  const octokit = getOctokit(options.token, {
    baseUrl: (options.apiUrl || 'https://api.github.com').replace(/\/+$/, ''),
    // No retries hidden in the client: a rate limit is reported, not waited out. Every request
    // has a deadline: an API that takes the connection and never answers must not hang the job.
    request: { retries: 0, fetch: fetchWithin(timeoutMs) },
  });
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw classifyGitHubError(error, what, Date.now(), timeoutMs);
    }
  };
  return {
    async authenticatedLogin() {
      try {
        const { data } = await octokit.rest.users.getAuthenticated();
        return data.login;
      } catch (error) {
        const classified = classifyGitHubError(error, 'GET /user', Date.now(), timeoutMs);
        // An installation token (GITHUB_TOKEN) may not read /user: "Resource not accessible by integration".
        if (classified.kind === 'forbidden' || classified.kind === 'unauthorized') return null;
        throw classified;
      }
    },
    listComments: (issueNumber) =>
      call(`listing the comments of #${issueNumber}`, async () => {
        const comments: IssueComment[] = [];
        for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
          owner,
          repo,
          issue_number: issueNumber,
          per_page: 100,
        })) {
          for (const c of page.data) comments.push(toComment(c));
        }
        return comments;
      }),
    createComment: (issueNumber, body) =>
      call(`commenting on #${issueNumber}`, async () =>
        toComment(
          (await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body })).data,
        ),
      ),
    updateComment: (commentId, body) =>
      call(`updating comment ${commentId}`, async () =>
        toComment(
          (await octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body })).data,
        ),
      ),
    deleteComment: (commentId) =>
      call(`deleting comment ${commentId}`, async () => {
        await octokit.rest.issues.deleteComment({ owner, repo, comment_id: commentId });
      }),
    pullsForCommit: (sha) =>
      call(`finding the pull requests of commit ${sha.slice(0, 12)}`, async () => {
        const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
          owner,
          repo,
          commit_sha: sha,
          per_page: 100,
        });
        return data.map(toPull);
      }),
    pullsByHead: (head) =>
      call(`finding the pull requests of ${head}`, async () => {
        const { data } = await octokit.rest.pulls.list({ owner, repo, head, state: 'all', per_page: 100 });
        return data.map(toPull);
      }),
    listRunArtifacts: (runId) =>
      call(`listing the artifacts of run ${runId}`, async () => {
        const artifacts: ArtifactRef[] = [];
        for await (const page of octokit.paginate.iterator(octokit.rest.actions.listWorkflowRunArtifacts, {
          owner,
          repo,
          run_id: runId,
          per_page: 100,
        })) {
          for (const a of page.data) {
            artifacts.push({ id: a.id, name: a.name, sizeBytes: a.size_in_bytes, expired: a.expired });
          }
        }
        return artifacts;
      }),
    downloadArtifactZip: (artifactId, maxBytes) =>
      call(`downloading artifact ${artifactId}`, async () => {
        const response = await octokit.rest.actions.downloadArtifact({
          owner,
          repo,
          artifact_id: artifactId,
          archive_format: 'zip',
        });
        const data = response.data as unknown;
        const buffer =
          data instanceof ArrayBuffer
            ? Buffer.from(data)
            : Buffer.isBuffer(data)
              ? data
              : Buffer.from(data as Uint8Array);
        if (buffer.length > maxBytes) {
          throw new GitHubApiError(
            `artifact ${artifactId} is ${buffer.length} bytes, over the ${maxBytes} loadgate reads`,
            'invalid',
            null,
          );
        }
        return buffer;
      }),
  };
}

/** "owner/name" → [owner, name]; throws on anything else. */
export function splitRepository(repository: string): [string, string] {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(repository);
  if (!match) throw new Error(`not a repository "owner/name": ${JSON.stringify(repository)}`);
  return [match[1] as string, match[2] as string];
}

interface ApiComment {
  id: number;
  body?: string | undefined;
  user: { login: string } | null;
  created_at: string;
  html_url: string;
}

function toComment(c: ApiComment): IssueComment {
  return {
    id: c.id,
    body: c.body ?? '',
    authorLogin: c.user?.login ?? '',
    createdAt: c.created_at,
    htmlUrl: c.html_url,
  };
}

interface ApiPull {
  number: number;
  state: string;
  head: { sha: string; ref: string; repo: { full_name: string } | null };
  base: { repo: { full_name: string } };
}

function toPull(p: ApiPull): PullRequestRef {
  return {
    number: p.number,
    state: p.state,
    headSha: p.head.sha,
    headRef: p.head.ref,
    headRepo: p.head.repo?.full_name ?? null,
    baseRepo: p.base.repo.full_name,
  };
}
