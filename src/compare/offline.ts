import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseBaseline } from '../baseline/file.ts';
import { RUN_BASELINE_FILE } from '../baseline/names.ts';
import type { Baseline } from '../baseline/schema.ts';
import { ConfigError } from '../errors.ts';
import { decideVerdict } from '../gate/verdict.ts';
import { writeFileAtomic, writeJsonAtomic } from '../output/atomic.ts';
import { checkOutDir, checkOutputsSpareInputs } from '../output/guard.ts';
import { renderReport } from '../report/markdown.ts';
import { type Result, ResultSchema, type Verdict } from '../result/schema.ts';
import { compareBaselines, comparisonOutcome } from './compare.ts';
import { applyFloorSettings, DEFAULT_POLICY } from './policy.ts';
import { renderComparison } from './report.ts';
import type { Comparison } from './schema.ts';

/**
 * `loadgate compare BASELINE RESULT`: two saved runs compared without running load. Each side is
 * a baseline file, a result.json (its run's baseline.json beside it), or an output folder. With
 * a result.json on the right, the result is re-judged: its gate stays, the comparison joins it,
 * and the full report is rendered.
 */
export interface OfflineCompareOptions {
  baselinePath: string;
  resultPath: string;
  /** where comparison.json (and, for a result, result.json and report.md) go; none: nothing written */
  outDir?: string;
  floors?: readonly string[];
}

export interface OfflineCompareOutcome {
  comparison: Comparison;
  /** the combined verdict: the right side's gate (when it is a result) and the comparison */
  verdict: Verdict;
  summary: string;
  /** report.md of the re-judged result, or the comparison alone */
  reportMarkdown: string;
  written: string[];
}

interface Side {
  baseline: Baseline;
  result: Result | null;
  /** the file the side was read from: a baseline, or a result.json */
  file: string;
  /** a result.json's baseline.json beside it */
  beside?: string;
}

/** What `--out` receives. */
const OUTPUT_FILES = ['result.json', 'report.md', 'comparison.json'] as const;

export async function compareOffline(options: OfflineCompareOptions): Promise<OfflineCompareOutcome> {
  const policy = applyFloorSettings(DEFAULT_POLICY, options.floors ?? []);
  const left = await readSide(options.baselinePath);
  const right = await readSide(options.resultPath);
  if (options.outDir !== undefined) {
    // Neither side may be written over, nor its folder (a link to it included).
    const out = resolve(options.outDir);
    await checkOutDir(options.outDir, null);
    await checkOutputsSpareInputs(
      '--out',
      options.outDir,
      OUTPUT_FILES.map((name) => join(out, name)),
      {
        given: [options.baselinePath, options.resultPath],
        runFolders: [left, right].flatMap((side) => (side.result ? [dirname(side.file)] : [])),
        read: [left, right].flatMap((side) => [side.file, ...(side.beside ? [side.beside] : [])]),
      },
    );
  }
  const comparison = compareBaselines(left.baseline, right.baseline, { policy, baselineSource: left.file });
  const gate = right.result?.gate ?? { checked: 0, breaches: [] };
  const decided = decideVerdict({ gate, comparison: comparisonOutcome(comparison) });
  const written: string[] = [];
  let reportMarkdown: string;
  if (right.result !== null) {
    const rejudged: Result = ResultSchema.parse({
      ...right.result,
      verdict: right.result.partial ? 'error' : decided.verdict,
      summary: right.result.partial ? right.result.summary : decided.summary,
      comparison,
    });
    reportMarkdown = renderReport(rejudged);
    if (options.outDir !== undefined) {
      const out = resolve(options.outDir);
      await writeJsonAtomic(join(out, 'result.json'), rejudged);
      await writeFileAtomic(join(out, 'report.md'), reportMarkdown);
      written.push(join(out, 'result.json'), join(out, 'report.md'));
    }
  } else {
    reportMarkdown = `${renderComparison(comparison, right.baseline.comparability.loadModel).join('\n\n')}\n`;
    if (options.outDir !== undefined) {
      const out = resolve(options.outDir);
      await writeFileAtomic(join(out, 'report.md'), reportMarkdown);
      written.push(join(out, 'report.md'));
    }
  }
  if (options.outDir !== undefined) {
    const file = join(resolve(options.outDir), 'comparison.json');
    await writeJsonAtomic(file, comparison);
    written.push(file);
  }
  return { comparison, verdict: decided.verdict, summary: decided.summary, reportMarkdown, written };
}

/** A baseline file, a result.json with its baseline.json beside it, or an output folder. */
async function readSide(path: string): Promise<Side> {
  let file = resolve(path);
  const info = await stat(file).catch(() => null);
  if (info === null) throw new ConfigError(`${path} does not exist`, [`${path}: does not exist`]);
  if (info.isDirectory()) file = join(file, 'result.json');
  const json = await readJson(file);
  if (isObject(json) && 'baselineVersion' in json) {
    return { baseline: parseBaseline(JSON.stringify(json), file), result: null, file };
  }
  if (isObject(json) && 'schemaVersion' in json) {
    const parsed = ResultSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .slice(0, 10)
        .map((i) => `${file}: ${i.path.join('.')}: ${i.message}`);
      throw new ConfigError(
        `${file} is not a result.json this loadgate reads:\n  ${problems.join('\n  ')}`,
        problems,
      );
    }
    if (parsed.data.partial) {
      throw new ConfigError(`${file} is a partial run: it cannot be compared`, [`${file}: partial`]);
    }
    const beside = join(dirname(file), RUN_BASELINE_FILE);
    const text = await readFile(beside, 'utf8').catch(() => null);
    if (text === null) {
      throw new ConfigError(
        `${file} has no ${RUN_BASELINE_FILE} beside it (the run's per-request statistics); only complete runs leave one`,
        [`${beside}: does not exist`],
      );
    }
    const baseline = parseBaseline(text, beside);
    if (baseline.runId !== parsed.data.runId) {
      throw new ConfigError(
        `${beside} belongs to run ${baseline.runId}, not to ${parsed.data.runId} of ${file}`,
        [`${beside}: runId: ${baseline.runId} ≠ ${parsed.data.runId}`],
      );
    }
    return { baseline, result: parsed.data, file, beside };
  }
  throw new ConfigError(`${file} is neither a loadgate baseline nor a result.json`, [
    `${file}: unknown content`,
  ]);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file} cannot be read (${(error as Error).message})`, [
      `${file}: cannot be read`,
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON (${(error as Error).message})`, [
      `${file}: not valid JSON`,
    ]);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
