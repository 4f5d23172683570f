import { rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';

export interface EngineProxy {
  /** DOCKER_HOST for the code under test */
  dockerHost: string;
  /** resolves once a request matched and the proxy froze */
  frozen: Promise<void>;
  close(): Promise<void>;
}

/**
 * A Unix socket in front of the real engine's that passes everything through until a request
 * matches `freezeOn`; from then on it answers nothing, on any connection, old or new: an engine
 * that hung in the middle of a run. The matching request never reaches the engine.
 */
export async function startEngineProxy(
  socketPath: string,
  target: string,
  freezeOn: RegExp,
): Promise<EngineProxy> {
  const targetPath = target.replace(/^unix:\/\//, '');
  const sockets = new Set<Socket>();
  let isFrozen = false;
  let markFrozen: () => void = () => {};
  const frozen = new Promise<void>((done) => {
    markFrozen = done;
  });
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const server = createServer((client) => {
    track(client);
    if (isFrozen) return;
    const engine = connect(targetPath);
    track(engine);
    client.on('data', (chunk) => {
      if (!isFrozen && freezeOn.test(chunk.toString('latin1'))) {
        isFrozen = true;
        markFrozen();
      }
      if (!isFrozen) engine.write(chunk);
    });
    engine.on('data', (chunk) => {
      if (!isFrozen) client.write(chunk);
    });
    client.on('end', () => engine.end());
    engine.on('end', () => client.end());
  });
  rmSync(socketPath, { force: true });
  await new Promise<void>((done) => server.listen(socketPath, done));
  return {
    dockerHost: `unix://${socketPath}`,
    frozen,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => server.close(done));
    },
  };
}
