import { readdir, readFile } from 'node:fs/promises';

/**
 * k6 runs in a process group of its own (so a terminal's Ctrl-C reaches loadgate alone), which
 * also means it outlives a SIGKILLed loadgate. Every k6 loadgate starts carries its run's id in
 * this environment variable, so the action's post step can find and end the ones its killed main
 * step left, and no other process (a recycled pid holds another environment).
 */
export const K6_RUN_ID_ENV = 'LOADGATE_RUN_ID';

/** Whether a process environment (/proc/<pid>/environ: NUL-separated) is that of the run's k6. */
export function isK6OfRun(environ: string, runId: string): boolean {
  return runId !== '' && environ.split('\0').includes(`${K6_RUN_ID_ENV}=${runId}`);
}

/** The pids of the run's k6 processes still alive (Linux: /proc; elsewhere none are found). */
export async function findK6OfRun(runId: string, procDir = '/proc'): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir(procDir);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of entries.filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (isK6OfRun(await readFile(`${procDir}/${name}/environ`, 'utf8'), runId)) found.push(Number(name));
    } catch {
      // gone meanwhile, or another user's process
    }
  }
  return found;
}

/**
 * Ends the run's orphaned k6 processes with SIGKILL (what they measure is lost with the step that
 * read it) and returns how many it ended.
 */
export async function stopK6OfRun(runId: string): Promise<number> {
  let stopped = 0;
  for (const pid of await findK6OfRun(runId)) {
    try {
      process.kill(pid, 'SIGKILL');
      stopped++;
    } catch {
      // it ended by itself meanwhile
    }
  }
  return stopped;
}
