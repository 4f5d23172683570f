import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LadderPlan } from '../../k6-scripts/contract.ts';
import { compareBaselines, comparisonOutcome } from '../compare/compare.ts';
import { applyFloorSettings, DEFAULT_POLICY } from '../compare/policy.ts';
import type { Comparison, Policy } from '../compare/schema.ts';
import type { LoadgateConfig } from '../config/schema.ts';
import type { ComparisonOutcome } from '../gate/verdict.ts';
import type { ProgressSink } from '../progress.ts';
import type { Result } from '../result/schema.ts';
import { TOOL_VERSION } from '../version.ts';
import { buildBaseline } from './build.ts';
import { currentRunner, currentSource, loadHash } from './comparability.ts';
import { checkBaselineTarget, readBaseline, writeBaseline } from './file.ts';
import { type LatencySamples, readLatencySamples } from './samples.ts';
import type { Baseline } from './schema.ts';

/** k6's per-request samples in the output folder (`k6 run --out csv=…`). */
export const SAMPLES_FILE = 'k6-samples.csv.gz';
/** Every complete run leaves itself in the output folder as a baseline, for `loadgate compare`. */
export const RUN_BASELINE_FILE = 'baseline.json';

export interface BaselineRunOptions {
  /** compare the run with this baseline file */
  baselinePath?: string;
  /** write the run to this file as a baseline, when it passes */
  saveBaselinePath?: string;
  /** `--floor metric=value` settings over the default floors */
  floors?: readonly string[];
  /** the policy to start from (default DEFAULT_POLICY) */
  policy?: Policy;
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
    private readonly options: BaselineRunOptions,
    private readonly baseline: Baseline | null,
    private readonly policy: Policy,
    private readonly progress: ProgressSink,
  ) {}

  static async prepare(options: BaselineRunOptions, progress: ProgressSink): Promise<BaselineStep> {
    const policy = applyFloorSettings(options.policy ?? DEFAULT_POLICY, options.floors ?? []);
    const baseline = options.baselinePath !== undefined ? await readBaseline(options.baselinePath) : null;
    if (options.saveBaselinePath !== undefined) await checkBaselineTarget(options.saveBaselinePath);
    if (baseline !== null) {
      progress.step(`comparing with baseline ${options.baselinePath} (run ${baseline.runId})`);
    }
    return new BaselineStep(options, baseline, policy, progress);
  }

  /** Where k6 writes its samples for this run. */
  samplesPath(outDir: string): string {
    return join(resolve(outDir), SAMPLES_FILE);
  }

  /**
   * This run as a baseline record and, with a baseline, the comparison. A partial run is neither
   * recorded nor compared. Samples that cannot be read leave a record without spreads (a warning):
   * its percentiles are shown, not tested.
   */
  async compare(
    run: RunFacts,
    config: LoadgateConfig,
    files: { plan: string; samples?: string },
  ): Promise<{
    comparison?: Comparison;
    verdictInput?: ComparisonOutcome;
  }> {
    if (run.partial) return {};
    let samples: LatencySamples | null = null;
    if (files.samples !== undefined) {
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
    if (this.baseline === null) return {};
    const comparison = compareBaselines(this.baseline, this.record, {
      policy: this.policy,
      baselineSource: this.options.baselinePath ?? 'baseline',
    });
    return { comparison, verdictInput: comparisonOutcome(comparison) };
  }

  /**
   * Writes the record to the output folder (every complete run) and to --save-baseline when the
   * run passed: never a partial, failed or regressed run.
   */
  async save(result: Pick<Result, 'partial' | 'verdict'>, outDir: string): Promise<void> {
    if (this.record === null || result.partial || result.verdict === 'error') {
      if (this.options.saveBaselinePath !== undefined) {
        this.progress.warn(`not saved as a baseline: the run is partial or failed (${result.verdict})`);
      }
      return;
    }
    await writeBaseline(join(resolve(outDir), RUN_BASELINE_FILE), this.record);
    const target = this.options.saveBaselinePath;
    if (target === undefined) return;
    if (!savable(result.verdict)) {
      this.progress.warn(`not saved as a baseline to ${target}: the run's verdict is ${result.verdict}`);
      return;
    }
    await writeBaseline(target, this.record);
    this.progress.step(`saved this run as the baseline ${target}`);
  }
}

/** A run may become a baseline when it did not fail: pass, or a comparison that found no regression. */
export function savable(verdict: Result['verdict']): boolean {
  return verdict === 'pass' || verdict === 'inconclusive' || verdict === 'not-comparable';
}
