import { getContainerRuntimeClient } from 'testcontainers';
import { type Leftovers, listRunLeftovers } from '../../src/containers/leftovers.ts';
import { countReliability } from './reliability.ts';

/** Every container and network the engine has, by id: to prove a step started nothing. */
export async function engineInventory(): Promise<{ containers: string[]; networks: string[] }> {
  const client = await getContainerRuntimeClient();
  const docker = client.container.dockerode;
  const containers = (await docker.listContainers({ all: true })).map((c) => c.Id).sort();
  const networks = (await docker.listNetworks()).map((n) => n.Id).sort();
  return { containers, networks };
}

/**
 * What a run left behind, asked of the engine by the run's label, counted for the reliability
 * summary (leak checks, containers leaked).
 */
export async function leftoversOf(runId: string): Promise<Leftovers> {
  const left = await listRunLeftovers(runId);
  countReliability('leakChecks', 1, 'runs');
  countReliability('containersLeaked', left.containers, 'containers');
  return left;
}
