import YAML from 'yaml';
import { errorMessage } from '../errors.ts';
import { type ConfigPath, formatPath, isRecord } from './paths.ts';

/**
 * `--set path=value` (and the action's `set` input): changes to the parsed YAML, made before
 * validation, so an override is checked exactly like the file. The path is written as errors
 * print it (`load.levels`, `load.requests[0].weight`, `service.env["spring.url"]`); the value is
 * YAML (`5`, `open`, `[1,2,4]`, `{ http: /health }`); an empty value is empty text, and `null` or
 * `~` removes the setting.
 */
export interface Override {
  /** as written */
  text: string;
  path: ConfigPath;
  value: unknown;
  /** `null` or `~`: delete the setting instead of setting it */
  remove: boolean;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** One `path=value` parsed, or why it cannot be. */
export function parseOverride(text: string): { override: Override } | { error: string } {
  const fail = (message: string) => ({ error: `override ${JSON.stringify(text)}: ${message}` });
  const parsedPath = parsePathPart(text);
  if ('error' in parsedPath) return fail(parsedPath.error);
  const { path, rest } = parsedPath;
  if (!rest.startsWith('=')) {
    return fail(
      rest === ''
        ? 'no "="; write path=value, e.g. load.levels=[1,2,4] or service.env.POOL_SIZE=5'
        : `unexpected ${JSON.stringify(rest[0])} after ${formatPath(path)}; write path=value`,
    );
  }
  if (path.length === 0) return fail('no setting before "="; write path=value, e.g. service.env.POOL_SIZE=5');
  const valueText = rest.slice(1).trim();
  if (valueText === '') return { override: { text, path, value: '', remove: false } };
  let value: unknown;
  try {
    // Warnings (an unknown !tag) leave the text as it is; only errors are problems.
    value = YAML.parse(valueText, { logLevel: 'error' });
  } catch (error) {
    const reason = errorMessage(error).split('\n')[0];
    return fail(
      `the value is not valid YAML (${reason}); quote text that contains ": " or " #", or starts with [, {, * or &`,
    );
  }
  return { override: { text, path, value: value === null ? undefined : value, remove: value === null } };
}

/** Reads the path up to the first "=" outside brackets. */
function parsePathPart(text: string): { path: ConfigPath; rest: string } | { error: string } {
  const path: PropertyKey[] = [];
  const source = text.trimStart();
  let i = 0;
  let expectKey = true;
  while (i < source.length && source[i] !== '=') {
    const char = source[i] as string;
    if (char === '[') {
      const end = findClosingBracket(source, i);
      if (end < 0) return { error: `"[" at character ${i + 1} has no closing "]"` };
      const inside = source.slice(i + 1, end).trim();
      if (/^\d+$/.test(inside)) path.push(Number(inside));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inside)) path.push(JSON.parse(inside) as string);
      else
        return {
          error: `"[${inside}]" is neither a list index nor a quoted key; write [0] or ["key.with.dots"]`,
        };
      i = end + 1;
      expectKey = false;
    } else if (char === '.') {
      if (expectKey || path.length === 0) return { error: `an empty key at character ${i + 1}` };
      i += 1;
      expectKey = true;
    } else {
      if (!expectKey)
        return { error: `"." or "[" expected at character ${i + 1}, after ${formatPath(path)}` };
      let end = i;
      while (end < source.length && !'.[]='.includes(source[end] as string)) end += 1;
      const key = source.slice(i, end).trim();
      if (key === '') return { error: `an empty key at character ${i + 1}` };
      path.push(key);
      i = end;
      expectKey = false;
    }
  }
  if (expectKey && path.length > 0) return { error: 'the path ends with "."' };
  for (const segment of path) {
    if (typeof segment === 'string' && FORBIDDEN_KEYS.has(segment))
      return { error: `"${segment}" is not a setting` };
  }
  return { path, rest: source.slice(i) };
}

function findClosingBracket(text: string, open: number): number {
  let inQuotes = false;
  for (let i = open + 1; i < text.length; i++) {
    const char = text[i];
    if (inQuotes && char === '\\') i += 1;
    else if (char === '"') inQuotes = !inQuotes;
    else if (char === ']' && !inQuotes) return i;
  }
  return -1;
}

/**
 * The raw config with every override applied in order, and a problem for each that cannot be
 * parsed or applied. Pure: the input is not changed. Missing mappings and lists on the way are
 * created, so `dependencies.cache.image=redis:7` works on a file without dependencies.
 */
export function applyOverrides(
  raw: unknown,
  overrides: readonly string[],
): { value: unknown; errors: string[] } {
  if (overrides.length === 0) return { value: raw, errors: [] };
  const errors: string[] = [];
  let value: unknown = raw === undefined || raw === null ? {} : structuredClone(raw);
  for (const text of overrides) {
    const parsed = parseOverride(text);
    if ('error' in parsed) {
      errors.push(parsed.error);
      continue;
    }
    const applied = applyOne(value, parsed.override);
    if ('error' in applied) errors.push(`override ${JSON.stringify(text)}: ${applied.error}`);
    else value = applied.value;
  }
  return { value, errors };
}

function applyOne(root: unknown, { path, value, remove }: Override): { value: unknown } | { error: string } {
  if (!isRecord(root)) return { error: 'the config is not a mapping, so there is nothing to set in it' };
  let node: Record<string, unknown> | unknown[] = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as string | number;
    const here = formatPath(path.slice(0, i));
    const last = i === path.length - 1;
    if (Array.isArray(node)) {
      if (typeof segment !== 'number')
        return { error: `${here} is a list; write an index such as ${here}[0]` };
      if (segment > node.length) {
        return {
          error: `${here} has ${node.length} item${node.length === 1 ? '' : 's'}; [${segment}] is beyond its end (${here}[${node.length}] adds one)`,
        };
      }
    } else if (typeof segment === 'number') {
      return {
        error: `${i === 0 ? 'the config' : here} is a mapping, not a list; write a key instead of [${segment}]`,
      };
    }
    const container: Record<string | number, unknown> = node as Record<string | number, unknown>;
    if (last) {
      if (!remove) container[segment] = value;
      else if (Array.isArray(node) && typeof segment === 'number') node.splice(segment, 1);
      else delete container[segment];
      return { value: root };
    }
    let next = Object.hasOwn(container, segment) ? container[segment] : undefined;
    if (next === undefined || next === null) {
      if (remove) return { value: root };
      next = typeof path[i + 1] === 'number' ? [] : {};
      container[segment] = next;
    }
    if (!isRecord(next) && !Array.isArray(next)) {
      return {
        error: `${formatPath(path.slice(0, i + 1))} is ${describeKind(next)}, so it has no settings inside`,
      };
    }
    node = next;
  }
  return { value: root };
}

function describeKind(value: unknown): string {
  return typeof value === 'string'
    ? `the text ${JSON.stringify(value)}`
    : `the ${typeof value} ${String(value)}`;
}

/**
 * Overrides from a multi-line action input: one `path=value` per line; blank lines and lines
 * starting with `#` are skipped.
 */
export function parseOverrideLines(input: string): string[] {
  return input
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
