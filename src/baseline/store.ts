import { ConfigError } from '../errors.ts';
import { checkBaselineTarget, readBaseline, writeBaseline } from './file.ts';
import type { Baseline } from './schema.ts';

/**
 * Where baselines live between runs. A store keeps series (one per branch, say: a PR reads its
 * base branch's); `add` appends an accepted run and never rewrites an earlier one (except the
 * single-file store, whose history is the repository's own).
 */
export interface BaselineStore {
  /** for messages: "baseline.json", "branch loadgate-baselines of origin" */
  readonly description: string;
  /** the newest baseline of the series, or null when it has none */
  latest(series: string): Promise<StoredBaseline | null>;
  /** adds a baseline to the series */
  add(series: string, baseline: Baseline): Promise<{ ref: string }>;
}

export interface StoredBaseline {
  baseline: Baseline;
  /** where exactly it came from: a file, `branch:path@commit`, a cache key */
  ref: string;
}

/** One JSON file, e.g. committed in the repository; the series is ignored. */
export class FileStore implements BaselineStore {
  readonly description: string;
  constructor(private readonly path: string) {
    this.description = path;
  }

  async latest(): Promise<StoredBaseline | null> {
    return { baseline: await readBaseline(this.path), ref: this.path };
  }

  /** Replaces the file, unless what is there is not a baseline this loadgate reads (ConfigError). */
  async add(_series: string, baseline: Baseline): Promise<{ ref: string }> {
    await checkBaselineTarget(this.path);
    await writeBaseline(this.path, baseline);
    return { ref: this.path };
  }
}

/** A series name safe in a path and a cache key: [A-Za-z0-9._-], '/' and the rest as '_'. */
export function seriesName(series: string): string {
  const safe = series.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '');
  if (safe === '')
    throw new ConfigError(`'${series}' cannot name a baseline series`, [`series: '${series}'`]);
  return safe.slice(0, 100);
}

/** A record's name: sortable by time, unique by run: `20260101T000100Z-<runId>`. */
export function recordName(baseline: Pick<Baseline, 'finishedAt' | 'runId'>): string {
  const stamp = baseline.finishedAt.replace(/[-:]/g, '').replace(/\.\d+/, '');
  return `${stamp}-${baseline.runId.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}
