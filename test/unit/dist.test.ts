import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Users run dist/, not src/: the committed bundle must be exactly what the build makes now.
const root = join(import.meta.dirname, '..', '..');

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

describe('dist/', () => {
  const fresh = mkdtempSync(join(tmpdir(), 'loadgate-dist-'));
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it('matches a fresh build of src/ (run `npm run build` and commit dist/ if this fails)', () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--out', fresh], { cwd: root });
    const committed = join(root, 'dist');
    const expected = listFiles(fresh)
      .map((f) => relative(fresh, f))
      .sort();
    const actual = listFiles(committed)
      .map((f) => relative(committed, f))
      .sort();
    expect(actual).toEqual(expected);
    for (const file of expected) {
      const same = readFileSync(join(fresh, file)).equals(readFileSync(join(committed, file)));
      expect(same, `dist/${file} is stale`).toBe(true);
    }
  });
});
