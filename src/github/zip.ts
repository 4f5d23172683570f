import { mkdir, mkdtemp, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { ConfigError } from '../errors.ts';

/**
 * A zip reader for untrusted archives (a fork's artifact): only what a GitHub artifact holds
 * (stored or deflated files and folders), every entry checked before anything is written.
 * Refused, naming the entry: a path that is absolute, has a drive letter, a backslash, a NUL,
 * an empty, "." or ".." segment, or resolves outside the folder; a name part over 255 bytes or a
 * path over 1024 (what a file system takes); a file where another entry needs a folder (`a` and
 * `a/b`); a symbolic link; encryption; zip64; more entries or bytes than the limits; a size or
 * CRC that does not match the data.
 */
export class UnsafeArchiveError extends ConfigError {}

export interface ZipLimits {
  maxEntries: number;
  /** sum of the uncompressed sizes */
  maxTotalBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 2_000, maxTotalBytes: 200 * 1024 * 1024 };
/** NAME_MAX of Linux's file systems, in bytes. */
const MAX_NAME_PART_BYTES = 255;
/** A path inside an artifact; the folder it goes to must leave room within PATH_MAX (4096). */
const MAX_PATH_BYTES = 1024;

export interface ZipEntry {
  /** the path inside the archive, "/"-separated, checked safe */
  name: string;
  directory: boolean;
  data: Buffer;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Why an entry's path is unsafe, or null when it stays inside any folder it is extracted to. */
export function unsafePathReason(name: string): string | null {
  if (name === '') return 'an empty path';
  if (name.includes('\0')) return 'a NUL character';
  if (name.includes('\\')) return 'a backslash';
  if (name.startsWith('/') || isAbsolute(name)) return 'an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'a drive letter';
  const segments = name.replace(/\/$/, '').split('/');
  if (segments.some((s) => s === '..')) return 'a ".." segment';
  if (segments.some((s) => s === '' || s === '.')) return 'an empty or "." segment';
  return null;
}

/** Why an entry's name is longer than a file system takes, or null. */
export function overlongReason(name: string): string | null {
  const pathBytes = Buffer.byteLength(name);
  if (pathBytes > MAX_PATH_BYTES) return `a path of ${pathBytes} bytes; at most ${MAX_PATH_BYTES}`;
  const longest = Math.max(...name.split('/').map((part) => Buffer.byteLength(part)));
  if (longest > MAX_NAME_PART_BYTES) return `a name part of ${longest} bytes; at most ${MAX_NAME_PART_BYTES}`;
  return null;
}

/**
 * A file entry that another entry needs as a folder (`a` and `a/b`, in either order, any case):
 * extracting both fails half way (EEXIST, ENOTDIR), so the archive is refused whole.
 */
function folderClash(entries: readonly ZipEntry[]): string | null {
  const files = new Map<string, string>();
  for (const entry of entries) if (!entry.directory) files.set(entry.name.toLowerCase(), entry.name);
  for (const entry of entries) {
    const parts = entry.name.replace(/\/$/, '').split('/');
    for (let i = 1; i < parts.length; i++) {
      const file = files.get(parts.slice(0, i).join('/').toLowerCase());
      if (file === undefined) continue;
      const [shown, inside] = [JSON.stringify(entry.name), JSON.stringify(file)];
      return entries.indexOf(entry) > entries.findIndex((e) => e.name === file)
        ? `entry ${shown} lies inside ${inside}, which is a file`
        : `entry ${inside} is a file where ${shown} needs a folder`;
    }
  }
  return null;
}

/** Every entry of the archive, checked; throws UnsafeArchiveError at the first bad one. */
export function readZip(zip: Buffer, limits: ZipLimits = DEFAULT_ZIP_LIMITS): ZipEntry[] {
  const eocd = findEndOfCentralDirectory(zip);
  const count = zip.readUInt16LE(eocd + 10);
  const cdSize = zip.readUInt32LE(eocd + 12);
  const cdOffset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new UnsafeArchiveError('zip64 archives are not read');
  }
  if (count > limits.maxEntries)
    throw new UnsafeArchiveError(`${count} entries, more than ${limits.maxEntries}`);
  if (cdOffset + cdSize > eocd)
    throw new UnsafeArchiveError('the central directory lies outside the archive');

  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL)
      throw new UnsafeArchiveError('a damaged central directory');
    const madeBy = zip.readUInt16LE(at + 4) >> 8;
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const externalAttributes = zip.readUInt32LE(at + 38);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString(flags & 0x800 ? 'utf8' : 'latin1');
    at += 46 + nameLength + extraLength + commentLength;

    const shown = JSON.stringify(name.slice(0, 200));
    const reason = unsafePathReason(name);
    if (reason) throw new UnsafeArchiveError(`entry ${shown} has ${reason}: it would leave its folder`);
    const overlong = overlongReason(name);
    if (overlong) throw new UnsafeArchiveError(`entry ${shown} has ${overlong}`);
    if (madeBy === 3 && ((externalAttributes >>> 16) & S_IFMT) === S_IFLNK) {
      throw new UnsafeArchiveError(`entry ${shown} is a symbolic link`);
    }
    if (flags & 0x1) throw new UnsafeArchiveError(`entry ${shown} is encrypted`);
    const key = name.replace(/\/$/, '').toLowerCase();
    if (seen.has(key)) throw new UnsafeArchiveError(`entry ${shown} occurs twice`);
    seen.add(key);
    const directory = name.endsWith('/');
    if (directory) {
      entries.push({ name, directory, data: Buffer.alloc(0) });
      continue;
    }
    total += size;
    if (total > limits.maxTotalBytes) {
      throw new UnsafeArchiveError(`the archive holds more than ${limits.maxTotalBytes} bytes`);
    }
    if (localOffset + 30 > zip.length || zip.readUInt32LE(localOffset) !== LOCAL) {
      throw new UnsafeArchiveError(`entry ${shown}: a damaged local header`);
    }
    const dataStart =
      localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    if (dataStart + compressedSize > zip.length)
      throw new UnsafeArchiveError(`entry ${shown} runs past the archive`);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, size) });
      } catch {
        throw new UnsafeArchiveError(`entry ${shown} does not inflate to its declared ${size} bytes`);
      }
    } else throw new UnsafeArchiveError(`entry ${shown} uses compression method ${method}`);
    if (data.length !== size)
      throw new UnsafeArchiveError(`entry ${shown} is not its declared ${size} bytes`);
    if (crc32(data) !== crc) throw new UnsafeArchiveError(`entry ${shown} fails its CRC check`);
    entries.push({ name, directory, data });
  }
  const clash = folderClash(entries);
  if (clash) throw new UnsafeArchiveError(clash);
  return entries;
}

/**
 * Extracts an untrusted archive into `folder` (created; it should be new and empty). Nothing is
 * written unless every entry passes readZip's checks; files are created exclusively, never
 * through an existing path. All or nothing: the entries go to a staging folder beside it, which
 * becomes `folder` once every file is written, and is removed when one fails. Returns the
 * extracted files' paths relative to the folder.
 */
export async function extractZip(
  zip: Buffer,
  folder: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<string[]> {
  const entries = readZip(zip, limits);
  const root = resolve(folder);
  await mkdir(dirname(root), { recursive: true });
  const staging = await mkdtemp(join(dirname(root), `.${basename(root)}.extracting-`));
  try {
    const written = await writeEntries(entries, staging);
    await replaceEmptyFolder(staging, root);
    return written;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Moves `staging` to `root`, which must not exist or be an empty folder (then it is replaced). */
async function replaceEmptyFolder(staging: string, root: string): Promise<void> {
  const existing = await readdir(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (existing !== null) {
    if (existing.length > 0) throw new UnsafeArchiveError(`${root} is not empty: nothing extracted`);
    await rmdir(root);
  }
  await rename(staging, root);
}

async function writeEntries(entries: readonly ZipEntry[], root: string): Promise<string[]> {
  const written: string[] = [];
  for (const entry of entries) {
    const target = resolve(root, ...entry.name.replace(/\/$/, '').split('/'));
    if (!target.startsWith(root + sep))
      throw new UnsafeArchiveError(`entry ${JSON.stringify(entry.name)} leaves its folder`);
    if (entry.directory) {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, entry.data, { flag: 'wx', mode: 0o644 });
    written.push(entry.name);
  }
  return written;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  const lowest = Math.max(0, zip.length - 22 - 0xffff);
  for (let at = zip.length - 22; at >= lowest; at--) {
    if (zip.readUInt32LE(at) === EOCD) return at;
  }
  throw new UnsafeArchiveError('not a zip archive (no end of central directory)');
}
