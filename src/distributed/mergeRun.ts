import { mkdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { LadderPlan } from '../../k6-scripts/contract.ts';
import { type LatencySamples, readLatencySamples } from '../baseline/samples.ts';
import { type BaselineRunOptions, BaselineStep } from '../baseline/step.ts';
import { readConfig } from '../config/read.ts';
import { requireTarget } from '../config/target.ts';
import { ConfigError, errorMessage } from '../errors.ts';
import { phaseResults } from '../faults/recovery.ts';
import { evaluateGate } from '../gate/evaluate.ts';
import { decideVerdict } from '../gate/verdict.ts';
import { type LevelLoadResult, parseLadderSummary } from '../load/summary.ts';
import { levelResultParts } from '../metrics/setup.ts';
import { writeFileAtomic, writeJsonAtomic } from '../output/atomic.ts';
import { checkOutDir } from '../output/guard.ts';
import type { ProgressSink } from '../progress.ts';
import { renderReport } from '../report/markdown.ts';
import { type Merged, RESULT_SCHEMA_VERSION, type Result, ResultSchema } from '../result/schema.ts';
import { newRunId, OUT_FILES, type RunOutcome } from '../run.ts';
import { TOOL_VERSION } from '../version.ts';
import { type CheckedPart, checkParts, defaultMaxSkewS } from './check.ts';
import { mergeFigures, type PartFigures } from './figures.ts';
import { type FoundPart, findParts, type UnreadablePart } from './part.ts';
import { segmentLabel } from './segments.ts';

export interface MergeRunOptions {
  configPath: string;
  overrides: readonly string[];
  /** the folders the runners wrote their parts to */
  partDirs: readonly string[];
  outDir: string;
  progress: ProgressSink;
  baseline?: BaselineRunOptions;
  /** seconds a part's start may lie from the others'; default defaultMaxSkewS */
  maxSkewS?: number;
  /** the number of runners expected; default what the parts say */
  expectedCount?: number;
}

/**
 * `loadgate merge`: the parts of a distributed run made one run. Checks that they belong to one
 * plan (refused otherwise: ConfigError, exit 2), computes every figure from their merged
 * samples, then gates, compares with a baseline, reports and saves the baseline as `loadgate
 * run` does. A part missing, unreadable, unfinished or late makes the result partial, with the
 * reasons in its summary and `merged.partialReasons`: never a silently smaller run.
 */
export async function runMerge(options: MergeRunOptions): Promise<RunOutcome> {
  const { progress } = options;
  const loaded = await readConfig(options.configPath, options.overrides);
  await checkOutDir(options.outDir, loaded.configDir);
  for (const warning of loaded.warnings) progress.warn(warning);
  const { config } = loaded;
  requireTarget(config, 'loadgate merge');
  const baselines = await BaselineStep.prepare(options.baseline ?? {}, progress);
  const maxSkewS = options.maxSkewS ?? defaultMaxSkewS(config.load.levelDurationS);

  const found = await findParts(options.partDirs);
  const readable = found.filter((p): p is FoundPart => 'manifest' in p);
  const unreadable = found.filter((p): p is UnreadablePart => !('manifest' in p));
  const check = checkParts(readable, unreadable, {
    configHash: loaded.hash,
    maxSkewS,
    ...(options.expectedCount !== undefined ? { expectedCount: options.expectedCount } : {}),
  });
  if (check.refused.length > 0 || check.plan === null) {
    throw new ConfigError(
      `the parts do not make one run:\n${check.refused.map((r) => `  ${r}`).join('\n')}`,
      check.refused,
    );
  }
  const plan = check.plan;
  const versions = [...new Set(readable.map((p) => p.manifest.k6Version).filter((v) => v !== null))];
  if (versions.length > 1) {
    const problem = `the runners ran different k6 versions (${versions.join(', ')}): run every segment with one k6`;
    throw new ConfigError(problem, [problem]);
  }
  progress.step(
    `merging ${check.used.length} of ${check.count} segments (starts within ${check.skewS?.toFixed(2) ?? '-'} s, at most ${maxSkewS} s allowed)`,
  );

  // Each part's figures; a part whose files cannot be read is left out, and the run is partial.
  const partialReasons = [...check.partialReasons];
  const figures: PartFigures[] = [];
  const used: CheckedPart<FoundPart>[] = [];
  const unusable = new Map<FoundPart, string>();
  for (const checked of check.used) {
    try {
      figures.push(await readFigures(checked.part, plan));
      used.push(checked);
    } catch (error) {
      const why = `its files could not be read (${errorMessage(error)})`;
      unusable.set(checked.part, why);
      partialReasons.push(`segment ${segmentLabel(checked.segment)} ${why}: left out`);
    }
  }
  const merged = mergeFigures(plan, figures);
  for (const reason of partialReasons) progress.warn(`partial: ${reason}`);

  const levels = merged.levels.map((level) => ({ ...level, ...levelResultParts(undefined, null) }));
  const gate = evaluateGate(levels, config.gate.thresholds, config.load.model);
  for (const line of gate.unmatched) progress.warn(line);
  const partial = partialReasons.length > 0;
  const starts = used.map((p) => p.part.manifest.startedAtMs as number);
  const startedAt = starts.length > 0 ? new Date(Math.min(...starts)) : new Date();
  const runId = newRunId(startedAt);
  const k6Version = versions[0] ?? 'unknown';
  const compared = await baselines.compare(
    { runId, startedAt, levels, partial, k6Version, loadModel: config.load.model, configHash: loaded.hash },
    config,
    { samples: merged.samples },
  );
  const decided = decideVerdict({
    gate,
    ...(compared.verdictInput ? { comparison: compared.verdictInput } : {}),
  });
  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  const usedParts = new Set(used.map((p) => p.part));
  const mergedFacts: Merged = {
    segments: check.count,
    method: 'union-of-samples',
    maxSkewS,
    skewS: check.skewS,
    parts: [...check.used.map((p) => ({ ...p, why: unusable.get(p.part) ?? null })), ...check.leftOut]
      .sort((a, b) => a.segment.index - b.segment.index)
      .map((p) => ({
        segment: segmentLabel(p.segment),
        where: p.part.where,
        runId: p.part.manifest.runId,
        startedAt:
          p.part.manifest.startedAtMs === null ? null : new Date(p.part.manifest.startedAtMs).toISOString(),
        used: usedParts.has(p.part),
        note: p.why ?? (p.part.manifest.partial ? (p.part.manifest.problem ?? 'partial') : null),
      })),
    missing: check.missing.map(segmentLabel),
    partialReasons,
  };
  const first = used[0]?.part;
  const result: Result = ResultSchema.parse({
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'loadgate', version: TOOL_VERSION },
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    partial,
    verdict: partial ? 'error' : decided.verdict,
    summary: partial
      ? `partial: ${partialReasons.join('; ')}`
      : `${decided.summary} (${check.count} runners, merged)`,
    k6Version,
    loadModel: config.load.model,
    configHash: loaded.hash,
    probeIdleP95Ms: merged.extras.probeIdleP95Ms,
    phases: phaseResults(config.phases, plan, merged.extras),
    levels,
    gate: { checked: gate.checked, breaches: gate.breaches },
    ...(compared.comparison ? { comparison: compared.comparison } : {}),
    ...(compared.trend ? { trend: compared.trend } : {}),
    merged: mergedFacts,
    files: {
      report: OUT_FILES.report,
      k6Summary: first ? relative(outDir, first.summaryPath) : '',
      k6Log: '',
      logsDir: '',
    },
  } satisfies Result);
  const reportMarkdown = renderReport(result);
  const resultPath = join(outDir, OUT_FILES.result);
  const reportPath = join(outDir, OUT_FILES.report);
  await writeJsonAtomic(resultPath, result);
  await writeFileAtomic(reportPath, reportMarkdown);
  await baselines.save(result, outDir);
  return { result, reportMarkdown, resultPath, reportPath };
}

async function readFigures(part: FoundPart, plan: LadderPlan): Promise<PartFigures> {
  const levels: LevelLoadResult[] = parseLadderSummary(await readFile(part.summaryPath, 'utf8'), plan);
  const samples: LatencySamples = await readLatencySamples(part.samplesPath, plan);
  return { levels, samples };
}
