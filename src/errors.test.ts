import { describe, expect, it } from 'vitest';
import { countReliability } from '../test/helpers/reliability.ts';
import { describeError } from './cli/runCli.ts';
import {
  CancelledError,
  ConfigError,
  cleanupFailures,
  ExitCode,
  errorMessage,
  exitCodeOf,
  firstError,
  InfraError,
} from './errors.ts';

/** Something started that fails to stop, as a container whose engine went away. */
function failingCleanup(message: string): AsyncDisposable {
  return {
    async [Symbol.asyncDispose]() {
      throw new InfraError(message);
    },
  };
}

/** A run as run.ts writes it: resources in `await using`, then the body fails. */
async function runThatFails(body: Error, cleanups: string[]): Promise<unknown> {
  try {
    await using _containers = failingCleanup(cleanups[0] as string);
    {
      await using _proxy = cleanups[1] ? failingCleanup(cleanups[1]) : null;
      throw body;
    }
  } catch (error) {
    return error;
  }
}

describe('the error a user is shown', () => {
  it('is the first one, with every cleanup failure after it in order, never only the SuppressedError', async () => {
    const error = await runThatFails(new InfraError('the service did not become ready'), [
      'cleanup left something behind: network in use',
      'Toxiproxy would not stop',
    ]);
    expect(error).toBeInstanceOf(SuppressedError);
    countReliability('faultsInjected', 2, 'failing cleanups');
    expect(errorMessage(firstError(error))).toBe('the service did not become ready');
    expect(cleanupFailures(error).map(errorMessage)).toEqual([
      'Toxiproxy would not stop',
      'cleanup left something behind: network in use',
    ]);
    const shown = describeError(error);
    expect(shown).not.toContain('suppressed');
    expect(shown.split('\n')).toEqual([
      'loadgate: the service did not become ready',
      'cleanup failed too, after that:',
      '  - Toxiproxy would not stop',
      '  - cleanup left something behind: network in use',
    ]);
    expect(exitCodeOf(error)).toBe(ExitCode.infra);
  });

  it('keeps the first error’s exit status: a cancelled run whose cleanup also fails exits 130', async () => {
    const cancelled = await runThatFails(new CancelledError('cancelled (SIGINT) before the load started'), [
      'the engine did not answer within 30 s',
    ]);
    expect(exitCodeOf(cancelled)).toBe(ExitCode.cancelled);
    const config = await runThatFails(new ConfigError('bad'), ['x']);
    expect(exitCodeOf(config)).toBe(ExitCode.config);
    expect(describeError(cancelled)).toMatch(/^loadgate: cancelled \(SIGINT\)[^\n]*\ncleanup failed too/);
  });

  it('says a plain error as it is', () => {
    expect(errorMessage(new Error('one\ntwo'))).toBe('one\ntwo');
    expect(errorMessage('text')).toBe('text');
    expect(exitCodeOf(new Error('x'))).toBe(ExitCode.infra);
  });
});

describe('the exit status of errors met outside the core', () => {
  it('a GitHub refusal and a service whose metrics page is not the format end in 3; a hostile archive is bad input, 2', async () => {
    const { GitHubApiError } = await import('./github/client.ts');
    const { UnsafeArchiveError } = await import('./github/zip.ts');
    const { ExpositionError } = await import('./metrics/exposition.ts');
    const refused = new GitHubApiError(
      'POST comment: 403 Resource not accessible by integration',
      'forbidden',
      403,
    );
    expect(exitCodeOf(refused)).toBe(ExitCode.infra);
    expect(refused.name).toBe('GitHubApiError');
    expect(exitCodeOf(new ExpositionError('unknown metric type', 3))).toBe(ExitCode.infra);
    const hostile = new UnsafeArchiveError('entry ../x has a ".." segment: it would leave its folder');
    expect(exitCodeOf(hostile)).toBe(ExitCode.config);
    expect(hostile).toBeInstanceOf(ConfigError);
    // an error nobody foresaw is still 3, never 0
    expect(exitCodeOf(new TypeError('x is undefined'))).toBe(ExitCode.infra);
  });
});
