import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Cancellation, stopNow } from './cancel.ts';
import { whileSignalsCancel } from './cli/runCli.ts';
import { CancelledError, ExitCode, exitCodeOf } from './errors.ts';

/** Work that ignores its signal: a call into an engine that hangs. */
const hung = () => new Promise<never>(() => {});

function cli() {
  const err: string[] = [];
  return { err, io: { out: () => {}, err: (t: string) => err.push(t), isTty: false } };
}

describe('cancellation', () => {
  it('aborts on the first signal, and lets work that honours it finish', async () => {
    const signals = new EventEmitter();
    using cancellation = new Cancellation({ signals, stopNow: async () => 'not called' });
    const work = cancellation.run(
      (signal) =>
        new Promise<string>((done) => signal.addEventListener('abort', () => done(String(signal.reason)))),
    );
    signals.emit('SIGINT', 'SIGINT');
    expect(await work).toBe('SIGINT');
  });

  it('a second signal stops waiting: best-effort cleanup of the run, then exit 130 saying what may be left', async () => {
    const signals = new EventEmitter();
    const cleaned: (string | undefined)[] = [];
    const { err, io } = cli();
    const stopped = whileSignalsCancel(
      io,
      (_signal, onRunId) => {
        onRunId('20260101-000000-abcdef');
        return hung();
      },
      {
        signals,
        stopNow: async (runId) => {
          cleaned.push(runId);
          return `may be left running: the containers of run ${runId}`;
        },
      },
    );
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGTERM', 'SIGTERM');
    const error = await stopped.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect(exitCodeOf(error)).toBe(ExitCode.cancelled);
    expect((error as Error).message).toBe(
      'a second signal (SIGTERM): stopped without waiting for cleanup; may be left running: the containers of run 20260101-000000-abcdef',
    );
    expect(cleaned).toEqual(['20260101-000000-abcdef']);
    expect(err.join('')).toMatch(
      /SIGINT received, stopping k6 and the containers \(a second signal stops at once\)[\s\S]*SIGTERM received again, stopping now/,
    );
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('one signal and a cancellation that outlasts its deadline stop the same way', async () => {
    const signals = new EventEmitter();
    const { io } = cli();
    const stopped = whileSignalsCancel(io, hung, {
      signals,
      deadlineMs: 200,
      stopNow: async () => 'nothing had been started yet',
    });
    signals.emit('SIGTERM', 'SIGTERM');
    await expect(stopped).rejects.toThrow(
      'cancellation (SIGTERM) did not finish within 0.2 s: stopped without waiting for cleanup; nothing had been started yet',
    );
  });

  it('with no run started, there is nothing to clean up', async () => {
    expect(await stopNow(undefined)).toBe('nothing had been started yet');
  });
});
