import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEADLINES_MS } from '../deadline.ts';
import { ConfigError } from '../errors.ts';
import { DEFAULT_BASELINE_BRANCH } from './gitStore.ts';

/**
 * Where --baseline reads and --save-baseline writes: a file path, or `git:[branch][#series]`,
 * the records on a dedicated branch of the repository in the current directory (default branch
 * loadgate-baselines; default series: a pull request's base branch when reading, the current
 * branch otherwise).
 */
export type BaselineLocation =
  | { kind: 'file'; path: string }
  | { kind: 'git'; branch: string; series: string | null };

const BRANCH = /^[A-Za-z0-9._/-]+$/;

export function parseLocation(text: string): BaselineLocation {
  if (!text.startsWith('git:')) return { kind: 'file', path: text };
  const [branchPart = '', series = null] = text.slice('git:'.length).split('#', 2);
  const branch = branchPart === '' ? DEFAULT_BASELINE_BRANCH : branchPart;
  if (!BRANCH.test(branch) || branch.includes('..') || branch.startsWith('-')) {
    throw new ConfigError(`'${text}': '${branch}' is not a branch name`, [
      `baseline: ${text}: not a branch name`,
    ]);
  }
  if (series === '')
    throw new ConfigError(`'${text}': the series after '#' is empty`, [`baseline: ${text}: empty series`]);
  return { kind: 'git', branch, series };
}

/**
 * The series a run reads from or writes to when none is named: reading, a pull request's base
 * branch (GITHUB_BASE_REF), else the branch being built; writing, the branch being built
 * (GITHUB_REF_NAME, else the checkout's current branch).
 */
export async function defaultSeries(
  purpose: 'read' | 'write',
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (purpose === 'read' && env.GITHUB_BASE_REF) return env.GITHUB_BASE_REF;
  if (env.GITHUB_REF_NAME) return env.GITHUB_REF_NAME;
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', '--abbrev-ref', 'HEAD'], {
      cwd,
      timeout: DEADLINES_MS.git,
      killSignal: 'SIGKILL',
    });
    const branch = stdout.trim();
    if (branch !== '' && branch !== 'HEAD') return branch;
  } catch {
    // not a repository: the caller's store will say so
  }
  throw new ConfigError('no series for git: baselines: name one, e.g. git:loadgate-baselines#main', [
    'baseline: git: no branch to name the series after',
  ]);
}
