import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * The secret values of this process (`${env.NAME}` in the config, read by readConfig), and
 * their removal from everything loadgate writes: container logs, build logs, k6's log, error
 * messages. Process-wide on purpose, like the runner's own masking: whoever writes text asks
 * here, and the action masks each value in the job log as soon as it is known.
 */

export const REDACTED = '***';
const MAX_PENDING_CHARS = 256 * 1024;

const secrets = new Set<string>();
const listeners: ((value: string) => void)[] = [];

/** Registers a secret value (and each line of a multi-line one); listeners hear each new one. */
export function registerSecret(value: string): void {
  const parts = [value, ...value.split(/\r?\n/)].map((part) => part.trim()).filter((part) => part !== '');
  for (const part of parts) {
    if (secrets.has(part)) continue;
    secrets.add(part);
    for (const listener of listeners) listener(part);
  }
}

/** Calls `listener` with every secret registered so far and every one registered later. */
export function onSecretRegistered(listener: (value: string) => void): void {
  listeners.push(listener);
  for (const value of secrets) listener(value);
}

export function hasSecrets(): boolean {
  return secrets.size > 0;
}

/** The text with every registered secret value replaced by ***, longest first. */
export function redact(text: string): string {
  if (secrets.size === 0 || text === '') return text;
  let out = text;
  for (const value of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(value)) out = out.split(value).join(REDACTED);
  }
  return out;
}

/**
 * A stream that redacts line by line (a value split across two chunks is still found; one
 * spanning lines is found by its lines, registered one by one). Bytes in, text out.
 */
export function redactingLines(): Transform {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  return new Transform({
    decodeStrings: true,
    transform(chunk: Buffer, _encoding, done) {
      pending += decoder.write(chunk);
      const end = pending.lastIndexOf('\n');
      if (end < 0) {
        // a line without end is kept, up to a bound (a stream that never ends a line)
        if (pending.length > MAX_PENDING_CHARS) {
          const text = pending;
          pending = '';
          done(null, redact(text));
        } else done();
        return;
      }
      const complete = pending.slice(0, end + 1);
      pending = pending.slice(end + 1);
      done(null, redact(complete));
    },
    flush(done) {
      pending += decoder.end();
      done(null, pending === '' ? undefined : redact(pending));
    },
  });
}

/** For tests: forget every registered secret and listener. */
export function resetSecretsForTests(): void {
  secrets.clear();
  listeners.length = 0;
}
