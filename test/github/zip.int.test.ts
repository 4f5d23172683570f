import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractZip, readZip, UnsafeArchiveError } from '../../src/github/zip.ts';
import { countReliability } from '../helpers/reliability.ts';
import { makeZip } from './zipWriter.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'loadgate-zip-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('extracting an untrusted artifact', () => {
  it('extracts a well-formed archive, stored and deflated, with folders', async () => {
    const zip = makeZip([
      { name: 'result.json', data: '{"a":1}' },
      { name: 'logs/', data: '' },
      { name: 'logs/service.log', data: 'x'.repeat(10_000), method: 0 },
    ]);
    const out = join(dir, 'out');
    expect(await extractZip(zip, out)).toEqual(['result.json', 'logs/service.log']);
    expect(readFileSync(join(out, 'result.json'), 'utf8')).toBe('{"a":1}');
    expect(readFileSync(join(out, 'logs', 'service.log'), 'utf8')).toHaveLength(10_000);
  });

  it('reads an archive made by a real zip tool (Python zipfile)', async () => {
    const src = join(dir, 'made.zip');
    const script = [
      'import sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)',
      'z.writestr("result.json", "{}")',
      'z.writestr("logs/k6.log", "line\\n" * 500)',
      'z.close()',
    ].join('\n');
    execFileSync('python3', ['-c', script, src]);
    const names = readZip(readFileSync(src)).map((e) => e.name);
    expect(names).toEqual(['result.json', 'logs/k6.log']);
  });

  it.each([
    ['../evil.sh', 'a ".." segment'],
    ['logs/../../evil.sh', 'a ".." segment'],
    ['/etc/cron.d/evil', 'an absolute path'],
    ['C:/evil', 'a drive letter'],
    ['logs\\..\\..\\evil', 'a backslash'],
    ['a//b', 'an empty or "." segment'],
    ['./x', 'an empty or "." segment'],
  ])('refuses %s (%s) and writes nothing', async (name, reason) => {
    const zip = makeZip([
      { name: 'result.json', data: '{}' },
      { name, data: 'pwned' },
    ]);
    const out = join(dir, 'out');
    await expect(extractZip(zip, out)).rejects.toThrow(
      new UnsafeArchiveError(`entry ${JSON.stringify(name)} has ${reason}: it would leave its folder`),
    );
    expect(existsSync(join(out, 'result.json'))).toBe(false);
    expect(existsSync(join(dir, 'evil.sh'))).toBe(false);
  });

  it('refuses a symbolic link, a lying size, a duplicate, and too many bytes', async () => {
    await expect(
      extractZip(makeZip([{ name: 'link', data: '/etc/passwd', symlink: true }]), join(dir, 'a')),
    ).rejects.toThrow('is a symbolic link');
    await expect(
      extractZip(makeZip([{ name: 'big', data: 'x'.repeat(1000), declaredSize: 10 }]), join(dir, 'b')),
    ).rejects.toThrow('does not inflate to its declared 10 bytes');
    await expect(
      extractZip(
        makeZip([
          { name: 'a', data: '1' },
          { name: 'A', data: '2' },
        ]),
        join(dir, 'c'),
      ),
    ).rejects.toThrow('occurs twice');
    const bomb = makeZip([{ name: 'zeros', data: Buffer.alloc(2_000_000) }]);
    expect(bomb.length).toBeLessThan(10_000);
    await expect(
      extractZip(bomb, join(dir, 'd'), { maxEntries: 10, maxTotalBytes: 1_000_000 }),
    ).rejects.toThrow('more than 1000000 bytes');
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['a file, then a file inside it', ['a', 'a/b'], /entry "a\/b" lies inside "a", which is a file/],
    [
      'a file where a folder is needed',
      ['logs/k6.log', 'logs'],
      /entry "logs" is a file where "logs\/k6.log" needs a folder/,
    ],
    [
      'the same, in other case',
      ['report', 'REPORT/x'],
      /entry "REPORT\/x" lies inside "report", which is a file/,
    ],
    ['a 305-byte name', [`${'n'.repeat(300)}.json`], /has a name part of 305 bytes; at most 255/],
    [
      'a 6029-byte path',
      [Array.from({ length: 30 }, () => 'd'.repeat(200)).join('/')],
      /has a path of \d+ bytes; at most 1024/,
    ],
  ])('refuses %s before writing anything', async (_what, names, message) => {
    const zip = makeZip([{ name: 'result.json', data: '{}' }, ...names.map((name) => ({ name, data: 'x' }))]);
    countReliability('hostileInputs', 1, 'hostile archives');
    const out = join(dir, 'out');
    mkdirSync(out);
    await expect(extractZip(zip, out)).rejects.toThrow(message);
    await expect(extractZip(zip, out)).rejects.toBeInstanceOf(UnsafeArchiveError);
    // nothing half-extracted: the folder is as it was, and nothing was left beside it
    expect(readdirSync(out)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['out']);
  });

  it('extracts into a new or empty folder only; a folder with files is left as it was', async () => {
    const out = join(dir, 'out');
    const zip = makeZip([
      { name: 'result.json', data: '{}' },
      { name: 'logs/a.log', data: 'x' },
    ]);
    mkdirSync(out);
    writeFileSync(join(out, 'logs'), 'in the way');
    await expect(extractZip(zip, out)).rejects.toThrow(/out is not empty: nothing extracted/);
    expect(readdirSync(out)).toEqual(['logs']);
    expect(readFileSync(join(out, 'logs'), 'utf8')).toBe('in the way');
    expect(readdirSync(dir)).toEqual(['out']);
    countReliability('filesIntact', 1, 'files');
    rmSync(out, { recursive: true });
    mkdirSync(out);
    expect(await extractZip(zip, out)).toEqual(['result.json', 'logs/a.log']);
    expect(readdirSync(dir)).toEqual(['out']);
  });

  it('refuses what is not a zip', () => {
    writeFileSync(join(dir, 'x'), 'hello');
    expect(() => readZip(readFileSync(join(dir, 'x')))).toThrow('not a zip archive');
  });
});
