import * as core from '@actions/core';
import { parseOverrideLines } from '../config/overrides.ts';
import { exitCodeOf } from '../errors.ts';
import type { ProgressSink } from '../progress.ts';
import { formatProgress } from '../report/terminal.ts';
import { exitCodeForVerdict, runLoadgate } from '../run.ts';
import { Inputs, Outputs } from './inputs.ts';

/**
 * The action's one run: read inputs, run loadgate, write the job summary and outputs, and
 * turn the verdict or an error into the step's status. Exits explicitly, because the
 * engine's socket would keep Node alive.
 */
export async function runAction(): Promise<void> {
  let exitCode = 0;
  try {
    const outcome = await runLoadgate({
      configPath: core.getInput(Inputs.config) || '.github/loadgate.yml',
      outDir: core.getInput(Inputs.out) || 'loadgate-out',
      overrides: parseOverrideLines(core.getInput(Inputs.set)),
      progress: actionProgress(),
    });
    const { result } = outcome;
    core.setOutput(Outputs.verdict, result.verdict);
    core.setOutput(Outputs.summary, result.summary);
    core.setOutput(Outputs.resultPath, outcome.resultPath);
    core.setOutput(Outputs.reportPath, outcome.reportPath);
    core.setOutput(Outputs.breaches, String(result.gate.breaches.length));
    await core.summary.addRaw(outcome.reportMarkdown, true).write();
    exitCode = exitCodeForVerdict(result.verdict);
    if (exitCode !== 0) core.setFailed(result.summary);
    else core.info(result.summary);
  } catch (error) {
    exitCode = exitCodeOf(error);
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
  process.exit(exitCode);
}

function actionProgress(): ProgressSink {
  let lastLevelKey = '';
  return {
    step: (message) => core.info(message),
    warn: (message) => core.warning(message),
    load(update) {
      const key = `${update.phase}/${update.levelIndex}`;
      if (key === lastLevelKey) return;
      lastLevelKey = key;
      core.info(formatProgress(update));
    },
  };
}
