import { accessSync, constants, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tools from '../../tools.json' with { type: 'json' };
import { type CliRun, runCli } from '../helpers/cli.ts';
import { engineInventory } from '../helpers/engine.ts';

// The bundled CLI as a user runs it, with the engine or k6 missing: one line naming the missing
// tool and how to get it, exit status 3, and nothing started (the output folder, made once the
// tools are found, does not exist). The k6 cases need the engine, which is checked first.
// Cost: about 1 s each. The unsupported k6 is a real older k6 the bootstrap builds beside the
// pinned one (tools.json: k6Unsupported), never on PATH.

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'loadgate-missing-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const config = 'examples/demo/loadgate.yml';

/** PATH without any directory holding a k6, so that only LOADGATE_K6 could name one. */
function pathWithoutK6(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => {
      try {
        accessSync(join(dir, 'k6'), constants.X_OK);
        return false;
      } catch {
        return true;
      }
    })
    .join(delimiter);
}

async function runWith(name: string, env: NodeJS.ProcessEnv): Promise<CliRun & { outDir: string }> {
  const outDir = join(scratch, name);
  const run = await runCli(['run', '--config', config, '--out', outDir, '-q'], { env });
  return { ...run, outDir };
}

function expectOneLineExit3(run: CliRun & { outDir: string }): string {
  expect(run.exitCode, run.stderr).toBe(3);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(existsSync(run.outDir)).toBe(false);
  return lines[0] ?? '';
}

describe('a missing tool', () => {
  it('no engine at DOCKER_HOST: one line naming it and how to get one, exit 3', async () => {
    const socket = `unix://${join(scratch, 'no-engine.sock')}`;
    const line = expectOneLineExit3(await runWith('no-engine', { DOCKER_HOST: socket }));
    expect(line).toMatch(/^loadgate: no container engine answers at DOCKER_HOST=/);
    expect(line).toContain(socket);
    expect(line).toMatch(/start Docker or Podman's API service/);
    expect(line).toContain('bash scripts/bootstrap.sh');
  });

  it('LOADGATE_K6 naming nothing: one line naming k6 and how to get it, exit 3', async () => {
    const line = expectOneLineExit3(
      await runWith('k6-missing-file', { LOADGATE_K6: '/nonexistent', PATH: pathWithoutK6() }),
    );
    expect(line).toMatch(/^loadgate: k6 at \/nonexistent did not run \(spawn \/nonexistent ENOENT\)/);
    expect(line).toMatch(/install k6 2\.0\.0\.\.<3\.0\.0/);
    expect(line).toMatch(/put it on PATH or set LOADGATE_K6$/);
  });

  it('no k6 on PATH: one line saying k6 was not found and how to get it, exit 3', async () => {
    const line = expectOneLineExit3(
      await runWith('k6-not-on-path', { LOADGATE_K6: '', PATH: pathWithoutK6() }),
    );
    expect(line).toMatch(/^loadgate: k6 not found: install k6 /);
    expect(line).toContain('npm run bootstrap');
  });

  it('a real k6 of an unsupported version: one line naming it, the supported range and the fix, exit 3', async () => {
    const old = join(process.env.LOADGATE_TOOLS ?? '/opt/loadgate/tools', `k6-${tools.k6Unsupported}`, 'k6');
    expect(existsSync(old), `${old} is missing: run npm run bootstrap, which builds it`).toBe(true);
    const before = await engineInventory();
    const line = expectOneLineExit3(await runWith('k6-unsupported', { LOADGATE_K6: old }));
    const version = tools.k6Unsupported.replace(/^v/, '');
    expect(line).toBe(
      `loadgate: k6 at ${old} is ${version}, not supported: install k6 ` +
        `${tools.k6SupportedAtLeast}..<${tools.k6SupportedBelow} (npm run bootstrap builds the pinned one into ` +
        '/opt/loadgate/tools/bin) and put it on PATH or set LOADGATE_K6',
    );
    // nothing was started: the engine holds what it held before
    expect(await engineInventory()).toEqual(before);
  });
});
