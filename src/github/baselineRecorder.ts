import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readBaseline } from '../baseline/file.ts';
import type { GitAuth } from '../baseline/gitRemote.ts';
import { GitBranchStore } from '../baseline/gitStore.ts';
import { defaultSeries } from '../baseline/location.ts';
import { parseLocation, RUN_BASELINE_FILE } from '../baseline/names.ts';
import { type BaselineStore, FileStore } from '../baseline/store.ts';
import { InfraError } from '../errors.ts';
import type { Result } from '../result/schema.ts';
import type { BaselineRecorder } from './publish.ts';

export interface RecorderOptions {
  /** the checkout: a `git:` store pushes from its clone, a file path is relative to it */
  repoDir: string;
  /** the run's output folder, where every complete run leaves its baseline record */
  outDir: string;
  /** GITHUB_REF_NAME names a `git:` store's series when the location names none */
  env?: NodeJS.ProcessEnv;
  /** a token for a `git:` store's fetch and push (the token input) */
  gitAuth?: GitAuth;
}

/**
 * The action's baseline input as a recorder: a file, or `git:[branch][#series]` (one record per
 * accepted run on a dedicated branch, never rewritten). It saves the record the run itself left
 * in its output folder (`baseline.json`, built from k6's samples), so the stored baseline is
 * exactly what `loadgate compare` would read.
 */
export function baselineRecorder(location: string, options: RecorderOptions): BaselineRecorder {
  const parsed = parseLocation(location);
  const repoDir = resolve(options.repoDir);
  let store: BaselineStore;
  let series: () => Promise<string>;
  if (parsed.kind === 'file') {
    store = new FileStore(resolve(repoDir, parsed.path));
    series = async () => '';
  } else {
    store = new GitBranchStore({
      repoDir,
      branch: parsed.branch,
      ...(options.gitAuth ? { auth: options.gitAuth } : {}),
    });
    series = async () => parsed.series ?? (await defaultSeries('write', repoDir, options.env));
  }
  return {
    description: store.description,
    async record(result: Result) {
      const recordPath = join(resolve(options.outDir), RUN_BASELINE_FILE);
      const record = await readBaseline(recordPath).catch((error: Error) => {
        throw new InfraError(`the run left no baseline record to save: ${error.message}`, { cause: error });
      });
      // An output folder reused across runs may hold an earlier run's record.
      if (record.runId !== result.runId) {
        throw new InfraError(
          `${recordPath} is run ${record.runId}'s record, not this run's (${result.runId}): not saved`,
        );
      }
      return store.add(await series(), record);
    },
  };
}

/**
 * What a pull request run compares with: the baseline input, read by `loadgate run --baseline`'s
 * code (a `git:` store's newest record of the base branch's series, GITHUB_BASE_REF). A file that
 * does not exist yet (no run of the default branch has been recorded) is no baseline, not an error.
 */
export async function baselineToCompare(
  location: string,
  repoDir: string,
): Promise<{ baselinePath: string } | { missing: string }> {
  const parsed = parseLocation(location);
  if (parsed.kind === 'git') return { baselinePath: location };
  const path = resolve(repoDir, parsed.path);
  try {
    await access(path);
  } catch {
    return { missing: path };
  }
  return { baselinePath: path };
}
