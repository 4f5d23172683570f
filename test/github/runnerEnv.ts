import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../helpers/cli.ts';

/** action.yml, as a runner reads it: its inputs (with defaults) and the scripts it runs. */
export const actionYml = YAML.parse(readFileSync(join(repoRoot, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  runs: { main: string; post: string };
};

/** The files a runner hands a step (its file commands and the event payload), in `dir`. */
export interface StepFiles {
  output: string;
  summary: string;
  env: string;
  path: string;
  state: string;
  event: string;
}

/** Creates the step's files in `dir`: the file commands empty, the event as JSON. */
export function stepFiles(dir: string, event: unknown = {}): StepFiles {
  const files: StepFiles = {
    output: join(dir, 'output'),
    summary: join(dir, 'summary'),
    env: join(dir, 'env'),
    path: join(dir, 'path'),
    state: join(dir, 'state'),
    event: join(dir, 'event.json'),
  };
  for (const file of [files.output, files.summary, files.env, files.path, files.state])
    writeFileSync(file, '');
  writeFileSync(files.event, JSON.stringify(event));
  return files;
}

/**
 * A node action step's environment as the runner sets it, with the workspace and temp folders in
 * `dir`; `extra` names the repository, run and event (and may override any of it).
 */
export function runnerEnv(dir: string, files: StepFiles, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: dir,
    GITHUB_ACTION_PATH: repoRoot,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STATE: files.state,
    RUNNER_TEMP: join(dir, 'runner-temp'),
    RUNNER_TOOL_CACHE: join(dir, 'tool-cache'),
    ...extra,
  };
}

/**
 * Every input of action.yml as the runner passes it: INPUT_<NAME>, the given value or else the
 * default, with `${{ github.token }}` expanded to `token`.
 */
export function inputEnv(inputs: Record<string, string>, token = ''): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [input, spec] of Object.entries(actionYml.inputs)) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the workflow expression action.yml holds
    const value = inputs[input] ?? (spec.default ?? '').replace('${{ github.token }}', token);
    env[`INPUT_${input.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  return env;
}
