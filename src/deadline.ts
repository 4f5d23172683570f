import { InfraError } from './errors.ts';

/**
 * Every call loadgate makes to something outside itself has a deadline, stated here: an engine,
 * an API or a git remote that accepts a connection and never answers must end in a clear error,
 * not hang the job until the runner kills it.
 */
export const DEADLINES_MS = {
  /** the engine's first answer (checkEngine) */
  engineAnswer: 30_000,
  /** one engine call: a network, an inspect, a list, a stop, a removal */
  engineCall: 60_000,
  /** pulling an image and creating its container, before its own startup timeout counts */
  imagePull: 10 * 60_000,
  /** building an image from a Dockerfile */
  imageBuild: 30 * 60_000,
  /** one GitHub API request, its body included */
  githubRequest: 120_000,
  /** one git command (fetch and push included) */
  git: 120_000,
  /** downloading k6's release */
  k6Download: 5 * 60_000,
  /** after the first SIGINT/SIGTERM, how long cancellation may take before loadgate stops anyway */
  cancel: 15_000,
  /** the best-effort cleanup of a stop that cannot wait */
  hardStopCleanup: 3_000,
} as const;

/** setTimeout's longest delay; a longer one fires after 1 ms (Node only warns). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** setTimeout that refuses a delay it cannot keep rather than firing at once. */
export function boundedTimeout(callback: () => void, ms: number): NodeJS.Timeout {
  if (!(ms >= 0 && ms <= MAX_TIMER_MS)) {
    throw new RangeError(`a timer of ${ms} ms is beyond setTimeout's ${MAX_TIMER_MS} ms`);
  }
  return setTimeout(callback, ms);
}

/** A deadline that passed: an InfraError saying what did not finish in time. */
export class DeadlineError extends InfraError {}

/**
 * `work`'s result, or a DeadlineError once `ms` have passed: `${what} did not finish within N s`,
 * then `hint`. The work is told through its signal (a fetch or a child process can stop); what
 * ignores it runs on, unawaited.
 */
export async function withDeadline<T>(
  what: string,
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  hint = '',
): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = boundedTimeout(() => {
      const error = new DeadlineError(
        `${what} did not finish within ${formatS(ms)}${hint ? `: ${hint}` : ''}`,
      );
      abort.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([work(abort.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function formatS(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
