import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InfraError } from '../../src/errors.ts';
import { checksumFor, ensureK6, K6_DOWNLOAD_URL_ENV, k6Asset } from '../../src/load/k6Install.ts';

// The k6 installer against a local server laid out like grafana/k6's GitHub releases, serving a
// tarball made here from the real k6 binary the bootstrap built (no internet in tests).

const REAL_K6 = '/opt/loadgate/tools/bin/k6';
const VERSION = '2.2.0';
const asset = k6Asset(VERSION, 'linux', 'x64');
let root: string;
let server: Server;
let baseUrl: string;
let tarball: Buffer;
let checksums: string;
let requests: string[];
const saved = { cache: process.env.RUNNER_TOOL_CACHE, temp: process.env.RUNNER_TEMP };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'loadgate-k6-release-'));
  const folder = join(root, 'pack', asset.folder);
  mkdirSync(folder, { recursive: true });
  copyFileSync(REAL_K6, join(folder, 'k6'));
  chmodSync(join(folder, 'k6'), 0o755);
  writeFileSync(join(folder, 'LICENSE.md'), 'AGPL-3.0\n');
  execFileSync('tar', ['-czf', join(root, asset.archive), '-C', join(root, 'pack'), asset.folder]);
  tarball = readFileSync(join(root, asset.archive));
  const sha = createHash('sha256').update(tarball).digest('hex');
  checksums = `${'0'.repeat(64)}  k6-v${VERSION}-linux-arm64.tar.gz\n${sha}  ${asset.archive}\n`;
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === `/v${VERSION}/${asset.archive}`) res.writeHead(200).end(tarball);
    else if (req.url === `/v${VERSION}/${asset.checksums}`) res.writeHead(200).end(checksums);
    else res.writeHead(404).end('Not Found');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  rmSync(root, { recursive: true, force: true });
});

let runner: string;
beforeEach(() => {
  requests = [];
  runner = mkdtempSync(join(tmpdir(), 'loadgate-runner-'));
  process.env.RUNNER_TOOL_CACHE = join(runner, 'toolcache');
  process.env.RUNNER_TEMP = join(runner, 'temp');
});
afterEach(() => {
  rmSync(runner, { recursive: true, force: true });
  for (const [key, value] of [
    ['RUNNER_TOOL_CACHE', saved.cache],
    ['RUNNER_TEMP', saved.temp],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const envWithout = (extra: Record<string, string> = {}) => ({
  PATH: '/usr/bin:/bin',
  [K6_DOWNLOAD_URL_ENV]: baseUrl,
  ...extra,
});

describe('ensureK6', () => {
  it('uses a compatible k6 from PATH without downloading', async () => {
    const k6 = await ensureK6({
      env: { PATH: `/opt/loadgate/tools/bin:/usr/bin:/bin`, [K6_DOWNLOAD_URL_ENV]: baseUrl },
    });
    expect(k6).toEqual({ path: REAL_K6, version: VERSION });
    expect(requests).toEqual([]);
  });

  it('without one: downloads the pinned release, verifies its sha256, caches it; the next call uses the cache', async () => {
    const log: string[] = [];
    const k6 = await ensureK6({ env: envWithout(), version: VERSION, log: (m) => log.push(m) });
    expect(k6.version).toBe(VERSION);
    expect(k6.path).toBe(join(runner, 'toolcache', 'k6', VERSION, 'x64', 'k6'));
    expect(execFileSync(k6.path, ['version'], { encoding: 'utf8' })).toContain(`k6 v${VERSION}`);
    expect(requests).toEqual([`/v${VERSION}/${asset.checksums}`, `/v${VERSION}/${asset.archive}`]);
    expect(log.join('\n')).toMatch(/verified \(sha256 [0-9a-f]{16}…\) and cached/);
    requests = [];
    const again = await ensureK6({ env: envWithout(), version: VERSION });
    expect(again.path).toBe(k6.path);
    expect(requests).toEqual([]);
  });

  it('an incompatible k6 on PATH is passed over for the pinned one', async () => {
    const bin = join(runner, 'oldbin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'k6'), '#!/bin/sh\necho "k6 v0.49.0 (go1.21, linux/amd64)"\n', { mode: 0o755 });
    const k6 = await ensureK6({ env: { ...envWithout(), PATH: `${bin}:/usr/bin:/bin` }, version: VERSION });
    expect(k6.path).toContain(join('toolcache', 'k6', VERSION));
  });

  it('a tarball whose sha256 differs from the checksum file is refused and never cached or run', async () => {
    const good = checksums;
    checksums = checksums.replace(/^[0-9a-f]{64}(?= {2}k6-v2\.2\.0-linux-amd64)/m, 'a'.repeat(64));
    try {
      const error = await ensureK6({ env: envWithout(), version: VERSION }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InfraError);
      expect((error as Error).message).toMatch(
        /has sha256 [0-9a-f]{64}, but k6-v2\.2\.0-checksums\.txt says a{64}: not installing it/,
      );
      expect(() => readFileSync(join(runner, 'toolcache', 'k6', VERSION, 'x64', 'k6'))).toThrow();
    } finally {
      checksums = good;
    }
  });

  it('a checksum file without the archive, or a missing release, is an InfraError', async () => {
    const good = checksums;
    checksums = `${'0'.repeat(64)}  something-else.tar.gz\n`;
    try {
      await expect(ensureK6({ env: envWithout(), version: VERSION })).rejects.toThrow(
        'lists no checksum for k6-v2.2.0-linux-amd64.tar.gz',
      );
    } finally {
      checksums = good;
    }
    await expect(ensureK6({ env: envWithout(), version: '2.9.9' })).rejects.toThrow(
      /downloading k6 2\.9\.9 from .* failed/,
    );
  });
});

describe('checksumFor', () => {
  it('reads sha256sum lines, binary-mode marks included', () => {
    const text = `${'a'.repeat(64)}  k6-v2.2.0-linux-amd64.tar.gz\n${'B'.repeat(64)} *k6-v2.2.0-macos-arm64.zip\n`;
    expect(checksumFor(text, 'k6-v2.2.0-linux-amd64.tar.gz')).toBe('a'.repeat(64));
    expect(checksumFor(text, 'k6-v2.2.0-macos-arm64.zip')).toBe('b'.repeat(64));
    expect(checksumFor(text, 'k6-v2.2.0-linux-amd64')).toBeNull();
    expect(k6Asset('2.2.0', 'darwin', 'arm64').archive).toBe('k6-v2.2.0-macos-arm64.zip');
  });
});
