import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEADLINES_MS } from '../deadline.ts';
import { ConfigError } from '../errors.ts';

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
