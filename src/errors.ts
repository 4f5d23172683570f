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

/** The exit status an error ends in: its own, or 3 for anything unforeseen. */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof LoadgateError ? error.exitCode : ExitCode.infra;
}

/** What an error says, whatever was thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
