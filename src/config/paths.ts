/** A setting's location in the config: keys and list indices, outermost first. */
export type ConfigPath = readonly PropertyKey[];

/** A problem found in a config, before it is formatted for a person. */
export interface ConfigIssue {
  path: ConfigPath;
  message: string;
}

/** How the path of the config's top level reads in a message. */
export const ROOT_LABEL = '(top level)';

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * A path as a person writes it: `load.levels[2]`, `dependencies.db.ports[0]`; keys that are not
 * plain words are quoted: `service.env["spring.url"]`.
 */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (PLAIN_KEY.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out === '' ? ROOT_LABEL : out;
}

/** One issue as the line a person reads: `path: message`. */
export function formatIssue(issue: ConfigIssue): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/** A value as a message shows it: short, typed, never a wall of JSON. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value (null)';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** A plain object (a YAML mapping), as opposed to a list, null or a scalar. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
