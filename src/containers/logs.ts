import { open } from 'node:fs/promises';

/** The last `lineCount` lines of a text file, or '' when it does not exist. */
export async function tailFile(path: string, lineCount: number, maxBytes = 256 * 1024): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return lastLines(buffer.toString('utf8'), lineCount);
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
