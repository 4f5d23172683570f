import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tc from '@actions/tool-cache';
import tools from '../../tools.json' with { type: 'json' };
import { DEADLINES_MS, withDeadline } from '../deadline.ts';
import { InfraError } from '../errors.ts';
import { K6_PATH_ENV, type K6Binary, locateK6 } from './k6.ts';

/**
 * k6 on a GitHub runner: the one on PATH (or LOADGATE_K6) when its version is supported;
 * otherwise the release pinned in tools.json from the tool cache; otherwise that release
 * downloaded from grafana/k6's GitHub releases, checked against the release's published
 * checksum file (sha256), extracted and cached for later jobs on the same runner.
 */

/** Where releases are downloaded from; LOADGATE_K6_DOWNLOAD_URL replaces it (a mirror, a test). */
export const K6_RELEASES_URL = 'https://github.com/grafana/k6/releases/download';
export const K6_DOWNLOAD_URL_ENV = 'LOADGATE_K6_DOWNLOAD_URL';

/** The pinned version without its "v", e.g. "2.2.0". */
export const PINNED_K6_VERSION = tools.k6.replace(/^v/, '');

export interface K6Asset {
  /** e.g. k6-v2.2.0-linux-amd64.tar.gz */
  archive: string;
  /** the folder inside the archive holding the binary */
  folder: string;
  binary: string;
  kind: 'tar.gz' | 'zip';
  /** e.g. k6-v2.2.0-checksums.txt */
  checksums: string;
}

/** The release asset of a version for a platform, named as grafana/k6 names its releases. */
export function k6Asset(version: string, platform: NodeJS.Platform, arch: string): K6Asset {
  const os =
    platform === 'linux'
      ? 'linux'
      : platform === 'darwin'
        ? 'macos'
        : platform === 'win32'
          ? 'windows'
          : null;
  const cpu = arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : null;
  if (!os || !cpu)
    throw new InfraError(
      `k6 has no release for ${platform}/${arch}: install k6 ${version} and put it on PATH`,
    );
  const kind = os === 'linux' ? 'tar.gz' : 'zip';
  const folder = `k6-v${version}-${os}-${cpu}`;
  return {
    archive: `${folder}.${kind}`,
    folder,
    binary: os === 'windows' ? 'k6.exe' : 'k6',
    kind,
    checksums: `k6-v${version}-checksums.txt`,
  };
}

/** The sha256 the checksum file lists for a file name (`<hex>  <name>` lines), or null. */
export function checksumFor(checksumsText: string, fileName: string): string | null {
  for (const line of checksumsText.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$/.exec(line.trim());
    if (m && m[2] === fileName) return (m[1] as string).toLowerCase();
  }
  return null;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface EnsureK6Options {
  env?: NodeJS.ProcessEnv;
  /** default: PINNED_K6_VERSION */
  version?: string;
  platform?: NodeJS.Platform;
  arch?: string;
  log?: (message: string) => void;
}

/**
 * A supported k6, installing the pinned release when none is at hand (see the module comment).
 * Throws InfraError when the download fails, the checksum does not match, or the binary does
 * not run; nothing unverified is ever cached or run.
 */
export async function ensureK6(options: EnsureK6Options = {}): Promise<K6Binary> {
  const env = options.env ?? process.env;
  const version = options.version ?? PINNED_K6_VERSION;
  const log = options.log ?? (() => {});
  try {
    return await locateK6(env);
  } catch (error) {
    if (!(error instanceof InfraError)) throw error;
    // The tool cache is the runner's; elsewhere, say how to get k6 instead.
    if (!process.env.RUNNER_TOOL_CACHE || !process.env.RUNNER_TEMP) throw error;
    log(`k6: ${error.message.split(':')[0]}; using the pinned k6 ${version}`);
  }
  const asset = k6Asset(version, options.platform ?? process.platform, options.arch ?? process.arch);
  const arch = options.arch ?? process.arch;
  const cached = tc.find('k6', version, arch);
  if (cached && existsSync(join(cached, asset.binary))) {
    log(`k6 ${version} from the tool cache`);
    return locateK6({ ...env, [K6_PATH_ENV]: join(cached, asset.binary) });
  }

  const base = `${(env[K6_DOWNLOAD_URL_ENV] || K6_RELEASES_URL).replace(/\/+$/, '')}/v${version}`;
  log(`downloading k6 ${version} (${asset.archive})`);
  let archive: string;
  let checksums: string;
  try {
    // tool-cache has no deadline of its own: an unanswered download would hang the job
    const download = (file: string) =>
      withDeadline(`downloading ${file}`, DEADLINES_MS.k6Download, () => tc.downloadTool(`${base}/${file}`));
    checksums = await readFile(await download(asset.checksums), 'utf8');
    archive = await download(asset.archive);
  } catch (error) {
    throw new InfraError(`downloading k6 ${version} from ${base} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const expected = checksumFor(checksums, asset.archive);
  if (!expected)
    throw new InfraError(`${asset.checksums} lists no checksum for ${asset.archive}: not installing it`);
  const actual = await sha256File(archive);
  if (actual !== expected) {
    throw new InfraError(
      `${asset.archive} has sha256 ${actual}, but ${asset.checksums} says ${expected}: not installing it`,
    );
  }
  const extracted = asset.kind === 'tar.gz' ? await tc.extractTar(archive) : await tc.extractZip(archive);
  const folder = join(extracted, asset.folder);
  if (!existsSync(join(folder, asset.binary))) {
    throw new InfraError(`${asset.archive} has no ${asset.folder}/${asset.binary}`);
  }
  const cachedDir = await tc.cacheDir(folder, 'k6', version, arch);
  log(`k6 ${version} verified (sha256 ${actual.slice(0, 16)}…) and cached`);
  return locateK6({ ...env, [K6_PATH_ENV]: join(cachedDir, asset.binary) });
}
