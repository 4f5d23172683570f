import { envRefNames } from '../../k6-scripts/contract.ts';
import { type ConfigIssue, type ConfigPath, formatPath, isRecord } from './paths.ts';

/**
 * Secrets: `${env.NAME}` in a config value is read from loadgate's environment (the runner's
 * step env) when the run starts. The config keeps the reference, so its hash, result.json, the
 * baseline and the reproduce command never hold a value; the value goes only where it is used.
 * Pure, apart from the environment given to resolveSecrets.
 */

/** How a setting that reads `${env.NAME}` is told in messages. */
const WHERE_READ =
  'env values, build.args, command and wait.command of the service, a dependency or an upstream, the path, headers and body of load.requests, and target.headers';

/** The runner's own credentials: never passed to k6 or a container, never readable through `${env.…}`. */
const RUNNER_TOKENS = new Set(['GITHUB_TOKEN', 'GH_TOKEN']);
const RUNNER_TOKEN_PREFIXES = ['ACTIONS_', 'INPUT_'];

/**
 * Whether an environment variable is one of the runner's tokens or the action's inputs (the
 * token input among them): GITHUB_TOKEN, GH_TOKEN, ACTIONS_* (runtime and OIDC tokens, cache and
 * results URLs) and INPUT_*.
 */
export function isRunnerToken(name: string): boolean {
  return RUNNER_TOKENS.has(name) || RUNNER_TOKEN_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** The environment without the runner's tokens: what k6 is started with. */
export function withoutRunnerTokens(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !isRunnerToken(name)));
}

/** Whether a value at this path of the config file may read `${env.NAME}`. */
export function readsSecrets(path: ConfigPath): boolean {
  const [section, name, field, key] = path;
  if (section === 'service') return containerField(name, field);
  if (section === 'dependencies' || section === 'upstreams') return containerField(field, key);
  // a deployed target's headers go to k6 through its environment, as a request's do
  if (section === 'target' && name === 'headers') return field !== undefined;
  if (section === 'load' && name === 'requests' && typeof field === 'number') {
    return key === 'path' || key === 'headers' || key === 'body';
  }
  return false;
}

function containerField(key: PropertyKey | undefined, sub: PropertyKey | undefined): boolean {
  if (key === 'env' || key === 'command') return true;
  return (key === 'build' && sub === 'args') || (key === 'wait' && sub === 'command');
}

export interface SecretRef {
  path: ConfigPath;
  name: string;
}

/** Every `${env.NAME}` in the raw config (after overrides), with the path of its value. */
export function secretRefs(raw: unknown): SecretRef[] {
  const refs: SecretRef[] = [];
  const walk = (value: unknown, path: PropertyKey[]) => {
    if (typeof value === 'string') {
      for (const name of envRefNames(value)) refs.push({ path, name });
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, [...path, i]);
    } else if (isRecord(value)) for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
  };
  walk(raw, []);
  return refs;
}

/** `${env.NAME}` where it is not read, or naming one of the runner's tokens. */
export function secretIssues(raw: unknown): ConfigIssue[] {
  return secretRefs(raw).flatMap(({ path, name }): ConfigIssue[] => {
    if (!readsSecrets(path)) {
      return [
        {
          path,
          message: `\${env.${name}} is not read here; the environment is read in ${WHERE_READ} (write "$\${env." for a literal "\${env.")`,
        },
      ];
    }
    if (isRunnerToken(name)) {
      return [
        {
          path,
          message: `\${env.${name}}: ${name} is the runner's own credential, which loadgate keeps from k6 and every container; pass what the service needs under a name of your own (in the step's env: MY_TOKEN: \${{ secrets.MY_TOKEN }})`,
        },
      ];
    }
    return [];
  });
}

/**
 * The value of every variable the config refers to, from `env`; a problem per reference whose
 * variable is missing or empty, naming the setting and the variable.
 */
export function resolveSecrets(
  refs: readonly SecretRef[],
  env: Readonly<Record<string, string | undefined>>,
): { values: Record<string, string>; problems: string[] } {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const { path, name } of refs) {
    const value = Object.hasOwn(env, name) ? env[name] : undefined;
    if (value !== undefined && value !== '') {
      values[name] = value;
      continue;
    }
    problems.push(
      `${formatPath(path)}: \${env.${name}} reads the environment variable ${name}, which is ${value === '' ? 'empty' : 'not set'}; set it before running loadgate (in a workflow: the step's env, ${name}: \${{ secrets.${name} }}; a pull request from a fork gets no secrets)`,
    );
  }
  return { values, problems: [...new Set(problems)] };
}
