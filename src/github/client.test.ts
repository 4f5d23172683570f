import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countReliability } from '../../test/helpers/reliability.ts';
import { createGitHubClient, GitHubApiError } from './client.ts';

// An API that takes every request and never answers (a stuck proxy, a black-holed route).
let server: Server;
const sockets = new Set<Socket>();
let apiUrl: string;
beforeAll(async () => {
  server = createServer(() => {});
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((done) => server.close(done));
});

describe('the GitHub client', () => {
  it('gives up on a request the API never answers, naming what it was doing', async () => {
    const client = createGitHubClient({
      token: 'test-token',
      repository: 'octo/app',
      apiUrl,
      requestTimeoutMs: 300,
    });
    countReliability('faultsInjected', 2, 'APIs, engines or remotes that never answer');
    const error = await client.listComments(7).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error).toMatchObject({ kind: 'network', status: null });
    expect((error as Error).message).toBe(
      "listing the comments of #7: GitHub's API did not answer within 0.3 s",
    );
    // the token's login, which may fail softly, fails on a silent API too
    await expect(client.authenticatedLogin()).rejects.toThrow(/GET \/user: GitHub's API did not answer/);
  });
});
