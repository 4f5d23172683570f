/**
 * Everything a run starts carries its run id, so that a later step (the action's post step,
 * a cleanup after a killed job) can find what a run left behind.
 */
export const RUN_LABEL = 'org.loadgate.run';
/** The name a container has in the run (its network alias). */
export const CONTAINER_LABEL = 'org.loadgate.container';
export const NETWORK_PREFIX = 'loadgate-';

export function runLabels(runId: string): Record<string, string> {
  return { [RUN_LABEL]: runId };
}

export function networkName(runId: string): string {
  return `${NETWORK_PREFIX}${runId}`;
}
