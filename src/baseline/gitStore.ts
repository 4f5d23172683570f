import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundedTimeout, DEADLINES_MS, DeadlineError } from '../deadline.ts';
import { InfraError } from '../errors.ts';
import { NewerBaselineError, parseBaseline } from './file.ts';
import { classifyGitFailure, type GitAuth, gitAuthEnv } from './gitRemote.ts';
import { DEFAULT_BASELINE_BRANCH } from './names.ts';
import type { Baseline } from './schema.ts';
import { type BaselineStore, recordName, type StoredBaseline, seriesName } from './store.ts';

/** Folder of the records on that branch: `baselines/<series>/<time>-<runId>.json`. */
export const RECORDS_DIR = 'baselines';

export interface GitBranchStoreOptions {
  /** a clone of the repository (its remote and credentials are used; its work tree is never touched) */
  repoDir: string;
  remote?: string;
  branch?: string;
  /**
   * a token for the fetch and the push (the action's token input), sent as a header for the
   * server's URLs only; without it, whatever credentials the clone has (none after actions/checkout
   * with persist-credentials: false)
   */
  auth?: GitAuth;
  /** pushes tried before giving up; default 10 */
  maxAttempts?: number;
  /** waits between attempts (injectable for tests); default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** tests only: awaited after a commit is made and before it is pushed */
  beforePush?: (attempt: number) => Promise<void>;
  /** told of each rejected push */
  onRetry?: (attempt: number, reason: string) => void;
  /** each git command's deadline; default DEADLINES_MS.git */
  gitTimeoutMs?: number;
  /** told of each record skipped while reading (one a newer loadgate wrote) */
  warn?: (message: string) => void;
}

/**
 * Baselines on a dedicated git branch: one file per accepted run, one commit per file, never
 * rewritten (pushes are never forced). Written with plumbing in the caller's clone, so neither
 * its work tree, its index nor its HEAD moves: fetch the branch's tip into a private ref, build
 * a commit that adds the one file on top of it, push. When another job pushed first the push is
 * rejected; then fetch again, redo the commit on the new tip (the rebase of a commit adding a
 * file no one else adds, which cannot conflict) and retry, up to maxAttempts with a jittered
 * back-off. A push the remote refuses (a ruleset, branch protection, a hook, no permission) is
 * named at once with its fix: retrying cannot help it.
 */
export class GitBranchStore implements BaselineStore {
  readonly description: string;
  private readonly remote: string;
  private readonly branch: string;
  private readonly privateRef: string;

  constructor(private readonly options: GitBranchStoreOptions) {
    this.remote = options.remote ?? 'origin';
    this.branch = options.branch ?? DEFAULT_BASELINE_BRANCH;
    this.privateRef = `refs/loadgate/${this.branch}`;
    this.description = `branch ${this.branch} of ${this.remote}`;
  }

  async latest(series: string): Promise<StoredBaseline | null> {
    const [newest] = await this.history(series, 1);
    return newest ?? null;
  }

  /**
   * The series' newest `limit` records, newest first. A record a newer loadgate wrote (a job on
   * another version shares the branch) is skipped with a warning and the next one read: records
   * are never rewritten, so failing on it would fail every later run. A damaged record fails.
   */
  async history(series: string, limit = Number.POSITIVE_INFINITY): Promise<StoredBaseline[]> {
    const tip = await this.fetchTip();
    if (tip === null) return [];
    const dir = `${RECORDS_DIR}/${seriesName(series)}/`;
    const names = (await this.git(['ls-tree', '--name-only', tip, dir])).stdout
      .split('\n')
      .filter((name) => name.endsWith('.json'))
      .sort()
      .reverse();
    const records: StoredBaseline[] = [];
    for (const path of names) {
      if (records.length >= limit) break;
      const text = (await this.git(['cat-file', 'blob', `${tip}:${path}`])).stdout;
      try {
        records.push({
          baseline: parseBaseline(text, `${this.branch}:${path}`),
          ref: `${this.branch}:${path}@${tip.slice(0, 12)}`,
        });
      } catch (error) {
        if (!(error instanceof NewerBaselineError)) throw error;
        this.options.warn?.(
          `skipped ${this.branch}:${path}: ${error.problems[0] ?? error.message}; using older records`,
        );
      }
    }
    return records;
  }

  /** Adds the record; returns `branch:path@commit`. */
  async add(series: string, baseline: Baseline): Promise<{ ref: string }> {
    const path = `${RECORDS_DIR}/${seriesName(series)}/${recordName(baseline)}.json`;
    const blob = (
      await this.git(['hash-object', '-w', '--stdin'], `${JSON.stringify(baseline, null, 2)}\n`)
    ).stdout.trim();
    const maxAttempts = this.options.maxAttempts ?? 10;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
    let lastReason = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const parent = await this.fetchTip();
      if (parent !== null) {
        const existing = await this.git(
          ['rev-parse', '--verify', '--quiet', `${parent}:${path}`],
          undefined,
          true,
        );
        if (existing.code === 0) {
          // pushed by an earlier attempt whose answer was lost, or a clash: never rewrite
          if (existing.stdout.trim() === blob)
            return { ref: `${this.branch}:${path}@${parent.slice(0, 12)}` };
          throw new InfraError(
            `${this.branch}:${path} already holds another record; records are never rewritten`,
          );
        }
      }
      const commit = await this.commitAdding(
        parent,
        path,
        blob,
        `loadgate baseline ${seriesName(series)}: run ${baseline.runId}`,
      );
      await this.options.beforePush?.(attempt);
      const push = await this.git(
        ['push', '--quiet', this.remote, `${commit}:refs/heads/${this.branch}`],
        undefined,
        true,
      );
      if (push.code === 0) return { ref: `${this.branch}:${path}@${commit.slice(0, 12)}` };
      lastReason = push.stderr.trim().split('\n').slice(-2).join(' ');
      const failure = classifyGitFailure(push.stderr, this.branch);
      if (failure.kind === 'refused') throw this.refused('push to', failure, push.stderr);
      if (failure.kind !== 'race')
        throw new InfraError(`git push to ${this.description} failed: ${lastReason}`);
      this.options.onRetry?.(attempt, lastReason);
      // 50 ms, 100, 200, … up to 2 s, each with up to as much again of jitter
      const wait = Math.min(2000, 50 * 2 ** (attempt - 1));
      await sleep(wait + Math.floor(Math.random() * wait));
    }
    throw new InfraError(
      `could not add a baseline to ${this.description} after ${maxAttempts} attempts: ${lastReason}`,
    );
  }

  /** The branch's tip fetched into a private ref, or null when the branch does not exist yet. */
  private async fetchTip(): Promise<string | null> {
    const fetched = await this.git(
      ['fetch', '--quiet', '--no-tags', this.remote, `+refs/heads/${this.branch}:${this.privateRef}`],
      undefined,
      true,
    );
    if (fetched.code !== 0) {
      if (/couldn't find remote ref|no such ref|not our ref/i.test(fetched.stderr)) return null;
      const failure = classifyGitFailure(fetched.stderr, this.branch);
      if (failure.kind === 'refused') throw this.refused('fetch from', failure, fetched.stderr);
      throw new InfraError(`git fetch from ${this.description} failed: ${fetched.stderr.trim()}`);
    }
    return (await this.git(['rev-parse', this.privateRef])).stdout.trim();
  }

  /** A commit of `parent`'s tree plus one file, made in a temporary index. */
  private async commitAdding(
    parent: string | null,
    path: string,
    blob: string,
    message: string,
  ): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'loadgate-index-'));
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    try {
      await this.git(
        parent === null ? ['read-tree', '--empty'] : ['read-tree', parent],
        undefined,
        false,
        env,
      );
      await this.git(
        ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`],
        undefined,
        false,
        env,
      );
      const tree = (await this.git(['write-tree'], undefined, false, env)).stdout.trim();
      const args = ['commit-tree', tree, '-m', message, ...(parent === null ? [] : ['-p', parent])];
      return (await this.git(args, undefined, false, { ...env, ...identity() })).stdout.trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** A refusal named at once, with its fix and the remote's own words (not retried). */
  private refused(what: string, failure: { why: string; fix: string }, stderr: string): InfraError {
    // the remote's own words and git's verdict, without hints and progress
    const said = stderr
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^(remote: \S|fatal:|error:|! \[)/.test(line))
      .slice(0, 5)
      .join(' | ');
    return new InfraError(
      `git ${what} ${this.description} was refused: ${failure.why}. Fix: ${failure.fix}. (git said: ${said})`,
    );
  }

  private git(
    args: string[],
    input?: string,
    allowFailure = false,
    env: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const timeoutMs = this.options.gitTimeoutMs ?? DEADLINES_MS.git;
    const withAuth = { ...gitAuthEnv(this.options.auth, process.env), ...env };
    return runGit(this.options.repoDir, args, input, withAuth, timeoutMs).then((result) => {
      if (result.timedOut) {
        throw new DeadlineError(
          `git ${args[0]} in ${this.options.repoDir} did not finish within ${timeoutMs / 1000} s and was stopped (${this.description}): check the network and the remote`,
        );
      }
      if (result.code !== 0 && !allowFailure) {
        throw new InfraError(`git ${args[0]} failed in ${this.options.repoDir}: ${result.stderr.trim()}`);
      }
      return result;
    });
  }
}

/** Commits by loadgate when the clone has no identity of its own (CI clones often have none). */
function identity(): Record<string, string> {
  const name = process.env.GIT_AUTHOR_NAME || 'loadgate';
  const email = process.env.GIT_AUTHOR_EMAIL || 'loadgate@users.noreply.github.com';
  return {
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME || name,
    GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL || email,
  };
}

function runGit(
  cwd: string,
  args: string[],
  input: string | undefined,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((done, fail) => {
    const child = spawn('git', args, {
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // a process group of its own: git's helpers (git-remote-http, ssh) hold its pipes too, so
      // the deadline ends the whole group, not git alone
      detached: true,
    });
    let timedOut = false;
    const timer = boundedTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // it ended meanwhile
      }
    }, timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(new InfraError(`git could not be started: ${error.message}`, { cause: error }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? 1, stdout, stderr, timedOut });
    });
    if (input !== undefined && child.stdin) {
      child.stdin.on('error', () => {}); // git may exit before reading it all; its exit code says why
      child.stdin.end(input);
    }
  });
}
