import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_ID_STATE } from '../../src/action/runPost.ts';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { findK6OfRun } from '../../src/load/orphans.ts';
import { parseFileCommand } from '../github/runnerCommands.ts';
import { actionYml, inputEnv, runnerEnv, stepFiles } from '../github/runnerEnv.ts';
import { repoRoot } from '../helpers/cli.ts';
import { leftoversOf } from '../helpers/engine.ts';
import { countReliability } from '../helpers/reliability.ts';

// The action's post step (action.yml `post: dist/post.js`, `post-if: always()`) after a main
// step the runner SIGKILLed during the load: the main step saved its run id with `saveState`
// (GITHUB_STATE), the runner hands it to the post step as STATE_<name>, and the post step removes
// every container and network carrying the run's label, and ends the k6 the killed step
// orphaned (found by the run id in its environment). Bundled action (build dist first), real
// engine, the demo with one short level: about 20 s.

const demoConfig = join(repoRoot, 'examples', 'demo', 'loadgate.yml');

interface Step {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a step's script as the runner runs a node24 action. When stdout matches `killOn`: SIGKILL
 * at once, or with `cancel`, a runner's cancellation (SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s
 * after that, to the node process only).
 */
function runStep(
  script: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  killOn?: RegExp,
  cancel = false,
): Promise<Step> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, script)], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timers: NodeJS.Timeout[] = [];
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (signalled || !killOn?.test(stdout)) return;
      signalled = true;
      if (!cancel) {
        child.kill('SIGKILL');
        return;
      }
      child.kill('SIGINT');
      timers.push(setTimeout(() => child.kill('SIGTERM'), 7500));
      timers.push(setTimeout(() => child.kill('SIGKILL'), 10_000));
    });
    child.on('close', () => {
      for (const timer of timers) clearTimeout(timer);
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
}

describe("the action's post step", () => {
  const root = mkdtempSync(join(tmpdir(), 'loadgate-post-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a cancelled main step stops k6 and the containers itself, keeps partial results and exits 130', async () => {
    const dir = join(root, 'cancelled');
    const out = join(dir, 'out');
    mkdirSync(dir, { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...runnerEnv(dir, stepFiles(dir), {
        GITHUB_REPOSITORY: 'octo/app',
        GITHUB_RUN_ID: '4243',
        GITHUB_EVENT_NAME: 'schedule',
      }),
      ...inputEnv({
        config: demoConfig,
        out,
        mode: 'nightly',
        token: '',
        set: ['load.levels=[1,2]', 'load.levelDuration=6s', 'load.warmup=1s'].join('\n'),
      }),
    };
    const main = await runStep(actionYml.runs.main, env, dir, /level 1\/2/, true);
    expect(main.exitCode, main.stdout + main.stderr).toBe(130);
    expect(main.stdout).toContain('::warning::loadgate: SIGINT received, stopping k6 and the containers');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as {
      partial: boolean;
      runId: string;
    };
    expect(result.partial).toBe(true);
    // gone before the runner's SIGKILL, k6 included (no orphan: the main step stopped it)
    expect(await leftoversOf(result.runId)).toEqual({ containers: 0, networks: 0 });
    expect(await findK6OfRun(result.runId)).toEqual([]);
    countReliability('cancellations', 1, 'action main steps cancelled as a runner does');
  });

  it('removes every container and the network a SIGKILLed main step left running', async () => {
    const out = join(root, 'out');
    const files = stepFiles(root);
    const stepEnv = runnerEnv(root, files, {
      GITHUB_REPOSITORY: 'octo/app',
      GITHUB_RUN_ID: '4242',
      GITHUB_EVENT_NAME: 'schedule',
    });
    const mainEnv = {
      ...stepEnv,
      ...inputEnv({
        config: demoConfig,
        out,
        mode: 'nightly',
        token: '',
        set: ['load.levels=[1,2]', 'load.levelDuration=4s', 'load.warmup=1s'].join('\n'),
      }),
    };

    // The main step, killed as a runner kills a step past its grace: no chance to clean up.
    const main = await runStep(actionYml.runs.main, mainEnv, root, /level 1\/2/);
    expect(main.signal, main.stdout + main.stderr).toBe('SIGKILL');
    const state = parseFileCommand(readFileSync(files.state, 'utf8'));
    const runId = state[RUN_ID_STATE] ?? '';
    expect(runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    // k6 outlives a SIGKILLed main step (a process group of its own): the post step ends it
    expect(await findK6OfRun(runId)).toHaveLength(1);
    const left = await listRunLeftovers(runId);
    // Postgres, the upstream and the service, on the run's network
    expect(left).toEqual({ containers: 3, networks: 1 });

    // The post step gets the saved state as STATE_<name>, as the runner passes it.
    const postEnv: NodeJS.ProcessEnv = { ...stepEnv };
    for (const [name, value] of Object.entries(state)) postEnv[`STATE_${name}`] = value;
    const post = await runStep(actionYml.runs.post, postEnv, root);
    expect(post.exitCode, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toContain(
      `::warning::loadgate: stopped 1 k6 process(es) left running by run ${runId}`,
    );
    expect(post.stdout).toContain(
      `::warning::loadgate: removed 3 containers and 1 networks left by run ${runId}`,
    );
    expect(await findK6OfRun(runId)).toEqual([]);
    countReliability('cancellations', 1, 'action main steps SIGKILLed, cleaned by the post step');
    const after = await leftoversOf(runId);
    expect(after).toEqual({ containers: 0, networks: 0 });

    // Run again, it finds nothing left and still succeeds.
    const again = await runStep(actionYml.runs.post, postEnv, root);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(`loadgate: run ${runId} left nothing behind`);
  });
});
