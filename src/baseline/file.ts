import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import { writeJsonAtomic } from '../output/atomic.ts';
import { BASELINE_VERSION, type Baseline, BaselineSchema } from './schema.ts';

/**
 * Baseline files: parsing (pure), reading, and writing atomically. A file that is not JSON,
 * not a baseline, of a newer version, or damaged is a ConfigError naming the file and every
 * problem with its path; it is never overwritten.
 */

/** A baseline written by a newer loadgate, which this one cannot read (a ConfigError where it is the one asked for). */
export class NewerBaselineError extends ConfigError {}

/** Parses a baseline's text; `name` (the file) appears in every message. */
export function parseBaseline(text: string, name: string): Baseline {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `baseline ${name} is not valid JSON (${(error as Error).message}); it is left as it is`,
      [`${name}: not valid JSON`],
    );
  }
  const version =
    json !== null && typeof json === 'object' && 'baselineVersion' in json
      ? (json as { baselineVersion: unknown }).baselineVersion
      : undefined;
  if (typeof version !== 'number') {
    throw new ConfigError(
      `${name} is not a loadgate baseline (it has no baselineVersion); it is left as it is`,
      [`${name}: baselineVersion: missing`],
    );
  }
  if (version > BASELINE_VERSION) {
    throw new NewerBaselineError(
      `baseline ${name} has version ${version}, written by a newer loadgate; this one reads version ` +
        `${BASELINE_VERSION}: upgrade loadgate, or save a new baseline elsewhere. The file is left as it is`,
      [`${name}: baselineVersion: ${version} is newer than ${BASELINE_VERSION}`],
    );
  }
  const parsed = BaselineSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${name}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    const shown = problems.slice(0, 10);
    const more = problems.length > shown.length ? `\n  and ${problems.length - shown.length} more` : '';
    throw new ConfigError(
      `baseline ${name} is damaged; it is left as it is:\n${shown.map((p) => `  ${p}`).join('\n')}${more}`,
      problems,
    );
  }
  return parsed.data;
}

/** Reads and parses a baseline file; a missing or unreadable one is a ConfigError. */
export async function readBaseline(path: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw new ConfigError(`baseline ${path} ${why}`, [`${path}: ${why}`], { cause: error });
  }
  return parseBaseline(text, path);
}

/**
 * Checks, before a run starts, that a baseline may be written to `path`: it does not exist yet,
 * or it is a baseline this loadgate reads (then it is replaced). Anything else there (a damaged
 * or newer baseline, another file) is a ConfigError and stays untouched.
 */
export async function checkBaselineTarget(path: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ConfigError(`cannot save a baseline to ${path}: ${(error as Error).message}`, [
      `${path}: cannot be read`,
    ]);
  }
  try {
    parseBaseline(text, path);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ConfigError(`will not overwrite ${path}: ${error.message}`, error.problems, { cause: error });
    }
    throw error;
  }
}

/** Writes a baseline atomically (output/atomic.ts): no reader sees half a file, a failure leaves the old one. */
export async function writeBaseline(path: string, baseline: Baseline): Promise<void> {
  await writeJsonAtomic(path, BaselineSchema.parse(baseline));
}
