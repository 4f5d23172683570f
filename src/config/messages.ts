import type { z } from 'zod';
import { type ConfigIssue, type ConfigPath, describeValue, formatPath, isRecord } from './paths.ts';

/**
 * zod's default messages ("Invalid input", "Unrecognized key") say little to someone editing a
 * YAML file. This error map says what is wrong and what is allowed; schemas with their own wording
 * (durations, rates, names) set it on the schema itself, which zod consults first.
 */
export function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const input = issue.input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return `required but missing${describedAs(issue.inst)}`;
      return `expected ${expectedText(issue.expected)}, got ${describeValue(input)}`;
    case 'unrecognized_keys': {
      // One line per key, in the order of `keys`: toConfigIssues gives each its own path.
      const allowed = allowedKeys(issue.inst);
      const where = issue.path?.length ? `in ${formatPath(issue.path)}` : 'at the top level';
      return issue.keys
        .map((key) => {
          const hint = closest(key, allowed);
          const didYouMean = hint ? `did you mean "${hint}"? ` : '';
          return `unknown setting; ${didYouMean}allowed ${where}: ${allowed.join(', ') || '(nothing)'}`;
        })
        .join('\n');
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => (typeof v === 'string' ? v : String(v)));
      if (input === undefined) return `required but missing; one of ${values.join(', ')}`;
      if (values.length === 1) return `must be ${values[0]}, got ${describeValue(input)}`;
      const hint = typeof input === 'string' ? closest(input, values) : undefined;
      return `${describeValue(input)} is not allowed${hint ? ` (did you mean ${hint}?)` : ''}; one of ${values.join(', ')}`;
    }
    case 'invalid_union':
      if (issue.discriminator !== undefined) {
        // The issue's input is the whole mapping; its path already ends at the discriminator.
        const value = isRecord(input) ? input[issue.discriminator] : input;
        const options = ((issue.options ?? []) as unknown[]).map(String);
        if (value === undefined) return `required but missing; one of ${options.join(', ')}`;
        const hint = typeof value === 'string' ? closest(value, options) : undefined;
        return `${describeValue(value)} is not allowed${hint ? ` (did you mean ${hint}?)` : ''}; one of ${options.join(', ')}`;
      }
      if (input === undefined) return `required but missing${describedAs(issue.inst)}`;
      return `${describeValue(input)} is not allowed here${describedAs(issue.inst)}`;
    case 'too_small':
      return sizeMessage('at least', 'more than', issue.minimum, issue.inclusive, issue.origin, input);
    case 'too_big':
      return sizeMessage('at most', 'less than', issue.maximum, issue.inclusive, issue.origin, input);
    case 'invalid_format':
      return `${describeValue(input)} is not in the expected form${'pattern' in issue && issue.pattern ? ` (${issue.pattern})` : ''}`;
    case 'invalid_key':
      return `invalid key ${describeValue(issue.path?.at(-1))}`;
    default:
      return undefined;
  }
}

/**
 * zod's issues as ConfigIssues: one per unknown key, and a union's issues unwrapped when the
 * input had the shape of exactly one of its forms (a mapping where a mapping or a string is
 * allowed: say what is wrong inside the mapping, not that it is "not allowed").
 */
export function toConfigIssues(issues: readonly z.core.$ZodIssue[], prefix: ConfigPath = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  // A value of the wrong type can also fail a length check (zod checks [] against a string's
  // min length): the type is the problem to report.
  const wrongType = new Set(issues.filter((i) => i.code === 'invalid_type').map((i) => formatPath(i.path)));
  for (const issue of issues) {
    if (issue.code !== 'invalid_type' && wrongType.has(formatPath(issue.path))) continue;
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const lines = issue.message.split('\n');
      issue.keys.forEach((key, i) => {
        out.push({ path: [...path, key], message: lines[i] ?? lines[0] ?? 'unknown setting' });
      });
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const matching = issue.errors.filter(
        (errs) => !errs.some((e) => e.code === 'invalid_type' && e.path.length === 0),
      );
      const only = matching.length === 1 ? matching[0] : undefined;
      if (only) out.push(...toConfigIssues(only, path));
      else out.push({ path, message: issue.message });
    } else if (issue.code === 'invalid_key') {
      const inner = issue.issues[0]?.message;
      out.push({ path, message: inner ?? issue.message });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

function describedAs(inst: unknown): string {
  const description = (inst as { description?: unknown } | undefined)?.description;
  return typeof description === 'string' && description ? `; expected ${description}` : '';
}

function expectedText(expected: string): string {
  switch (expected) {
    case 'string':
      return 'text';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'object':
    case 'record':
      return 'a mapping (key: value)';
    case 'array':
    case 'tuple':
      return 'a list';
    default:
      return expected;
  }
}

function sizeMessage(
  inclusiveWord: string,
  exclusiveWord: string,
  bound: unknown,
  inclusive: boolean | undefined,
  origin: string,
  input: unknown,
): string {
  const limit = `${inclusive === false ? exclusiveWord : inclusiveWord} ${String(bound)}`;
  if (origin === 'array' || origin === 'set') {
    const count = Array.isArray(input) ? input.length : undefined;
    return `needs ${limit} item${bound === 1 ? '' : 's'}${count === undefined ? '' : `, has ${count}`}`;
  }
  if (origin === 'string') {
    if (bound === 1 && inclusiveWord === 'at least') return 'must not be empty';
    return `must be ${limit} characters long`;
  }
  return `must be ${limit}, got ${describeValue(input)}`;
}

function allowedKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def?.shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : [];
}

/** The allowed word a typo most likely meant: same letters in another case, or one or two edits away. */
export function closest(word: string, allowed: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const sameCase = allowed.find((a) => a.toLowerCase() === lower);
  if (sameCase) return sameCase;
  let best: string | undefined;
  let bestDistance = word.length <= 3 ? 1 : 2;
  for (const candidate of allowed) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= bestDistance && (best === undefined || distance < bestDistance)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Edits (insert, delete, replace, swap two neighbours) from a to b; anything above 2 counts as 3. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return Math.min(at(a.length, b.length), 3);
}
