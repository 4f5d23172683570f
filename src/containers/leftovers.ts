import { engineCall, engineClient } from './engineCall.ts';
import { NETWORK_PREFIX, networkName, RUN_LABEL } from './labels.ts';

export interface Leftovers {
  containers: number;
  networks: number;
}

/**
 * Removes every container and network a run left behind, found by its label and network name;
 * with no run id, those of every loadgate run. The safety net under normal cleanup, and the
 * action's post step after a killed job.
 */
export async function removeRunLeftovers(runId?: string, deadlineMs?: number): Promise<Leftovers> {
  return engineCall(`removing what run ${runId ?? '(any)'} left`, () => removeNow(runId), deadlineMs);
}

async function removeNow(runId: string | undefined): Promise<Leftovers> {
  const client = await engineClient();
  const docker = client.container.dockerode;
  const label = runId ? `${RUN_LABEL}=${runId}` : RUN_LABEL;
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    containers.map((info) => docker.getContainer(info.Id).remove({ force: true, v: true }).catch(ignoreGone)),
  );
  const prefix = runId ? networkName(runId) : NETWORK_PREFIX;
  const networks = (await docker.listNetworks()).filter((n) => n.Name.startsWith(prefix));
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(ignoreGone)));
  return { containers: containers.length, networks: networks.length };
}

/** What is still there of a run (or of all runs): for tests and the post step. */
export function listRunLeftovers(runId?: string): Promise<Leftovers> {
  return engineCall(`listing what run ${runId ?? '(any)'} left`, async () => {
    const client = await engineClient();
    const docker = client.container.dockerode;
    const label = runId ? `${RUN_LABEL}=${runId}` : RUN_LABEL;
    const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
    const prefix = runId ? networkName(runId) : NETWORK_PREFIX;
    const networks = (await docker.listNetworks()).filter((n) => n.Name.startsWith(prefix));
    return { containers: containers.length, networks: networks.length };
  });
}

function ignoreGone(error: { statusCode?: number }): void {
  if (error.statusCode !== 404) throw error;
}
