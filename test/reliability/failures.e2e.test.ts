import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ResultSchema } from '../../src/result/schema.ts';
import { repoRoot, runCli } from '../helpers/cli.ts';
import { leftoversOf } from '../helpers/engine.ts';
import { countReliability } from '../helpers/reliability.ts';

// Failures a user can cause or meet, each ending in its own clear message and exit status,
// with nothing left running. The demo image is reused with other commands.
const demoConfig = join(repoRoot, 'examples', 'demo', 'loadgate.yml');
const short = ['--set', 'load.levelDuration=3s', '--set', 'load.warmup=1s', '--set', 'load.levels=[1,2]'];

function runIdOf(stdout: string): string {
  return /run (\d{8}-\d{6}-[0-9a-f]{6})/.exec(stdout)?.[1] ?? '';
}

describe('failures end clearly, with nothing left running', () => {
  const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-failures-'));
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));
  afterEach(() => countReliability('hostileInputs', 1, 'failing services or k6 scripts'));

  it('a service that never gets ready: exit 3, the wait named, its log quoted', async () => {
    const run = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      join(outRoot, 'never-ready'),
      ...short,
      '--set',
      'service.wait={http: /not-a-health-path}',
      '--set',
      'service.startupTimeout=8s',
    ]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain('service did not become ready');
    expect(run.stderr).toContain('/not-a-health-path');
    expect(run.stderr).toMatch(/last 100 lines of its log/);
    expect(run.stderr).toContain('Uvicorn running on');
    expect(await leftoversOf(runIdOf(run.stdout))).toEqual({ containers: 0, networks: 0 });
  });

  it('a service that exits at once: exit 3 without waiting out the start-up timeout, its log shown inert', async () => {
    // it also retitles the terminal, clears the screen and prints in colour: shown, never obeyed
    const printf = String.raw`printf '\033]0;all checks passed\007\033[2J\033[31mcannot start: missing SECRET_KEY\033[0m\n'`;
    const run = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      join(outRoot, 'exits'),
      ...short,
      '--set',
      `service.command=${JSON.stringify(['sh', '-c', `${printf}; exit 1`])}`,
    ]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain('service did not become ready');
    expect(run.stderr).toContain('it exited before it was ready');
    expect(run.stderr).toContain('\\x1b[31mcannot start: missing SECRET_KEY\\x1b[0m');
    expect(run.stderr).toContain('\\x1b]0;all checks passed\\x07\\x1b[2J');
    expect(run.stderr.includes('\x1b') || run.stderr.includes('\x07')).toBe(false);
    expect(await leftoversOf(runIdOf(run.stdout))).toEqual({ containers: 0, networks: 0 });
  });

  it('a service that crashes during the load: exit 3 with the end of its log', async () => {
    const run = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      join(outRoot, 'crash'),
      ...short,
      '--set',
      'service.command=[sh, -c, "echo starting; timeout 5 python3 -m uvicorn app:app --host 0.0.0.0 --port 8000; echo the service died; exit 3"]',
    ]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain('the service exited during the load (exit code 3)');
    expect(run.stderr).toContain('the service died');
    expect(await leftoversOf(runIdOf(run.stdout))).toEqual({ containers: 0, networks: 0 });
  });

  it('a service that accepts connections and never answers: the run ends on time, all timeouts', async () => {
    const out = join(outRoot, 'hang');
    const hang = [
      'python3',
      '-c',
      'import socket,time\ns=socket.socket(); s.bind(("0.0.0.0",8000)); s.listen(512); held=[]\nwhile True:\n  c,_=s.accept(); held.append(c)',
    ];
    const run = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      out,
      ...short,
      '--set',
      `service.command=${JSON.stringify(hang)}`,
      '--set',
      'service.wait={port: true}',
      '--set',
      'load.requestTimeout=1s',
    ]);
    expect(run.exitCode, run.stderr).toBe(1); // the demo's gate allows 1% errors
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(result.levels).toHaveLength(2);
    for (const level of result.levels) {
      // At 1 VU and a 1 s timeout a short level sends only a few requests, not always of each kind.
      expect(level.requests.reduce((sum, r) => sum + r.count, 0)).toBeGreaterThan(0);
      for (const request of level.requests.filter((r) => r.count > 0)) {
        expect(request.timeoutRate).toBe(1);
        expect(request.connectionErrorRate).toBe(0);
      }
    }
    expect(result.summary).toMatch(/error rate/);
    expect(await leftoversOf(result.runId)).toEqual({ containers: 0, networks: 0 });
  });

  it("a user script that k6 cannot run: exit 3 with k6's own error", async () => {
    const run = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      join(outRoot, 'boom'),
      ...short,
      '--set',
      'load.requests=null',
      '--set',
      `load.script=${join(repoRoot, 'test', 'fixtures', 'boom.k6.js')}`,
      '--set',
      'gate.thresholds=[]',
    ]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain('k6');
    expect(run.stderr).toContain('boom: this script cannot start');
    expect(await leftoversOf(runIdOf(run.stdout))).toEqual({ containers: 0, networks: 0 });
  });
});
