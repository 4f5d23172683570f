import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LadderPlan } from '../../k6-scripts/contract.ts';
import { compareWithHistory, comparisonOutcome } from '../compare/compare.ts';
import { applyFloorSettings, DEFAULT_POLICY } from '../compare/policy.ts';
import type { Comparison, Policy } from '../compare/schema.ts';
import type { LoadgateConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { ComparisonOutcome } from '../gate/verdict.ts';
import { sameFile } from '../output/guard.ts';
import type { ProgressSink } from '../progress.ts';
import type { Result, Trend } from '../result/schema.ts';
import { TOOL_VERSION } from '../version.ts';
import { buildBaseline } from './build.ts';
import { currentRunner, currentSource, loadHash } from './comparability.ts';
import { checkBaselineTarget, readBaseline, writeBaseline } from './file.ts';
import type { GitAuth } from './gitRemote.ts';
import { GitBranchStore } from './gitStore.ts';
import { defaultSeries } from './location.ts';
import { parseLocation, RUN_BASELINE_FILE, savable } from './names.ts';
import { type LatencySamples, readLatencySamples } from './samples.ts';
import type { Baseline } from './schema.ts';
import { type BaselineStore, FileStore, type StoredBaseline } from './store.ts';
import { buildTrend, TREND_RUNS } from './trend.ts';

/** k6's per-request samples in the output folder (`k6 run --out csv=…`). */
export const SAMPLES_FILE = 'k6-samples.csv.gz';
/**
 * Stored runs read from a branch for a comparison: those comparable with this run are the
 * history its baseline is taken from (their median) and its noise measured on (their spread).
 */
export const HISTORY_FOR_NOISE = 10;

export interface BaselineRunOptions {
  /** compare the run with this baseline: a file, or `git:[branch][#series]` (location.ts) */
  baselinePath?: string;
  /** write the run there as a baseline, when it passes: a file, or `git:[branch][#series]` */
  saveBaselinePath?: string;
  /** the repository of `git:` locations; default the current directory */
  repoDir?: string;
  /** `--floor metric=value` settings over the default floors */
  floors?: readonly string[];
  /** the policy to start from (default DEFAULT_POLICY) */
  policy?: Policy;
  /**
   * chart p95 over a stored history, this run last: `git:[branch][#series]` (default series: the
   * one this run would be saved to, the current branch's); result.trend and the report's Trend
   */
  trendFrom?: string;
  /** a token for a `git:` store's fetch and push (the action's token input) */
  gitAuth?: GitAuth;
}

/** The facts of a finished run the baseline step reads. */
export type RunFacts = Pick<
  Result,
  'runId' | 'k6Version' | 'loadModel' | 'configHash' | 'levels' | 'partial'
> & {
  startedAt: Date;
};

/**
 * The baseline side of `loadgate run`, in three calls the orchestrator makes: `prepare` before
 * anything starts (a damaged, newer or missing baseline is a ConfigError, exit 2, and a file
 * that is not a baseline is never overwritten), `compare` once the ladder ran (this run as a
 * baseline record from k6's samples, compared with the baseline), `save` once the result is
 * final (the record to the output folder, and to --save-baseline when the run passed).
 */
export class BaselineStep {
  private record: Baseline | null = null;

  private constructor(
    private readonly baseline: StoredBaseline | null,
    /** the stored runs the comparison reads, newest first (a file: its one record) */
    private readonly history: readonly Baseline[],
    private readonly target: { store: BaselineStore; series: string } | null,
    private readonly policy: Policy,
    private readonly progress: ProgressSink,
    private readonly trendHistory: { records: Baseline[]; source: string } | null,
    /** the baseline file compared with, when --baseline names a file */
    private readonly comparedFile: string | null,
  ) {}

  static async prepare(options: BaselineRunOptions, progress: ProgressSink): Promise<BaselineStep> {
    const policy = applyFloorSettings(options.policy ?? DEFAULT_POLICY, options.floors ?? []);
    const repoDir = resolve(options.repoDir ?? '.');
    const auth = options.gitAuth ? { auth: options.gitAuth } : {};
    let baseline: StoredBaseline | null = null;
    let history: Baseline[] = [];
    if (options.baselinePath !== undefined) {
      const location = parseLocation(options.baselinePath);
      if (location.kind === 'file') {
        baseline = { baseline: await readBaseline(location.path), ref: location.path };
        history = [baseline.baseline];
      } else {
        const series = location.series ?? (await defaultSeries('read', repoDir));
        const store = new GitBranchStore({
          repoDir,
          branch: location.branch,
          ...auth,
          warn: (message) => progress.warn(message),
        });
        // the stored runs: their median is the baseline, their spread the runner's noise
        const stored = await store.history(series, HISTORY_FOR_NOISE);
        baseline = stored[0] ?? null;
        history = stored.map((h) => h.baseline);
        if (baseline === null)
          progress.warn(`no baseline yet in series ${series} of ${store.description}: not compared`);
      }
      if (baseline !== null)
        progress.step(`comparing with baseline ${baseline.ref} (run ${baseline.baseline.runId})`);
    }
    let target: { store: BaselineStore; series: string } | null = null;
    if (options.saveBaselinePath !== undefined) {
      const location = parseLocation(options.saveBaselinePath);
      if (location.kind === 'file') {
        await checkBaselineTarget(location.path);
        target = { store: new FileStore(location.path), series: '' };
      } else {
        target = {
          store: new GitBranchStore({ repoDir, branch: location.branch, ...auth }),
          series: location.series ?? (await defaultSeries('write', repoDir)),
        };
      }
    }
    let trendHistory: { records: Baseline[]; source: string } | null = null;
    if (options.trendFrom !== undefined) {
      const location = parseLocation(options.trendFrom);
      if (location.kind !== 'git') {
        throw new ConfigError(
          `--trend ${options.trendFrom}: a trend needs a history, which only a git: store keeps (e.g. git:loadgate-baselines); a file holds one run`,
          ['--trend'],
        );
      }
      const series = location.series ?? (await defaultSeries('write', repoDir));
      const store = new GitBranchStore({
        repoDir,
        branch: location.branch,
        ...auth,
        warn: (message) => progress.warn(message),
      });
      const records = (await store.history(series, TREND_RUNS)).map((h) => h.baseline);
      trendHistory = { records, source: `series ${series} of ${store.description}` };
      progress.step(`read ${records.length} stored runs of series ${series} for the trend`);
    }
    const comparedFile =
      options.baselinePath !== undefined && parseLocation(options.baselinePath).kind === 'file'
        ? options.baselinePath
        : null;
    return new BaselineStep(baseline, history, target, policy, progress, trendHistory, comparedFile);
  }

  /** Where k6 writes its samples for this run. */
  samplesPath(outDir: string): string {
    return join(resolve(outDir), SAMPLES_FILE);
  }

  /**
   * This run as a baseline record and, with a baseline, the comparison. A partial run is neither
   * recorded nor compared. Samples that cannot be read leave a record without spreads (a warning):
   * its percentiles are shown, not tested. A merged run gives its samples, already read.
   */
  async compare(
    run: RunFacts,
    config: LoadgateConfig,
    files: { plan: string; samples?: string } | { samples: LatencySamples },
  ): Promise<{
    comparison?: Comparison;
    verdictInput?: ComparisonOutcome;
    trend?: Trend;
  }> {
    if (run.partial) return {};
    let samples: LatencySamples | null = null;
    if (typeof files.samples === 'object') samples = files.samples;
    else if ('plan' in files && files.samples !== undefined) {
      try {
        const plan = JSON.parse(await readFile(files.plan, 'utf8')) as LadderPlan;
        samples = await readLatencySamples(files.samples, plan);
      } catch (error) {
        this.progress.warn(
          `per-request samples could not be read (${(error as Error).message}); percentiles are compared without spreads, so inconclusively`,
        );
      }
    }
    this.record = buildBaseline({
      result: {
        ...run,
        tool: { name: 'loadgate', version: TOOL_VERSION },
        startedAt: run.startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
      },
      loadHash: loadHash(config),
      runner: currentRunner(),
      source: currentSource(),
      samples,
    });
    const trend = this.trendHistory
      ? buildTrend(this.trendHistory.records, this.record, this.trendHistory.source, TREND_RUNS, this.policy)
      : null;
    if (this.trendHistory && trend === null) {
      this.progress.step('no trend yet: no stored run of the series can be compared with this one');
    }
    const trendPart = trend ? { trend } : {};
    for (const c of trend?.changePoints?.filter((p) => p.change > 0) ?? []) {
      this.progress.warn(
        `the series changed level: ${c.metric.replace('Ms', '')} of ${c.request} (${c.phase}, level ${c.level}) ${(c.change * 100).toFixed(1)}% slower from run ${c.runId} on`,
      );
    }
    if (this.baseline === null) return trendPart;
    const comparison = compareWithHistory(this.history, this.record, {
      policy: this.policy,
      baselineSource: this.baseline.ref,
    });
    return { comparison, verdictInput: comparisonOutcome(comparison), ...trendPart };
  }

  /**
   * Writes the record to the output folder (every complete run) and to --save-baseline when the
   * run passed: never a partial, failed or regressed run, nor one cancelled after its load
   * (`cancelled`: its results are complete, but whoever stopped it did not want it kept). The
   * output folder's record is not written either when it is the baseline file this run was
   * compared with (`--baseline loadgate-out/baseline.json`, or a link to it) and the run did not
   * pass: a regression must not replace what it regressed from.
   */
  async save(result: Pick<Result, 'partial' | 'verdict'>, outDir: string, cancelled = false): Promise<void> {
    if (this.record === null || result.partial || result.verdict === 'error') {
      if (this.target !== null) {
        this.progress.warn(`not saved as a baseline: the run is partial or failed (${result.verdict})`);
      }
      return;
    }
    const recordPath = join(resolve(outDir), RUN_BASELINE_FILE);
    const kept = !cancelled && savable(result.verdict);
    if (!kept && this.comparedFile !== null && (await sameFile(recordPath, this.comparedFile))) {
      this.progress.warn(
        `${recordPath} is the baseline this run was compared with: left as it is, since the run ${cancelled ? 'was cancelled' : `did not pass (${result.verdict})`}; this run's own record is not kept`,
      );
    } else {
      await writeBaseline(recordPath, this.record);
    }
    const target = this.target;
    if (target === null) return;
    if (cancelled) {
      this.progress.warn(`not saved as a baseline to ${target.store.description}: the run was cancelled`);
      return;
    }
    if (!savable(result.verdict)) {
      this.progress.warn(
        `not saved as a baseline to ${target.store.description}: the run's verdict is ${result.verdict}`,
      );
      return;
    }
    const { ref } = await target.store.add(target.series, this.record);
    this.progress.step(`saved this run as the baseline ${ref}`);
  }
}
