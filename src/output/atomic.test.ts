import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraError } from '../errors.ts';
import { writeFileAtomic, writeJsonAtomic } from './atomic.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-atomic-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates the folder, writes the file in full, replaces an older one, leaves no temporary file', async () => {
    const file = join(dir, 'new', 'result.json');
    await writeJsonAtomic(file, { a: 1 });
    expect(await readFile(file, 'utf8')).toBe('{\n  "a": 1\n}\n');
    const big = 'x'.repeat(3_000_000);
    await writeFileAtomic(file, big);
    expect(await readFile(file, 'utf8')).toBe(big);
    expect(await readdir(join(dir, 'new'))).toEqual(['result.json']);
  });

  it('fails with an InfraError naming the file, and leaves what was there', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'kept');
    const error = await writeFileAtomic(join(blocker, 'report.md'), 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as Error).message).toMatch(/^cannot write .*a-file\/report\.md: .*left as it was$/);
    expect(await readFile(blocker, 'utf8')).toBe('kept');
  });
});
