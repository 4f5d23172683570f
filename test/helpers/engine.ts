import { getContainerRuntimeClient } from 'testcontainers';

/** Every container and network the engine has, by id: to prove a step started nothing. */
export async function engineInventory(): Promise<{ containers: string[]; networks: string[] }> {
  const client = await getContainerRuntimeClient();
  const docker = client.container.dockerode;
  const containers = (await docker.listContainers({ all: true })).map((c) => c.Id).sort();
  const networks = (await docker.listNetworks()).map((n) => n.Id).sort();
  return { containers, networks };
}
