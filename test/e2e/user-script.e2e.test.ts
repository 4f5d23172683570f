import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it("fails the gate when the script's own thresholds are crossed (k6 exit 99), naming them; not a baseline", async () => {
    const dir = join(out, 'thresholds');
    const script = join(out, 'thresholds.js');
    writeFileSync(
      script,
      [
        "import http from 'k6/http';",
        // the demo's /items waits 50 ms on its upstream: a p95 under 1 ms cannot hold
        "export const options = { thresholds: { 'http_req_duration{req:items}': ['p(95)<1'] } };",
        'export default function () {',
        "  http.get(__ENV.LOADGATE_BASE_URL + '/items', { tags: { req: 'items' } });",
        '}',
        '',
      ].join('\n'),
    );
    const baseline = join(out, 'thresholds-baseline.json');
    const run = await runCli([
      'run',
      '--config',
      join(repoRoot, 'examples', 'demo', 'loadgate.yml'),
      '--out',
      dir,
      '--set',
      'load.requests=null',
      '--set',
      `load.script=${script}`,
      '--set',
      'load.scriptRequests=[items]',
      '--set',
      'gate.thresholds=[]',
      '--set',
      'load.levels=[2]',
      '--set',
      'load.levelDuration=3s',
      '--set',
      'load.warmup=1s',
      '--save-baseline',
      baseline,
    ]);
    expect(run.exitCode, run.stderr).toBe(1);
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')));
    expect(result.verdict).toBe('fail');
    expect(result.partial).toBe(false);
    expect(result.summary).toBe(
      "the script's thresholds were crossed: http_req_duration{req:items}: p(95)<1 (k6 exit 99; see k6.log)",
    );
    expect(run.stdout).toContain("the script's thresholds were crossed");
    expect(result.levels[0]?.requests[0]?.count).toBeGreaterThan(0);
    expect(existsSync(baseline)).toBe(false);
  });
});
