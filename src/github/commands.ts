import { randomBytes } from 'node:crypto';

/**
 * Workflow-command safety. The runner reads every line a step prints: a line starting with
 * `::` after any whitespace (it trims with .NET's TrimStart: every Unicode space, NBSP, VT, FF,
 * NEL, U+2028…) is a command, and so is one holding the legacy `##[`. Text loadgate did
 * not write (a service's or k6's log, a name from a config or a pull request) must never issue
 * one: it is printed between `::stop-commands::<token>` and `::<token>::`, where the runner
 * treats every line as plain text. The token is random per block, so the text cannot end the
 * block early. @actions/core has no helper for this; annotations and outputs it writes escape
 * their own data.
 */

/**
 * What the runner may strip before a line's `::`: JavaScript's \s (every Unicode space
 * separator, U+0009–U+000D, U+2028, U+2029, U+FEFF) plus NEL (U+0085), which .NET counts as
 * whitespace and JavaScript does not, and the zero-width characters that some Unicode versions
 * called spaces. Wider than the runner's set on purpose: a needless stop-commands block costs two
 * log lines, a missed one lets a log line set an output.
 */
const MAY_BE_TRIMMED = String.raw`[\s\u0085\u180e\u200b-\u200d\u2060]`;
const COMMAND_RE = new RegExp(String.raw`(^|[\r\n])${MAY_BE_TRIMMED}*::|##\[`, 'u');

/** Whether a text could be read by the runner as a workflow command. */
export function mayIssueCommand(text: string): boolean {
  return COMMAND_RE.test(text);
}

/** A token that no text can guess: 128 random bits. */
export function stopToken(): string {
  return `loadgate-${randomBytes(16).toString('hex')}`;
}

/**
 * The lines to print for untrusted text: as it is when it cannot issue a command, else between
 * stop-commands markers. Carriage returns count as line ends (the runner splits on them too).
 */
export function untrustedLines(text: string, token: string = stopToken()): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (!mayIssueCommand(text)) return lines;
  if (text.includes(token)) throw new Error('the stop-commands token occurs in the text');
  return [`::stop-commands::${token}`, ...lines, `::${token}::`];
}

/** Prints untrusted text through `writeLine` (e.g. core.info) so it issues no workflow command. */
export function logUntrusted(writeLine: (line: string) => void, text: string): void {
  for (const line of untrustedLines(text)) writeLine(line);
}
