import { spawn } from 'node:child_process';
import { once } from 'node:events';

export const ENGINE_LOCK = '/tmp/loadgate-engine.lock';

/**
 * Takes the machine's engine lock for one block (others' tests interleave between blocks): a
 * `flock` child holds it until its stdin closes, so the lock also goes if this process dies.
 */
export async function takeEngineLock(path = ENGINE_LOCK): Promise<() => Promise<void>> {
  const child = spawn('flock', [path, 'sh', '-c', 'echo held; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('held')) resolve();
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`flock ${path} exited with ${code}`)));
  });
  return async () => {
    child.stdin.end();
    await exited;
  };
}
