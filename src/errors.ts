/**
 * Errors that a user can cause or meet carry the exit status they end in. Only the entry
 * points turn them into exit codes or `core.setFailed`; nothing deeper calls process.exit.
 */
export const ExitCode = {
  pass: 0,
  /** a gate breach or a regression */
  failedGate: 1,
  /** bad config or bad usage */
  config: 2,
  /** engine, image, k6, a service that will not start */
  infra: 3,
  /** stopped by a signal (SIGINT, SIGTERM), as shells report 128 + SIGINT */
  cancelled: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class LoadgateError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The config or the command line is wrong; nothing was started. */
export class ConfigError extends LoadgateError {
  constructor(
    message: string,
    /** every problem found, each "path: message" */
    readonly problems: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, ExitCode.config, options);
  }
}

/** Something outside loadgate failed: the engine, an image, k6, the service under test. */
export class InfraError extends LoadgateError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.infra, options);
  }
}

/** The run was stopped by a signal; what it measured so far, if anything, is saved as partial. */
export class CancelledError extends LoadgateError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.cancelled, options);
  }
}

/**
 * The error that happened first. When a disposal fails after an error, `await using` throws a
 * SuppressedError whose `suppressed` is the earlier error and whose `error` the disposal's, and
 * says only "An error was suppressed during disposal": the first is the innermost `suppressed`.
 */
export function firstError(error: unknown): unknown {
  let first = error;
  while (first instanceof SuppressedError) first = first.suppressed;
  return first;
}

/** The failures of cleanup that followed the first error, in the order they happened. */
export function cleanupFailures(error: unknown): unknown[] {
  const later: unknown[] = [];
  let at = error;
  while (at instanceof SuppressedError) {
    later.unshift(firstError(at.error), ...cleanupFailures(at.error));
    at = at.suppressed;
  }
  return later;
}

/** The exit status an error ends in: the first error's own (130 for a cancelled run whatever its cleanup did), or 3 for anything unforeseen. */
export function exitCodeOf(error: unknown): ExitCode {
  const first = firstError(error);
  return first instanceof LoadgateError ? first.exitCode : ExitCode.infra;
}

/** What an error says, whatever was thrown: the first error's message, then each cleanup failure. */
export function errorMessage(error: unknown): string {
  const said = (e: unknown) => (e instanceof Error ? e.message : String(e));
  const later = cleanupFailures(error);
  if (later.length === 0) return said(firstError(error));
  return `${said(firstError(error))}\ncleanup failed too, after that:\n${later.map((e) => `  - ${said(e).replaceAll('\n', '\n    ')}`).join('\n')}`;
}
