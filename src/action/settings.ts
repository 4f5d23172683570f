import { createHash } from 'node:crypto';
import { parseLocation } from '../baseline/names.ts';
import { DEFAULT_CONFIG_PATH } from '../config/defaults.ts';
import { parseOverrideLines } from '../config/overrides.ts';
import { parseSegmentArg, parseStartAt, type SegmentIndex } from '../distributed/segments.ts';
import { ConfigError } from '../errors.ts';
import { Inputs, MODES, type Mode } from './inputs.ts';

/** Every input of the action, read and checked once, in one typed object. */
export interface ActionSettings {
  mode: Mode;
  configPath: string;
  outDir: string;
  overrides: string[];
  /** empty when none was given; never logged (registered as a secret) */
  token: string;
  /** post the sticky comment on the pull request (pr mode) */
  comment: boolean;
  failOnRegression: boolean;
  /** one comment per job key */
  jobKey: string;
  /** login whose comments are loadgate's; empty: the token's own */
  commentAuthor: string;
  /** the name the workflow uploads the output folder under; the comment points at it */
  artifactName: string;
  /** comment-from-artifact: the run whose artifact to post; null: the workflow_run event's */
  runId: number | null;
  /** pr mode: also drive the base revision and this one alternately and compare them (paired mode) */
  paired: boolean;
  /** paired slots' arrivals per second; null: from this run's knee */
  pairedRate: number | null;
  /** where a passing run of the default branch is saved as the baseline (a file or `git:…`); empty: nowhere */
  baseline: string;
  /** one runner of a distributed run: its segment i of N; null: not a runner */
  segment: SegmentIndex | null;
  /** with segment: when every runner starts (ms since the epoch); null: at once */
  startAtMs: number | null;
  /** the folders of a distributed run's parts to merge instead of running load; empty: none */
  parts: string[];
  /** with parts: the number of runners; null: what the parts say */
  segments: number | null;
}

export const DEFAULTS = {
  config: DEFAULT_CONFIG_PATH,
  out: 'loadgate-out',
  mode: 'pr',
  artifactName: 'loadgate-report',
} as const;

/**
 * The settings from the inputs (`get` is core.getInput in the action). Throws ConfigError
 * listing every bad input.
 */
export function readSettings(get: (name: string) => string): ActionSettings {
  const problems: string[] = [];
  const text = (name: string) => get(name).trim();
  const bool = (name: string, fallback: boolean) => {
    const value = text(name).toLowerCase();
    if (value === '') return fallback;
    if (['true', 'yes', 'on', '1'].includes(value)) return true;
    if (['false', 'no', 'off', '0'].includes(value)) return false;
    problems.push(`${name}: "${value}" is not true or false`);
    return fallback;
  };
  const modeText = text(Inputs.mode) || DEFAULTS.mode;
  const mode = (MODES as readonly string[]).includes(modeText) ? (modeText as Mode) : DEFAULTS.mode;
  if (mode !== modeText) problems.push(`${Inputs.mode}: "${modeText}" is not one of ${MODES.join(', ')}`);
  const configPath = text(Inputs.config) || DEFAULTS.config;
  const overrides = parseOverrideLines(get(Inputs.set));
  const runIdText = text(Inputs.runId);
  let runId: number | null = null;
  if (runIdText !== '') {
    if (/^\d{1,20}$/.test(runIdText)) runId = Number(runIdText);
    else problems.push(`${Inputs.runId}: "${runIdText}" is not a run id`);
  }
  const pairedText = text(Inputs.paired).toLowerCase() || 'auto';
  if (!['auto', 'off'].includes(pairedText))
    problems.push(`${Inputs.paired}: "${pairedText}" is not auto or off`);
  const rateText = text(Inputs.pairedRate);
  const pairedRate = rateText === '' ? null : Number(rateText);
  if (pairedRate !== null && !(Number.isFinite(pairedRate) && pairedRate > 0)) {
    problems.push(`${Inputs.pairedRate}: "${rateText}" is not a positive number of requests per second`);
  }
  const baseline = text(Inputs.baseline);
  if (baseline !== '') {
    try {
      parseLocation(baseline);
    } catch (error) {
      problems.push(`${Inputs.baseline}: ${(error as Error).message}`);
    }
  }
  const distributed = distributedInputs(text, problems);
  const settings: ActionSettings = {
    mode,
    configPath,
    outDir: text(Inputs.out) || DEFAULTS.out,
    overrides,
    token: text(Inputs.token),
    comment: bool(Inputs.comment, true),
    failOnRegression: bool(Inputs.failOnRegression, false),
    jobKey: text(Inputs.jobKey) || defaultJobKey(configPath, overrides),
    commentAuthor: text(Inputs.commentAuthor),
    artifactName: text(Inputs.artifactName) || DEFAULTS.artifactName,
    runId,
    paired: pairedText !== 'off',
    pairedRate,
    baseline,
    ...distributed,
  };
  if (problems.length > 0) throw new ConfigError(`bad action inputs: ${problems.join('; ')}`, problems);
  return settings;
}

/** The inputs of a distributed run's runner (segment, start-at) or merge (parts, segments). */
function distributedInputs(
  text: (name: string) => string,
  problems: string[],
): Pick<ActionSettings, 'segment' | 'startAtMs' | 'parts' | 'segments'> {
  const attempt = <T>(name: string, read: () => T): T | null => {
    try {
      return read();
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
      return null;
    }
  };
  const segmentText = text(Inputs.segment);
  const segment = segmentText === '' ? null : attempt(Inputs.segment, () => parseSegmentArg(segmentText));
  const startText = text(Inputs.startAt);
  const startAtMs = startText === '' ? null : attempt(Inputs.startAt, () => parseStartAt(startText));
  if (startText !== '' && segmentText === '')
    problems.push(`${Inputs.startAt}: applies only with ${Inputs.segment}`);
  const parts = text(Inputs.parts)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const segmentsText = text(Inputs.segments);
  const segments =
    segmentsText === ''
      ? null
      : attempt(Inputs.segments, () => parseSegmentArg(`${segmentsText}/${segmentsText}`).count);
  if (segmentsText !== '' && parts.length === 0)
    problems.push(`${Inputs.segments}: applies only with ${Inputs.parts}`);
  if (segment !== null && parts.length > 0)
    problems.push(`${Inputs.segment} and ${Inputs.parts}: a job is either one runner or the merge, not both`);
  return { segment, startAtMs, parts, segments };
}

/**
 * One comment per config, and per matrix entry: the overrides, when any, add a short hash so
 * `set: service.env.POOL_SIZE=5` and `=10` keep separate comments.
 */
export function defaultJobKey(configPath: string, overrides: readonly string[]): string {
  if (overrides.length === 0) return configPath;
  const hash = createHash('sha256').update(overrides.join('\n')).digest('hex').slice(0, 8);
  return `${configPath}+${hash}`;
}
