import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { networkName, RUN_LABEL } from '../../src/containers/labels.ts';
import type { Leftovers } from '../../src/containers/leftovers.ts';
import { countReliability } from './reliability.ts';

/**
 * Docker Engine beside Podman (scripts/docker-engine.sh): the end-to-end tests run a reduced
 * variant on it, since GitHub's runners run Docker Engine. LOADGATE_DOCKER=0 leaves it out (the
 * bootstrap then starts none); otherwise an engine that does not answer fails those tests.
 */
export const dockerHost = process.env.LOADGATE_DOCKER_HOST ?? 'unix:///run/docker-test/docker.sock';
export const onDocker = process.env.LOADGATE_DOCKER !== '0';
const socketPath = dockerHost.replace(/^unix:\/\//, '');

/** The environment that points a CLI or action run at Docker Engine instead of Podman. */
export function dockerEnv(): Record<string, string> {
  return { DOCKER_HOST: dockerHost };
}

/** Which engine answers there: "Docker Engine 20.10.24…" (Podman says "Podman Engine"). */
export function dockerEngineName(): string {
  const version = JSON.parse(
    execFileSync('curl', ['-sf', '--max-time', '5', '--unix-socket', socketPath, 'http://d/version'], {
      encoding: 'utf8',
    }),
  ) as { Components?: { Name: string }[]; Version: string };
  return `${version.Components?.[0]?.Name ?? '?'} ${version.Version}`;
}

function getJson<T>(path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`Docker ${path}: ${res.statusCode} ${body}`));
        else resolve(JSON.parse(body) as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`Docker ${path}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

/** What a run left in Docker Engine, by its label and network name, counted as leak checks. */
export async function dockerLeftoversOf(runId: string): Promise<Leftovers> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] }));
  const containers = await getJson<unknown[]>(`/containers/json?all=true&filters=${filters}`);
  const networks = (await getJson<{ Name: string }[]>('/networks')).filter((n) =>
    n.Name.startsWith(networkName(runId)),
  );
  countReliability('leakChecks', 1, 'runs');
  countReliability('containersLeaked', containers.length, 'containers');
  return { containers: containers.length, networks: networks.length };
}

/** Every container Docker Engine has, running or not: the suite leaves none. */
export async function dockerContainers(): Promise<string[]> {
  return (await getJson<{ Id: string }[]>('/containers/json?all=true')).map((c) => c.Id);
}
