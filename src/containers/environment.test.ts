import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countReliability } from '../../test/helpers/reliability.ts';
import { DeadlineError } from '../deadline.ts';
import { CancelledError, InfraError } from '../errors.ts';
import { checkEngine } from './environment.ts';
import { removeRunLeftovers } from './leftovers.ts';

// An engine socket that takes every connection and never answers (a hung engine, a stuck proxy):
// a real Unix socket server, no engine involved.
let dir: string;
let server: Server;
const sockets = new Set<Socket>();
const saved = process.env.DOCKER_HOST;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loadgate-silent-engine-'));
  const path = join(dir, 'engine.sock');
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((done) => server.listen(path, done));
  process.env.DOCKER_HOST = `unix://${path}`;
});
afterAll(async () => {
  if (saved === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = saved;
  for (const socket of sockets) socket.destroy();
  await new Promise((done) => server.close(done));
  rmSync(dir, { recursive: true, force: true });
});

describe('an engine that never answers', () => {
  it('fails the engine check within its deadline, naming DOCKER_HOST and what to do', async () => {
    countReliability('faultsInjected', 1, 'APIs, engines or remotes that never answer');
    const error = await checkEngine({ deadlineMs: 400 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as Error).message).toBe(
      `the container engine at DOCKER_HOST=${process.env.DOCKER_HOST} took the connection but did not answer within 0.4 s: restart its API service (docker: systemctl restart docker; podman: podman system service), or point DOCKER_HOST at one that answers`,
    );
    expect(sockets.size).toBeGreaterThan(0); // it did connect: the engine is there, and silent
  });

  it('lets a signal end the wait at once', async () => {
    const abort = new AbortController();
    const checking = checkEngine({ deadlineMs: 60_000, signal: abort.signal });
    abort.abort('SIGTERM');
    await expect(checking).rejects.toBeInstanceOf(CancelledError);
  });

  it('bounds every other engine call too (the cleanup of a run)', async () => {
    const error = await removeRunLeftovers('20260101-000000-abcdef', 300).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineError);
    expect((error as Error).message).toMatch(
      /^removing what run 20260101-000000-abcdef left \(container engine at DOCKER_HOST=unix:\/\/.*engine\.sock\) did not finish within 300 ms: check that the engine runs/,
    );
  });
});
