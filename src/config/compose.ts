import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import composeSpec from '../../vendor/compose-spec/compose-spec.json' with { type: 'json' };
import { interpolateTemplate, interpolateValue, shellQuote, splitWords } from './composeInterpolation.ts';
import { isRecord } from './paths.ts';

export { interpolateTemplate, interpolateValue, splitWords } from './composeInterpolation.ts';

/**
 * A docker-compose.yml as the description of the service and its dependencies (`compose: {
 * file, service }`): the file is checked against the Compose specification's own JSON Schema
 * (vendor/compose-spec), then the service under test and the services it depends on, directly
 * or not, become loadgate's `service` and `dependencies`, before the config is validated. The
 * config's own `service` and `dependencies` settings are laid over what the file says. No compose
 * binary runs: images, builds, environment, ports, depends_on (the start order) and healthchecks
 * (waits that run the check's command in the container) are loadgate's own. What loadgate cannot
 * honour is an error naming it; what does not matter to a load test (restart, container_name…),
 * a warning.
 *
 * Compose's `${VAR}` interpolation: in environment values, build args, command and healthcheck
 * tests it becomes loadgate's `${env.VAR}`, read at run time and kept secret; elsewhere (an image
 * tag, a port) it is read at once.
 */

export interface ComposeSelection {
  /** the compose file, relative to the config file */
  file: string;
  /** the compose service under test */
  service: string;
  /** the container port that serves HTTP; default the service's first in ports or expose */
  port?: number;
}

export interface ComposeTranslation {
  /** the raw `service` section (as a user would write it) */
  service: Record<string, unknown>;
  /** the raw `dependencies`, in an order where each comes after those it depends on */
  dependencies: Record<string, Record<string, unknown>>;
  /** `<file>: services.<name>.<key>: message` */
  problems: string[];
  warnings: string[];
}

/** The keys of a compose service loadgate reads. */
const READ_KEYS = new Set([
  'image',
  'build',
  'command',
  'environment',
  'ports',
  'expose',
  'depends_on',
  'healthcheck',
]);

/** Keys that change nothing in a load test, and why they are left out. */
const IGNORED_KEYS: Record<string, string> = {
  container_name: 'loadgate names its own containers',
  restart: 'loadgate starts each container once; one that stops fails the run',
  labels: 'loadgate labels its containers itself',
  logging: 'loadgate keeps every log in its output folder',
  networks: 'loadgate puts every container on one network of its own, reachable by its service name',
  profiles: 'the service and what it depends on are started, whatever their profiles',
  pull_policy: 'images are pulled when missing',
  stop_grace_period: 'loadgate stops its containers itself',
  stop_signal: 'loadgate stops its containers itself',
  tty: 'not needed',
  stdin_open: 'not needed',
  deploy: 'loadgate sets no replicas or resource limits',
};

const BUILD_KEYS = new Set(['context', 'dockerfile', 'args', 'target']);
const BUILD_IGNORED = new Set(['cache_from', 'cache_to', 'labels', 'pull']);
const HEALTHCHECK_KEYS = new Set([
  'test',
  'interval',
  'timeout',
  'retries',
  'start_period',
  'start_interval',
  'disable',
]);
/** What loadgate calls a container: the dependency name rule of its config. */
const CONTAINER_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const RESERVED_NAMES = new Set(['service', 'env']);
const DEFAULT_STARTUP_S = 60;

// Compiled once; the spec names its meta-schema by an address ajv does not carry (https, no "#"),
// so the spec itself is not checked against it.
let validateCompose: ReturnType<Ajv['compile']> | undefined;

/** The compose file's problems by the Compose specification's JSON Schema, each `path: message`. */
export function composeSchemaProblems(doc: unknown): string[] {
  validateCompose ??= new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(composeSpec);
  if (validateCompose(doc)) return [];
  return [...new Set((validateCompose.errors ?? []).map(describeSchemaError))].slice(0, 20);
}

function describeSchemaError(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
  const extra =
    error.keyword === 'additionalProperties'
      ? ` (${String((error.params as { additionalProperty?: string }).additionalProperty)})`
      : '';
  return `${path || '(top level)'}: ${error.message ?? 'is not valid'}${extra}`;
}

/**
 * The compose document (parsed YAML) as loadgate's raw service and dependencies. Pure: the
 * environment is passed in (interpolation), paths are computed, nothing is read.
 */
export function translateCompose(
  doc: unknown,
  options: {
    selection: ComposeSelection;
    /** the compose file as messages show it */
    shownFile: string;
    composeDir: string;
    configDir: string;
    env: Readonly<Record<string, string | undefined>>;
  },
): ComposeTranslation {
  const { selection, env } = options;
  const problems: string[] = [];
  const warnings: string[] = [];
  const at = (path: string, message: string) => `${options.shownFile}: ${path}: ${message}`;
  const out: ComposeTranslation = { service: {}, dependencies: {}, problems, warnings };

  for (const problem of composeSchemaProblems(doc)) problems.push(`${options.shownFile}: ${problem}`);
  if (problems.length > 0 || !isRecord(doc) || !isRecord(doc.services)) return out;
  if (doc.include !== undefined) {
    problems.push(
      at('include', 'not supported; loadgate reads one compose file: merge the included services into it'),
    );
  }
  const services = doc.services as Record<string, Record<string, unknown>>;
  if (!Object.hasOwn(services, selection.service)) {
    const names = Object.keys(services);
    problems.push(
      at(
        'services',
        `has no service "${selection.service}" (compose.service); it has ${names.length > 0 ? names.join(', ') : 'none'}`,
      ),
    );
    return out;
  }

  // The service under test and everything it depends on, each after what it depends on.
  const order = startOrder(services, selection.service, (path, message) => problems.push(at(path, message)));
  const context = {
    env,
    problems,
    warnings,
    at,
    composeDir: options.composeDir,
    configDir: options.configDir,
  };
  for (const name of order) {
    const container = translateService(name, services[name] as Record<string, unknown>, context);
    if (name === selection.service) {
      const port = selection.port ?? container.ports[0];
      if (port === undefined) {
        problems.push(
          at(
            `services.${name}`,
            'lists no port in ports or expose; give the one serving HTTP as compose.port',
          ),
        );
      }
      const { ports: _ports, ...rest } = container.fields;
      out.service = { ...rest, ...(port !== undefined ? { port } : {}) };
    } else {
      if (!CONTAINER_NAME.test(name) || RESERVED_NAMES.has(name)) {
        problems.push(
          at(
            `services.${name}`,
            `the service is reached by its name, and loadgate names containers with lowercase letters, digits and "-" (not "service" or "env"); rename it in the compose file`,
          ),
        );
      }
      out.dependencies[name] = container.fields;
    }
  }
  return out;
}

interface TranslateContext {
  env: Readonly<Record<string, string | undefined>>;
  problems: string[];
  warnings: string[];
  at: (path: string, message: string) => string;
  composeDir: string;
  configDir: string;
}

function translateService(
  name: string,
  service: Record<string, unknown>,
  ctx: TranslateContext,
): { fields: Record<string, unknown> & { ports?: number[] }; ports: number[] } {
  const path = `services.${name}`;
  const problem = (key: string, message: string) => ctx.problems.push(ctx.at(`${path}.${key}`, message));
  for (const key of Object.keys(service)) {
    if (READ_KEYS.has(key) || key.startsWith('x-')) continue;
    const why = IGNORED_KEYS[key];
    if (why !== undefined) ctx.warnings.push(ctx.at(`${path}.${key}`, `left out: ${why}`));
    else if (key === 'volumes') volumeNotes(service.volumes, `${path}.volumes`, ctx);
    else
      problem(
        key,
        `not supported by loadgate, which reads ${[...READ_KEYS].join(', ')}; remove it, or describe this container in loadgate's own config`,
      );
  }
  const fields: Record<string, unknown> = {};
  const value = (text: unknown, where: string) =>
    interpolateValue(String(text), ctx.env, (m) => problem(where, m));
  const template = (text: unknown, where: string) =>
    interpolateTemplate(String(text), ctx.env, (m) => problem(where, m));

  if (service.image !== undefined) fields.image = value(service.image, 'image');
  if (service.build !== undefined) fields.build = translateBuild(service.build, path, ctx, value, template);
  if (fields.image !== undefined && fields.build !== undefined) {
    // compose builds and tags the image; loadgate builds it under a tag of its own
    delete fields.image;
  }
  if (service.command !== undefined && service.command !== null) {
    const words = Array.isArray(service.command)
      ? service.command.map(String)
      : splitWords(String(service.command));
    fields.command = words.map((word) => template(word, 'command'));
  }
  const env = translateEnvironment(service.environment, (text) => template(text, 'environment'));
  if (Object.keys(env).length > 0) fields.env = env;
  const ports = [
    ...portList(
      service.ports,
      (text) => value(text, 'ports'),
      (m) => problem('ports', m),
    ),
    ...portList(
      service.expose,
      (text) => value(text, 'expose'),
      (m) => problem('expose', m),
    ),
  ].filter((port, i, all) => all.indexOf(port) === i);
  if (ports.length > 0) fields.ports = ports;
  const health = translateHealthcheck(service.healthcheck, (m) => problem('healthcheck', m), template, value);
  if (health) {
    fields.wait = { command: health.command };
    fields.startupTimeout = `${Math.max(DEFAULT_STARTUP_S, health.budgetS)}s`;
  }
  return { fields, ports };
}

function translateBuild(
  build: unknown,
  path: string,
  ctx: TranslateContext,
  value: (text: unknown, where: string) => string,
  template: (text: unknown, where: string) => string,
): Record<string, unknown> {
  const spec = typeof build === 'string' ? { context: build } : isRecord(build) ? build : {};
  for (const key of Object.keys(spec)) {
    if (BUILD_KEYS.has(key)) continue;
    if (BUILD_IGNORED.has(key)) ctx.warnings.push(ctx.at(`${path}.build.${key}`, 'left out'));
    else
      ctx.problems.push(
        ctx.at(
          `${path}.build.${key}`,
          'not supported; loadgate builds with context, dockerfile, args and target',
        ),
      );
  }
  // loadgate reads a build context relative to its own config file
  const contextDir = resolve(ctx.composeDir, value(spec.context ?? '.', 'build.context'));
  const context = relative(ctx.configDir, contextDir) || '.';
  const args: Record<string, string> = {};
  if (Array.isArray(spec.args)) {
    for (const item of spec.args.map(String)) {
      const eq = item.indexOf('=');
      // `- NAME` alone takes NAME from the environment, as compose does
      if (eq < 0) args[item] = `\${env.${item}}`;
      else args[item.slice(0, eq)] = template(item.slice(eq + 1), 'build.args');
    }
  } else if (isRecord(spec.args)) {
    for (const [key, text] of Object.entries(spec.args)) {
      args[key] = text === null ? `\${env.${key}}` : template(text, 'build.args');
    }
  }
  return {
    context: isAbsolute(context) ? contextDir : context,
    ...(spec.dockerfile !== undefined ? { dockerfile: value(spec.dockerfile, 'build.dockerfile') } : {}),
    ...(Object.keys(args).length > 0 ? { args } : {}),
    ...(spec.target !== undefined ? { target: value(spec.target, 'build.target') } : {}),
  };
}

/** environment as a mapping or a list of NAME=value; a name without a value reads the environment. */
function translateEnvironment(
  environment: unknown,
  template: (text: string) => string,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(environment)) {
    for (const item of environment.map(String)) {
      const eq = item.indexOf('=');
      if (eq < 0) env[item] = `\${env.${item}}`;
      else env[item.slice(0, eq)] = template(item.slice(eq + 1));
    }
  } else if (isRecord(environment)) {
    for (const [key, text] of Object.entries(environment)) {
      env[key] = text === null || text === undefined ? `\${env.${key}}` : template(String(text));
    }
  }
  return env;
}

/** Container ports of `ports` (short or long syntax) or `expose`, TCP only. */
function portList(
  list: unknown,
  value: (text: string) => string,
  problem: (message: string) => void,
): number[] {
  if (!Array.isArray(list)) return [];
  const ports: number[] = [];
  for (const item of list) {
    let text: string;
    let protocol = 'tcp';
    if (isRecord(item)) {
      text = String(item.target ?? '');
      protocol = String(item.protocol ?? 'tcp');
    } else {
      // [[ip:]published:]target[/protocol]: the container's port is the last part
      const [spec = '', proto] = value(String(item)).split('/');
      protocol = proto ?? 'tcp';
      text = spec.split(':').at(-1) ?? '';
    }
    if (protocol !== 'tcp') continue;
    const port = Number(text);
    if (/-/.test(text) || !Number.isInteger(port) || port < 1 || port > 65535) {
      problem(`"${text}" is not one container port (ranges are not supported); list each port`);
      continue;
    }
    ports.push(port);
  }
  return ports;
}

/** A healthcheck as the shell command a wait runs in the container, and the time it allows. */
function translateHealthcheck(
  health: unknown,
  problem: (message: string) => void,
  template: (text: unknown, where: string) => string,
  value: (text: unknown, where: string) => string,
): { command: string; budgetS: number } | null {
  if (!isRecord(health) || health.disable === true) return null;
  for (const key of Object.keys(health)) {
    if (!HEALTHCHECK_KEYS.has(key))
      problem(`${key} is not read; loadgate reads test, interval, retries and start_period`);
  }
  const test = health.test;
  let command: string | null = null;
  if (typeof test === 'string') command = template(test, 'healthcheck.test');
  else if (Array.isArray(test)) {
    const [kind, ...args] = test.map(String);
    if (kind === 'NONE') return null;
    if (kind === 'CMD-SHELL') command = template(args.join(' '), 'healthcheck.test');
    else if (kind === 'CMD')
      command = args.map((arg) => shellQuote(template(arg, 'healthcheck.test'))).join(' ');
    else problem(`test starts with "${kind}"; compose allows CMD, CMD-SHELL or NONE`);
  }
  if (command === null) {
    if (test === undefined) problem('has no test; give one, or disable: true');
    return null;
  }
  const seconds = (key: string, fallbackS: number) =>
    health[key] === undefined
      ? fallbackS
      : (parseComposeDurationS(value(health[key], `healthcheck.${key}`)) ?? fallbackS);
  const retries = Number(health.retries ?? 3);
  return {
    command,
    budgetS: Math.ceil(seconds('start_period', 0) + seconds('interval', 30) * (retries > 0 ? retries : 3)),
  };
}

/** A compose duration ("1m30s", "10s", "500ms", "1h") in seconds, or null. */
export function parseComposeDurationS(text: string): number | null {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) return null;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] as string] ?? 0), 0);
}

/** Named volumes are left out (a warning); a bind mount of a file or folder cannot be honoured. */
function volumeNotes(volumes: unknown, path: string, ctx: TranslateContext): void {
  if (!Array.isArray(volumes)) return;
  volumes.forEach((volume, i) => {
    const source = isRecord(volume) ? String(volume.source ?? '') : (String(volume).split(':')[0] ?? '');
    const bind = isRecord(volume) ? volume.type === 'bind' : /^[./~]/.test(source);
    if (bind) {
      ctx.problems.push(
        ctx.at(
          `${path}[${i}]`,
          `the bind mount of ${source} is not supported; copy it into the image (COPY in its Dockerfile)`,
        ),
      );
    } else {
      ctx.warnings.push(
        ctx.at(`${path}[${i}]`, `left out: every run starts with an empty ${source || 'volume'}`),
      );
    }
  });
}

/** The order to start: every service after those it depends on; the service under test last. */
function startOrder(
  services: Record<string, Record<string, unknown>>,
  root: string,
  problem: (path: string, message: string) => void,
): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, via: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      problem(
        `services.${name}.depends_on`,
        `services depend on each other in a circle: ${[...via, name].join(' → ')}`,
      );
      return;
    }
    state.set(name, 'visiting');
    for (const [needed, condition] of dependsOn(services[name]?.depends_on)) {
      if (!Object.hasOwn(services, needed)) {
        problem(`services.${name}.depends_on`, `names "${needed}", which is not a service of the file`);
        continue;
      }
      if (condition === 'service_completed_successfully') {
        problem(
          `services.${name}.depends_on.${needed}`,
          "condition service_completed_successfully is not supported: loadgate's containers run until the end (run a one-off step such as a migration in the image's start command)",
        );
      }
      visit(needed, [...via, name]);
    }
    state.set(name, 'done');
    order.push(name);
  };
  visit(root, []);
  return order;
}

function dependsOn(value: unknown): [string, string][] {
  if (Array.isArray(value)) return value.map((name) => [String(name), 'service_started']);
  if (isRecord(value)) {
    return Object.entries(value).map(([name, spec]) => [
      name,
      isRecord(spec) && typeof spec.condition === 'string' ? spec.condition : 'service_started',
    ]);
  }
  return [];
}

/** Where a compose file given relative to the config file is. */
export function composePath(configDir: string, file: string): { path: string; dir: string } {
  const path = resolve(configDir, file);
  return { path, dir: dirname(path) };
}
