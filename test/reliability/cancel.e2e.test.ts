import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listRunLeftovers, removeRunLeftovers } from '../../src/containers/leftovers.ts';
import { ResultSchema } from '../../src/result/schema.ts';
import { cliPath, repoRoot } from '../helpers/cli.ts';
import { dockerEnv, dockerLeftoversOf, onDocker } from '../helpers/dockerEngine.ts';
import { leftoversOf } from '../helpers/engine.ts';
import { startEngineProxy } from '../helpers/engineProxy.ts';
import { countReliability } from '../helpers/reliability.ts';

// Cancellation the way a runner does it: SIGINT to the node process only, SIGTERM 7.5 s later,
// SIGKILL 2.5 s after that. Within 10 s of the first signal nothing of the run may be left.
const demoConfig = join(repoRoot, 'examples', 'demo', 'loadgate.yml');
const short = ['--set', 'load.levelDuration=4s', '--set', 'load.warmup=1s', '--set', 'load.levels=[1,2,4]'];

interface Cancelled {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  runId: string;
  stdout: string;
  stderr: string;
  leftovers: { containers: number; networks: number };
}

/** Starts the CLI, sends the runner's signal sequence once `trigger` appears on stdout. */
function cancelWhen(
  args: string[],
  trigger: RegExp,
  delayMs = 0,
  engine: { env: Record<string, string>; leftovers: (runId: string) => Promise<Cancelled['leftovers']> } = {
    env: {},
    leftovers: leftoversOf,
  },
): Promise<Cancelled> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [cliPath, ...args], {
      cwd: repoRoot,
      env: { ...process.env, CI: 'true', ...engine.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalledAt = 0;
    const timers: NodeJS.Timeout[] = [];
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      if (!signalledAt && trigger.test(stdout)) {
        signalledAt = Date.now();
        timers.push(setTimeout(() => child.kill('SIGINT'), delayMs));
        timers.push(setTimeout(() => child.kill('SIGTERM'), delayMs + 7_500));
        timers.push(setTimeout(() => child.kill('SIGKILL'), delayMs + 10_000));
      }
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', async (exitCode, signal) => {
      for (const timer of timers) clearTimeout(timer);
      const runId = /run (\d{8}-\d{6}-[0-9a-f]{6})/.exec(stdout)?.[1] ?? '';
      // Ask the engine no later than 10 s after the first signal.
      const waitMs = Math.max(0, signalledAt + delayMs + 10_000 - Date.now());
      await new Promise((r) => setTimeout(r, Math.min(waitMs, 500)));
      try {
        const leftovers = await engine.leftovers(runId);
        countReliability('cancellations', 1, 'CLI runs sent SIGINT, SIGTERM, SIGKILL');
        resolve({ exitCode, signal, runId, stdout, stderr, leftovers });
      } catch (error) {
        reject(error);
      }
    });
  });
}

describe('a second signal ends a cancellation that cannot finish', () => {
  it('the engine hangs mid-run: the first SIGTERM cannot clean up, the second ends the run with 130 and names what is left', async () => {
    const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-hard-stop-'));
    const proxy = await startEngineProxy(
      join(outRoot, 'engine.sock'),
      process.env.DOCKER_HOST ?? '',
      /^POST \S*\/containers\/create/m,
    );
    countReliability('faultsInjected', 1, 'engines that hung mid-run');
    let runId = '';
    try {
      const child = spawn(
        process.execPath,
        [cliPath, 'run', '--config', demoConfig, '--out', join(outRoot, 'out'), ...short],
        {
          cwd: repoRoot,
          env: { ...process.env, CI: 'true', DOCKER_HOST: proxy.dockerHost },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk) => {
        stdout += chunk;
      });
      child.stderr?.on('data', (chunk) => {
        stderr += chunk;
      });
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
        child.on('close', (code, signal) => done({ code, signal })),
      );
      // never longer than a runner would wait
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await proxy.frozen;
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGTERM');
      // the first signal: cancellation starts, and cannot finish on a silent engine
      await new Promise((r) => setTimeout(r, 1_500));
      expect(child.exitCode).toBeNull();
      child.kill('SIGTERM');
      const { code, signal } = await closed;
      clearTimeout(killer);
      runId = /run (\d{8}-\d{6}-[0-9a-f]{6})/.exec(stdout)?.[1] ?? '';
      expect(runId, stdout + stderr).not.toBe('');
      expect(signal, stderr).toBeNull(); // it ended by itself
      expect(code, stderr).toBe(130);
      expect(stderr).toContain('SIGTERM received, stopping k6 and the containers');
      expect(stderr).toContain(
        `loadgate: a second signal (SIGTERM): stopped without waiting for cleanup; may be left running: the containers and the network of run ${runId}`,
      );
      expect(stderr).toContain(`docker network rm loadgate-${runId}`);
    } finally {
      await proxy.close();
      // what it said may be left is there, and goes with the command it gave (the label)
      if (runId !== '') {
        const left = await listRunLeftovers(runId);
        expect(left.networks).toBe(1);
        await removeRunLeftovers(runId);
        expect(await leftoversOf(runId)).toEqual({ containers: 0, networks: 0 });
      }
      rmSync(outRoot, { recursive: true, force: true });
    }
  });
});

describe('cancellation leaves nothing running', () => {
  const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-cancel-'));
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

  it('during an image build', async () => {
    const run = await cancelWhen(
      [
        'run',
        '--config',
        demoConfig,
        '--out',
        join(outRoot, 'build'),
        ...short,
        '--set',
        `service.build={context: ${join(repoRoot, 'test', 'fixtures', 'slow-build')}, args: {NONCE: "${Date.now()}"}}`,
      ],
      /building service/,
      1_000,
    );
    expect(run.runId).not.toBe('');
    expect(run.signal).toBeNull(); // it ended by itself, before SIGKILL
    expect(run.exitCode, run.stderr + run.stdout).toBe(130);
    expect(run.stderr).toContain('cancelled');
    expect(run.leftovers).toEqual({ containers: 0, networks: 0 });
  });

  it('while a dependency starts', async () => {
    const run = await cancelWhen(
      ['run', '--config', demoConfig, '--out', join(outRoot, 'start'), ...short],
      /run \d{8}-\d{6}-[0-9a-f]{6}/,
      300,
    );
    expect(run.signal).toBeNull();
    expect(run.exitCode, run.stderr + run.stdout).toBe(130);
    expect(run.leftovers).toEqual({ containers: 0, networks: 0 });
  });

  it('during the load: k6 is stopped, partial results are saved and marked partial', async () => {
    const out = join(outRoot, 'load');
    const baseline = join(outRoot, 'load-baseline.json');
    const run = await cancelWhen(
      ['run', '--config', demoConfig, '--out', out, ...short, '--save-baseline', baseline],
      /level 2\/3/,
      1_000,
    );
    expect(run.signal).toBeNull();
    expect(run.exitCode, run.stderr + run.stdout).toBe(130);
    expect(run.leftovers).toEqual({ containers: 0, networks: 0 });
    expect(existsSync(join(out, 'result.json'))).toBe(true);
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(result.partial).toBe(true);
    expect(result.levels.length).toBeGreaterThanOrEqual(1);
    expect(result.levels[0]?.requests[0]?.count).toBeGreaterThan(0);
    // a partial run never becomes a baseline
    expect(existsSync(baseline)).toBe(false);
  });

  it('while reporting, after the load: complete results marked complete, exit 130, no baseline', async () => {
    const out = join(outRoot, 'report');
    const baseline = join(outRoot, 'report-baseline.json');
    // The first line of the reporting stage: the containers are being removed, and
    // result.json, report.md and the baseline are still to be written.
    const run = await cancelWhen(
      [
        'run',
        '--config',
        demoConfig,
        '--out',
        out,
        ...short,
        '--set',
        'load.levels=[1]',
        '--set',
        'load.levelDuration=2s',
        '--save-baseline',
        baseline,
      ],
      /removing \d+ containers and the network/,
    );
    expect(run.signal).toBeNull();
    // it was still running when the signal came, and said so
    expect(run.stderr).toContain('SIGINT received');
    expect(run.exitCode, run.stderr + run.stdout).toBe(130);
    expect(run.stderr).toContain('cancelled after the load (SIGINT); the results above are complete');
    expect(run.leftovers).toEqual({ containers: 0, networks: 0 });
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(result.partial).toBe(false);
    expect(result.levels.map((l) => l.level)).toEqual([1]);
    expect(result.levels[0]?.requests[0]?.count).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(result.runId);
    expect(existsSync(baseline)).toBe(false);
  });
});

// GitHub's runners run Docker Engine: the cancellation during the load, on Docker Engine beside Podman.
describe.runIf(onDocker)('cancellation on Docker Engine', () => {
  const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-cancel-docker-'));
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

  it('during the load: exit 130, partial results, nothing left in Docker', async () => {
    const out = join(outRoot, 'load');
    const run = await cancelWhen(
      ['run', '--config', demoConfig, '--out', out, ...short],
      /level 2\/3/,
      1_000,
      {
        env: dockerEnv(),
        leftovers: dockerLeftoversOf,
      },
    );
    expect(run.signal).toBeNull();
    expect(run.exitCode, run.stderr + run.stdout).toBe(130);
    expect(run.leftovers).toEqual({ containers: 0, networks: 0 });
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(result.partial).toBe(true);
    expect(result.levels[0]?.requests[0]?.count).toBeGreaterThan(0);
  });
});
