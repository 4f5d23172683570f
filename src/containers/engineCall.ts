import { type ContainerRuntimeClient, getContainerRuntimeClient } from 'testcontainers';
import { DEADLINES_MS, withDeadline } from '../deadline.ts';

/** Where the engine is, as messages name it. */
export function engineLocation(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST ? `DOCKER_HOST=${env.DOCKER_HOST}` : 'the default socket (DOCKER_HOST is not set)';
}

/**
 * One call to the container engine, within its deadline (DEADLINES_MS): an engine that takes
 * the connection and never answers ends in a DeadlineError naming it and DOCKER_HOST.
 */
export function engineCall<T>(
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
  deadlineMs: number = DEADLINES_MS.engineCall,
): Promise<T> {
  return withDeadline(
    `${what} (container engine at ${engineLocation()})`,
    deadlineMs,
    work,
    'check that the engine runs and answers (docker info, podman info); restart its API service if it hangs',
  );
}

/** The engine's client (Testcontainers keeps it once it answered), within the first-answer deadline. */
export function engineClient(
  deadlineMs: number = DEADLINES_MS.engineAnswer,
): Promise<ContainerRuntimeClient> {
  return engineCall('asking the engine for its info', () => getContainerRuntimeClient(), deadlineMs);
}
