import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import YAML, { type Document, isMap, isSeq, LineCounter, type Node } from 'yaml';
import { ConfigError } from '../errors.ts';
import { registerSecret } from '../redact.ts';
import { composePath, translateCompose } from './compose.ts';
import { DEFAULT_CONFIG_PATH, stableJson } from './defaults.ts';
import { applyOverrides, parseOverride } from './overrides.ts';
import { type ConfigIssue, type ConfigPath, formatIssue, isRecord } from './paths.ts';
import { CONFIG_LIMITS, type LoadgateConfig } from './schema.ts';
import { resolveSecrets, type SecretRef, secretRefs } from './secrets.ts';
import { configWarnings, validateConfigIssues } from './validate.ts';

/** Where the config is looked for when no path is given. */
/** A config is a page or two; YAML parsing of megabytes takes seconds before any bound is checked. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface LoadedConfig {
  config: LoadgateConfig;
  /** absolute path of the file read */
  configPath: string;
  /** absolute; build contexts and load.script are relative to it */
  configDir: string;
  /** configHash(config): equal for two runs whose normalized configs are equal */
  hash: string;
  /** `path: message` lines worth showing; not errors */
  warnings: string[];
  /**
   * the value of each variable `${env.NAME}` refers to, read from the environment; registered
   * for redaction (src/redact.ts). The config itself keeps the references.
   */
  secrets: Record<string, string>;
}

/**
 * Reads, parses, overrides and validates a config file: the one I/O function of the config.
 * Throws ConfigError listing every problem, one per line, when the file is missing, is not YAML,
 * an override is malformed, or the config is invalid.
 */
export async function readConfig(
  path: string = DEFAULT_CONFIG_PATH,
  overrides: readonly string[] = [],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<LoadedConfig> {
  const configPath = resolve(path);
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `no config file at ${path} (${configPath})`
        : code === 'EISDIR'
          ? `${path} is a folder, not a config file`
          : `cannot read the config file ${path}: ${(error as Error).message}`;
    const problem = `${why}; create it (see the README for an example), or give another file with --config <file> (action input: config)`;
    throw new ConfigError(problem, [problem], { cause: error });
  }
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    const problem = `${path} is ${Buffer.byteLength(text)} bytes, over the ${MAX_CONFIG_BYTES} bytes a config may be; a ladder holds at most ${CONFIG_LIMITS.levels} levels`;
    throw new ConfigError(problem, [problem]);
  }
  const configDir = dirname(configPath);
  const compose = await readComposeFile(text, overrides, configDir, env);
  const { config, hash, warnings, secretRefs } = configFromText(text, path, overrides, compose);
  // Secrets are read now, before anything starts: a missing one names its setting and variable.
  const secrets = resolveSecrets(secretRefs, env);
  if (secrets.problems.length > 0) {
    throw configError(
      `${path} reads ${secrets.problems.length === 1 ? 'a variable' : 'variables'} that loadgate's environment lacks`,
      secrets.problems,
    );
  }
  for (const value of Object.values(secrets.values)) registerSecret(value);
  await checkScript(config, configDir);
  return { config, configPath, configDir, hash, warnings, secrets: secrets.values };
}

/** The compose file that `compose.file` names (after overrides), read; undefined without one. */
async function readComposeFile(
  text: string,
  overrides: readonly string[],
  configDir: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ComposeInput | undefined> {
  let raw: unknown;
  try {
    raw = applyOverrides(YAML.parse(text, { logLevel: 'silent' }), overrides).value;
  } catch {
    return undefined; // the YAML's own errors are reported by configFromText
  }
  const file = isRecord(raw) && isRecord(raw.compose) ? raw.compose.file : undefined;
  if (typeof file !== 'string' || file === '') return undefined;
  const { path, dir } = composePath(configDir, file);
  try {
    return { text: await readFile(path, 'utf8'), shownFile: file, dir, configDir, env };
  } catch (error) {
    const problem = `compose.file: cannot read ${file} (${path}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; give the compose file's path relative to the config file`;
    throw new ConfigError(problem, [problem], { cause: error });
  }
}

/** A compose file to expand into the config (see compose.ts), with what its translation needs. */
export interface ComposeInput {
  text: string;
  /** the file as compose.file names it */
  shownFile: string;
  /** its folder */
  dir: string;
  configDir: string;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The raw config with `compose` expanded into `service` and `dependencies`: the compose file's
 * containers first, the config's own settings of the same names laid over them (env merged key by
 * key; image, build, wait and the rest replaced). Problems with the compose file throw.
 */
function withCompose(raw: unknown, input: ComposeInput): { value: unknown; warnings: string[] } {
  if (!isRecord(raw) || !isRecord(raw.compose)) return { value: raw, warnings: [] };
  const { service, port } = raw.compose;
  if (typeof service !== 'string') return { value: raw, warnings: [] }; // the schema says what is wrong
  const doc = YAML.parseDocument(input.text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw configError(
      `${input.shownFile} (compose.file) is not valid YAML`,
      doc.errors.map((e) => `${input.shownFile}: ${e.message.split('\n')[0]}`),
    );
  }
  const translated = translateCompose(doc.toJS({ maxAliasCount: 1000 }), {
    selection: { file: input.shownFile, service, ...(typeof port === 'number' ? { port } : {}) },
    shownFile: input.shownFile,
    composeDir: input.dir,
    configDir: input.configDir,
    env: input.env,
  });
  if (translated.problems.length > 0) {
    throw configError(
      `${input.shownFile} (compose.file) describes what loadgate cannot run`,
      translated.problems,
    );
  }
  const dependencies: Record<string, unknown> = { ...translated.dependencies };
  const own = isRecord(raw.dependencies) ? raw.dependencies : {};
  for (const [name, settings] of Object.entries(own)) {
    dependencies[name] = Object.hasOwn(dependencies, name)
      ? layContainer(dependencies[name] as Record<string, unknown>, settings)
      : settings;
  }
  return {
    value: {
      ...raw,
      service: layContainer(translated.service, raw.service),
      dependencies,
    },
    warnings: translated.warnings,
  };
}

/** A container's settings with the config's own laid over: env key by key, the rest replaced. */
function layContainer(base: Record<string, unknown>, over: unknown): Record<string, unknown> {
  if (!isRecord(over)) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (key === 'env' && isRecord(value) && isRecord(base.env)) out.env = { ...base.env, ...value };
    else out[key] = value;
    // image and build are one choice: the config's replaces the compose file's
    if (key === 'image') delete out.build;
    if (key === 'build') delete out.image;
  }
  return out;
}

/** load.script is a readable file: found now, not after the containers started. */
async function checkScript(config: LoadgateConfig, configDir: string): Promise<void> {
  const script = config.load.script;
  if (script === undefined) return;
  const path = resolve(configDir, script);
  try {
    if (!(await stat(path)).isFile()) throw Object.assign(new Error('a folder'), { code: 'EISDIR' });
    await access(path, constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code})`;
    const problem = `load.script: ${script} (${path}) ${why}; the path is relative to the config file's folder (${configDir})`;
    throw new ConfigError(problem, [problem], { cause: error });
  }
}

/**
 * The pure part of readConfig: YAML text (named `file` in messages) to a validated config.
 * Problems inside the file carry its line number: `load.levels[2]: ... (line 14)`.
 */
export function configFromText(
  text: string,
  file: string,
  overrides: readonly string[] = [],
  /** the compose file `compose.file` names, read (readConfig does) */
  compose?: ComposeInput,
): { config: LoadgateConfig; hash: string; warnings: string[]; secretRefs: SecretRef[] } {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length) {
    const problems = doc.errors.map((error) => {
      const { line, col } = lineOf(error.pos[0]);
      return `${file}:${line}:${col}: ${error.message}`;
    });
    throw configError(`${file} is not valid YAML`, problems);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw configError(`${file} is not valid YAML`, [`${file}: ${(error as Error).message}`]);
  }
  const overridden = applyOverrides(raw, overrides);
  if (overridden.errors.length) throw configError('an override is malformed', overridden.errors);
  const expanded = compose
    ? withCompose(overridden.value, compose)
    : { value: overridden.value, warnings: [] };

  const overriddenPaths = overrides.flatMap((o) => {
    const parsed = parseOverride(o);
    return 'override' in parsed ? [parsed.override.path] : [];
  });
  const located = (issue: ConfigIssue) => {
    const fromOverride = overriddenPaths.some((p) => startsWith(issue.path, p));
    const line = fromOverride ? undefined : lineOfPath(doc, issue.path, lineOf);
    return line === undefined ? formatIssue(issue) : `${formatIssue(issue)} (line ${line})`;
  };
  const { config, issues } = validateConfigIssues(expanded.value);
  if (!config)
    throw configError(`${file} has ${issues.length === 1 ? 'a problem' : `${issues.length} problems`}`, [
      ...new Set(issues.map(located)),
    ]);
  return {
    config,
    secretRefs: secretRefs(expanded.value),
    hash: configHash(config),
    warnings: [
      ...doc.warnings.map((w) => `${file}: ${w.message}`),
      ...expanded.warnings,
      ...configWarnings(config).map(located),
    ],
  };
}

function configError(headline: string, problems: string[]): ConfigError {
  return new ConfigError(`${headline}:\n${problems.map((p) => `  ${p}`).join('\n')}`, problems);
}

function startsWith(path: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

/** The line of the deepest key or item along the path that the file has. */
function lineOfPath(
  doc: Document,
  path: ConfigPath,
  lineOf: (offset: number) => { line: number },
): number | undefined {
  let node: unknown = doc.contents;
  let line = isNodeWithRange(node) ? lineOf(node.range[0]).line : undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => {
        const key = item.key as { value?: unknown } | null;
        return key !== null && typeof key === 'object' && String(key.value) === String(segment);
      });
      if (!pair) break;
      if (isNodeWithRange(pair.key)) line = lineOf(pair.key.range[0]).line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (!isNodeWithRange(item)) break;
      line = lineOf(item.range[0]).line;
      node = item;
    } else break;
  }
  return line;
}

function isNodeWithRange(value: unknown): value is Node & { range: [number, number, number] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { range?: unknown }).range);
}

/**
 * A short, stable fingerprint of a normalized config (sha256 of its JSON with sorted keys, 16 hex
 * characters): equal configs hash equal whatever the order they were written in.
 */
export function configHash(config: LoadgateConfig): string {
  return createHash('sha256').update(stableJson(config)).digest('hex').slice(0, 16);
}
