import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResultSchema } from '../../src/result/schema.ts';
import { repoRoot, runCli } from '../helpers/cli.ts';

// A user's own k6 script in place of the built-in requests still gets per-level results,
// per request when it tags them.
describe('a user k6 script', () => {
  const out = mkdtempSync(join(tmpdir(), 'loadgate-user-script-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs through the ladder with results per level and per tagged request', async () => {
    const run = await runCli([
      'run',
      '--config',
      join(repoRoot, 'examples', 'demo', 'loadgate.yml'),
      '--out',
      out,
      '--set',
      'load.requests=null',
      '--set',
      `load.script=${join(repoRoot, 'examples', 'user-script', 'script.js')}`,
      '--set',
      'load.scriptRequests=[items, health]',
      '--set',
      'load.levels=[1,3]',
      '--set',
      'load.levelDuration=3s',
      '--set',
      'load.warmup=1s',
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(result.levels.map((l) => l.level)).toEqual([1, 3]);
    for (const level of result.levels) {
      const byName = Object.fromEntries(level.requests.map((r) => [r.name, r]));
      expect(byName.items?.count).toBeGreaterThan(0);
      // The script sends /health after every successful /items: the counts follow each other.
      expect(byName.health?.count).toBeGreaterThan(0);
      expect(Math.abs((byName.items?.count ?? 0) - (byName.health?.count ?? 0))).toBeLessThanOrEqual(
        level.level,
      );
      expect(byName.items?.errorRate).toBe(0);
    }
  });
});
