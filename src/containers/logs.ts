import { open } from 'node:fs/promises';

/**
 * C0 controls but tab and line feed, DEL, C1 controls (U+009B is a CSI on its own) and the
 * bidirectional overrides: what lets text a service or k6 printed move the cursor, clear the
 * screen, retitle the terminal or reorder what is shown.
 */
export function isControl(code: number): boolean {
  return (
    (code < 0x20 && code !== 0x09 && code !== 0x0a) ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * Text from a log made inert for a terminal or a job log: every control character (isControl)
 * is shown as its escape (`\x1b[31m` is printed as the text "\x1b[31m"), line ends kept.
 */
export function inertText(text: string): string {
  let inert = '';
  for (const char of text.replaceAll('\r\n', '\n')) {
    const code = char.codePointAt(0) as number;
    if (!isControl(code)) inert += char;
    else inert += code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  }
  return inert;
}

/** The last `lineCount` lines of a text file (inertText: for messages), or '' when it does not exist. */
export async function tailFile(path: string, lineCount: number, maxBytes = 256 * 1024): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return inertText(lastLines(buffer.toString('utf8'), lineCount));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  } finally {
    await handle?.close();
  }
}

/** The last `lineCount` lines of a text, without a trailing newline. */
export function lastLines(text: string, lineCount: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.slice(-lineCount).join('\n');
}
