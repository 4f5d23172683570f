import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_FAILURE_LINES } from '../../src/containers/build.ts';
import { localImageTag, RunContainers } from '../../src/containers/environment.ts';
import { removeRunLeftovers } from '../../src/containers/leftovers.ts';
import type { ContainerSpec } from '../../src/containers/spec.ts';
import { InfraError } from '../../src/errors.ts';
import { registerSecret, resetSecretsForTests } from '../../src/redact.ts';
import { leftoversOf } from '../helpers/engine.ts';

// Real builds through the engine's API, images kept tiny (the local debian:bookworm-slim base):
// a RUN that fails must say why (the last lines of its output in the error, all of it in
// logs/build-<name>.log, a secret build argument redacted there), and a multi-stage Dockerfile
// builds the stage `target` names with the `args` given. About 10 s.

const runId = `build-${randomBytes(3).toString('hex')}`;
const secret = `s3cret-${randomBytes(6).toString('hex')}`;
let root: string;
const builtTags: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'loadgate-build-'));
  registerSecret(secret);
});

afterAll(async () => {
  resetSecretsForTests();
  await removeRunLeftovers(runId);
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  for (const tag of builtTags)
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => {});
  await rm(root, { recursive: true, force: true });
});

async function context(name: string, dockerfile: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

function spec(
  name: string,
  build: NonNullable<ContainerSpec['build']>,
  wait: ContainerSpec['wait'],
): ContainerSpec {
  builtTags.push(localImageTag(build));
  return { name, build, ports: [], env: {}, wait, startupTimeoutMs: 20_000 };
}

describe('image builds', () => {
  it('a failing RUN fails the start with the last lines of the build output, all of it in the log', async () => {
    const dir = await context(
      'broken',
      [
        'FROM debian:bookworm-slim',
        'ARG TOKEN',
        // 50 numbered lines, the build argument echoed (a secret: redacted), then a failure
        'RUN seq 1 50 && echo "token is $TOKEN" && echo "about to fail" && exit 3',
        'CMD ["sleep", "infinity"]',
        '',
      ].join('\n'),
    );
    const logsDir = join(root, 'logs-broken');
    const failure = await (async () => {
      await using containers = await RunContainers.create({ runId, logsDir });
      await containers.start(
        spec(
          'broken',
          { context: dir, dockerfile: 'Dockerfile', args: { TOKEN: secret } },
          { kind: 'log', message: 'never', times: 1 },
        ),
      );
    })().then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(InfraError);
    const message = (failure as Error).message;
    expect(message).toMatch(/^broken: building Dockerfile in .*broken failed: /);
    expect(message).toContain(`last ${BUILD_FAILURE_LINES} lines of the build output`);
    const quoted = message.slice(message.indexOf('lines of the build output')).split('\n').slice(1);
    expect(quoted.length).toBeLessThanOrEqual(BUILD_FAILURE_LINES);
    expect(quoted).toContain('about to fail');
    expect(quoted).toContain('50');
    expect(quoted).not.toContain('5'); // an early line: only in the log file
    expect(message).not.toContain(secret);

    const log = await readFile(join(logsDir, 'build-broken.log'), 'utf8');
    const lines = log.split('\n');
    for (const n of [1, 5, 25, 50]) expect(lines).toContain(String(n));
    expect(log).toContain('about to fail');
    expect(log).toContain('token is ***');
    expect(log).not.toContain(secret);
    expect(log).toMatch(/ERROR: .*(exit|status).*3/i);
    expect(await leftoversOf(runId)).toEqual({ containers: 0, networks: 0 });
  });

  it('builds the stage build.target names, with build.args, not the last stage', async () => {
    const dir = await context(
      'stages',
      [
        'FROM debian:bookworm-slim AS served',
        'ARG GREETING=none',
        'ENV GREETING=$GREETING',
        'CMD ["sh", "-c", "echo \\"stage served says $GREETING\\"; exec sleep infinity"]',
        '',
        'FROM debian:bookworm-slim AS last',
        'CMD ["sh", "-c", "echo \\"stage last\\"; exec sleep infinity"]',
        '',
      ].join('\n'),
    );
    const logsDir = join(root, 'logs-stages');
    {
      await using containers = await RunContainers.create({ runId, logsDir });
      await containers.start(
        spec(
          'staged',
          { context: dir, dockerfile: 'Dockerfile', args: { GREETING: 'hello-arg' }, target: 'served' },
          { kind: 'log', message: 'stage served says hello-arg', times: 1 },
        ),
      );
    }
    expect(await readFile(join(logsDir, 'staged.log'), 'utf8')).toContain('stage served says hello-arg');
    const buildLog = await readFile(join(logsDir, 'build-staged.log'), 'utf8');
    expect(buildLog).toMatch(/served/);
    expect(await leftoversOf(runId)).toEqual({ containers: 0, networks: 0 });
  });
});
