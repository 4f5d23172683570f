import * as core from '@actions/core';
import { removeRunLeftovers } from '../containers/leftovers.ts';
import { errorMessage } from '../errors.ts';
import { stopK6OfRun } from '../load/orphans.ts';

/** The state key under which the main step records its run id as soon as it has one. */
export const RUN_ID_STATE = 'loadgate-run-id';

/**
 * The action's post step: ends the k6 and removes the containers and network a killed or failed
 * main step left behind, found by the run's id. Never fails the job: cleanup problems are warnings.
 */
export async function runPost(): Promise<void> {
  const runId = core.getState(RUN_ID_STATE);
  if (!runId) {
    core.info('loadgate: no run was started, nothing to clean up');
    process.exit(0);
  }
  // k6 first: it would otherwise keep loading ports whose containers are about to go
  try {
    const stopped = await stopK6OfRun(runId);
    if (stopped > 0) core.warning(`loadgate: stopped ${stopped} k6 process(es) left running by run ${runId}`);
  } catch (error) {
    core.warning(`loadgate: could not stop the k6 of run ${runId}: ${errorMessage(error)}`);
  }
  try {
    const removed = await removeRunLeftovers(runId);
    if (removed.containers + removed.networks > 0) {
      core.warning(
        `loadgate: removed ${removed.containers} containers and ${removed.networks} networks left by run ${runId}`,
      );
    } else {
      core.info(`loadgate: run ${runId} left nothing behind`);
    }
  } catch (error) {
    core.warning(`loadgate: could not clean up run ${runId}: ${errorMessage(error)}`);
  }
  process.exit(0);
}
