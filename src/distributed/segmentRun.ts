import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PartManifest } from '../../k6-scripts/contract.ts';
import { SAMPLES_FILE } from '../baseline/step.ts';
import { readConfig } from '../config/read.ts';
import { requireTarget } from '../config/target.ts';
import { ConfigError, InfraError } from '../errors.ts';
import { type K6Binary, locateK6, runLadder } from '../load/k6.ts';
import { buildLadderPlan } from '../load/plan.ts';
import { levelResultParts } from '../metrics/setup.ts';
import { checkOutDir } from '../output/guard.ts';
import type { ProgressSink } from '../progress.ts';
import type { LevelResult } from '../result/schema.ts';
import { ladderInput, ladderRunOptions, newRunId } from '../run.ts';
import { TOOL_VERSION } from '../version.ts';
import { PART_FILE, readPartManifest, writePartManifest } from './part.ts';
import { k6Segment, type SegmentIndex, segmentLabel } from './segments.ts';

/** The furthest in the future --start-at may lie: a runner waits, bounded. */
export const MAX_START_WAIT_S = 3600;

export interface SegmentRunOptions {
  configPath: string;
  outDir: string;
  overrides: readonly string[];
  progress: ProgressSink;
  segment: SegmentIndex;
  /** when every runner starts its ladder (ms since the epoch); default at once */
  startAtMs?: number;
  signal?: AbortSignal;
  onRunId?: (runId: string) => void;
  /** the k6 to drive; default the one found on PATH (the action passes the one it installed) */
  k6?: K6Binary;
}

export interface SegmentOutcome {
  manifest: PartManifest;
  manifestPath: string;
  /** this runner's share of each level (not the run's figures: `loadgate merge` computes those) */
  levels: LevelResult[];
}

/**
 * One runner's share of a distributed run against a deployed target: k6 runs this runner's
 * execution segment of every level, records every request's latency, and leaves the part
 * (manifest, summary, samples) in the output folder for `loadgate merge`. Nothing is gated
 * here: a share of the load says nothing about the whole. A cancelled runner leaves a partial part.
 */
export async function runSegment(options: SegmentRunOptions): Promise<SegmentOutcome> {
  const { progress } = options;
  const loaded = await readConfig(options.configPath, options.overrides);
  await checkOutDir(options.outDir, loaded.configDir);
  for (const warning of loaded.warnings) progress.warn(warning);
  const { config } = loaded;
  const target = requireTarget(config, '--segment');
  if (options.startAtMs !== undefined && options.startAtMs - Date.now() > MAX_START_WAIT_S * 1000) {
    const problem = `--start-at ${new Date(options.startAtMs).toISOString()} is more than ${MAX_START_WAIT_S / 60} minutes away; give a time shortly after every runner will have started`;
    throw new ConfigError(problem, [problem]);
  }
  const k6 = options.k6 ?? (await locateK6());
  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  const runId = newRunId(new Date());
  options.onRunId?.(runId);
  const segment = k6Segment(options.segment);
  progress.step(
    `loadgate ${TOOL_VERSION}: segment ${segmentLabel(options.segment)} (k6 ${segment.executionSegment}) of a distributed run, part ${runId}, k6 ${k6.version}, output in ${options.outDir}`,
  );
  const plan = buildLadderPlan(ladderInput(config, target.url));
  if (options.startAtMs !== undefined)
    progress.step(
      `k6 waits, paused, until ${new Date(options.startAtMs).toISOString()}, when every runner starts`,
    );
  progress.step(
    `driving this runner's share of ${plan.scenarios.filter((s) => s.measured).length} levels against ${target.url} (about ${Math.round(plan.totalS)} s)`,
  );
  const manifestPath = join(outDir, PART_FILE);
  const ladder = await runLadder({
    ...ladderRunOptions({
      config,
      configDir: loaded.configDir,
      k6,
      plan,
      outDir,
      runId,
      progress,
      signal: options.signal,
      samplesPath: join(outDir, SAMPLES_FILE),
      secrets: loaded.secrets,
    }),
    segment,
    part: { path: manifestPath, configHash: loaded.hash },
    ...(options.startAtMs !== undefined
      ? {
          startAtMs: options.startAtMs,
          onResumed: (lateMs: number) =>
            lateMs > 1000
              ? progress.warn(
                  `started ${(lateMs / 1000).toFixed(1)} s after --start-at (k6 was not ready in time); the merge judges whether the runners overlapped`,
                )
              : progress.step('started with the other runners'),
        }
      : {}),
  });
  // The ladder script wrote what k6 itself knows (its segment, its start); loadgate adds whether it finished.
  const written = await readPartManifest(manifestPath);
  if (written === null)
    throw new InfraError(`k6 wrote no part manifest to ${manifestPath}; see ${ladder.files.log}`);
  if (written.executionSegment !== segment.executionSegment) {
    throw new InfraError(
      `k6 ran the execution segment ${written.executionSegment ?? '(none)'}, not ${segment.executionSegment}; see ${ladder.files.log}`,
    );
  }
  if (ladder.thresholdsCrossed) {
    progress.warn(
      `the script's thresholds were crossed on this runner's share: ${ladder.crossedThresholds.join('; ')} (they judge a share, not the run; the merge gates the run)`,
    );
  }
  const manifest: PartManifest = {
    ...written,
    partial: ladder.cancelled,
    problem: ladder.cancelled ? 'its runner was cancelled before its ladder ended' : null,
  };
  await writePartManifest(manifestPath, manifest);
  const levels = ladder.levels.map((level) => ({ ...level, ...levelResultParts(undefined, null) }));
  return { manifest, manifestPath, levels };
}
