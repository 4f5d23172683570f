import { ConfigError } from '../errors.ts';
import type { Result } from '../result/schema.ts';

// What a baseline is called, where it lives and when a run may become one: pure, shared by the
// baseline step, the stores, the action's settings and the comment.

/** Every complete run leaves itself in the output folder as a baseline, for `loadgate compare`. */
export const RUN_BASELINE_FILE = 'baseline.json';

/** The branch baselines are kept on unless told otherwise. */
export const DEFAULT_BASELINE_BRANCH = 'loadgate-baselines';

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

/** A run may become a baseline when it did not fail: pass, or a comparison that found no regression. */
export function savable(verdict: Result['verdict']): boolean {
  return verdict === 'pass' || verdict === 'inconclusive' || verdict === 'not-comparable';
}
