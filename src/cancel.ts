import type { EventEmitter } from 'node:events';
import { networkName, RUN_LABEL } from './containers/labels.ts';
import { removeRunLeftovers } from './containers/leftovers.ts';
import { boundedTimeout, DEADLINES_MS } from './deadline.ts';
import { CancelledError, errorMessage } from './errors.ts';
import { stopK6OfRun } from './load/orphans.ts';

export interface CancellationOptions {
  /** told of every SIGINT/SIGTERM; `first` is the one that starts cancellation */
  onSignal?: (signal: NodeJS.Signals, first: boolean) => void;
  /** the run's id once it has one: what a hard stop cleans up */
  runId?: () => string | undefined;
  /** how long cancellation may take after the first signal; default DEADLINES_MS.cancel */
  deadlineMs?: number;
  /** the cleanup of a stop that cannot wait, and what it says; default stopNow */
  stopNow?: (runId: string | undefined) => Promise<string>;
  /** where the signals come from; default the process */
  signals?: Pick<EventEmitter, 'on' | 'off'>;
}

/**
 * SIGINT and SIGTERM for a run. The first starts cancellation: `signal` aborts (k6 is stopped so
 * it writes its summary, the containers are removed, the run ends in exit 130). A second signal,
 * or the deadline after the first, stops waiting: a best-effort cleanup within seconds (stopNow),
 * then `stopped` rejects with a CancelledError saying what may be left running. Nothing here
 * exits: the entry points do, with 130.
 */
export class Cancellation implements Disposable {
  private readonly abort = new AbortController();
  readonly signal: AbortSignal = this.abort.signal;
  /** never resolves; rejects once a hard stop is done */
  readonly stopped: Promise<never>;
  private rejectStopped: (error: CancelledError) => void = () => {};
  private timer: NodeJS.Timeout | undefined;
  private hardStopping = false;
  private readonly signals: Pick<EventEmitter, 'on' | 'off'>;

  constructor(private readonly options: CancellationOptions = {}) {
    this.stopped = new Promise<never>((_, reject) => {
      this.rejectStopped = reject;
    });
    this.stopped.catch(() => {}); // a caller that never races it is not an unhandled rejection
    this.signals = options.signals ?? process;
    this.signals.on('SIGINT', this.onSignal);
    this.signals.on('SIGTERM', this.onSignal);
  }

  /** `work`, or the hard stop's CancelledError as soon as one ends the wait. */
  run<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return Promise.race([work(this.signal), this.stopped]);
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    const first = !this.signal.aborted;
    this.options.onSignal?.(signal, first);
    if (!first) {
      void this.hardStop(`a second signal (${signal})`);
      return;
    }
    this.abort.abort(signal);
    const deadlineMs = this.options.deadlineMs ?? DEADLINES_MS.cancel;
    this.timer = boundedTimeout(
      () => void this.hardStop(`cancellation (${signal}) did not finish within ${deadlineMs / 1000} s`),
      deadlineMs,
    );
  };

  private async hardStop(why: string): Promise<void> {
    if (this.hardStopping) return;
    this.hardStopping = true;
    clearTimeout(this.timer);
    let report: string;
    try {
      report = await (this.options.stopNow ?? stopNow)(this.options.runId?.());
    } catch (error) {
      report = `cleanup failed: ${errorMessage(error)}`;
    }
    this.rejectStopped(new CancelledError(`${why}: stopped without waiting for cleanup; ${report}`));
  }

  [Symbol.dispose](): void {
    clearTimeout(this.timer);
    this.signals.off('SIGINT', this.onSignal);
    this.signals.off('SIGTERM', this.onSignal);
  }
}

/**
 * The cleanup of a stop that cannot wait: ends the run's k6 and removes its containers and
 * network within a few seconds, and says what may be left running and how to remove it.
 */
export async function stopNow(
  runId: string | undefined,
  deadlineMs: number = DEADLINES_MS.hardStopCleanup,
): Promise<string> {
  if (runId === undefined) return 'nothing had been started yet';
  const said: string[] = [];
  const k6 = await stopK6OfRun(runId).catch(() => 0);
  if (k6 > 0) said.push(`ended ${k6} k6 process(es) of run ${runId}`);
  try {
    const removed = await removeRunLeftovers(runId, deadlineMs);
    said.push(
      `removed ${removed.containers} containers and ${removed.networks} networks of run ${runId}; one the engine was still creating may be left, labelled ${RUN_LABEL}=${runId}`,
    );
  } catch (error) {
    said.push(
      `may be left running: the containers and the network of run ${runId} (${errorMessage(error).split('\n')[0]}); remove them with: docker rm -f $(docker ps -aq --filter label=${RUN_LABEL}=${runId}); docker network rm ${networkName(runId)}`,
    );
  }
  return said.join('; ');
}
