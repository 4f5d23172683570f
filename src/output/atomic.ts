import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InfraError } from '../errors.ts';

/**
 * Writes a file so that a reader finds the old content or the new, never a part of either: a
 * temporary file beside it (one file system, so the rename is atomic) is written in full and
 * fsynced, renamed over the target, and the folder is fsynced so the rename survives a crash.
 * When anything fails (a full disk, no permission) the temporary file is removed, the target is
 * left as it was, and the error is an InfraError naming the file.
 *
 * Not the write-file-atomic package: it writes with one fs.write and ignores a short count, so on
 * a full disk it renamed a truncated file over the original (seen with 8.0.0 on a small tmpfs).
 * FileHandle.writeFile loops until every byte is written or the write fails.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(folder, { recursive: true });
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw new InfraError(`cannot write ${path}: ${why(error)}; whatever was there is left as it was`, {
      cause: error,
    });
  }
  await syncFolder(folder);
}

/** JSON as loadgate writes it (two-space indent, a final newline), atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The rename made durable; a file system that cannot fsync a folder has nothing more to do. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // EINVAL/EISDIR on some file systems: the rename is done, only its durability is not forced
  }
}

function why(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `the disk is full (${code}); free some space`;
    case 'EACCES':
    case 'EPERM':
      return `no permission (${code}); choose a folder you may write to`;
    case 'EROFS':
      return 'the file system is read-only (EROFS)';
    default:
      return (error as Error).message ?? String(error);
  }
}
