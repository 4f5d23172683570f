import * as core from '@actions/core';
import { removeRunLeftovers } from '../containers/leftovers.ts';

/** The state key under which the main step records its run id as soon as it has one. */
export const RUN_ID_STATE = 'loadgate-run-id';

/**
 * The action's post step: removes whatever a killed or failed main step left behind, found by
 * the run's label. Never fails the job: cleanup problems are warnings.
 */
export async function runPost(): Promise<void> {
  const runId = core.getState(RUN_ID_STATE);
  if (!runId) {
    core.info('loadgate: no run was started, nothing to clean up');
    process.exit(0);
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
    core.warning(
      `loadgate: could not clean up run ${runId}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  process.exit(0);
}
