import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBaseline } from '../../src/baseline/file.ts';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { type Result, ResultSchema } from '../../src/result/schema.ts';
import { repoRoot, runCli } from '../helpers/cli.ts';

// The bundled CLI on the demo, twice: a run saved as the baseline, then a run whose upstream
// answers in 150 ms instead of 50 (every `items` request waits on it) compared with it. Short
// levels: 2 and 8 VUs, 5 s each. About two demo runs of ~40 s.
const demoConfig = join(repoRoot, 'examples', 'demo', 'loadgate.yml');
const ladder = ['--set', 'load.levels=[2,8]', '--set', 'load.levelDuration=5s', '--set', 'load.warmup=1s'];

function readResult(outDir: string): Result {
  return ResultSchema.parse(JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')));
}

describe('baselines on the demo', () => {
  const root = mkdtempSync(join(tmpdir(), 'loadgate-baseline-e2e-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const baselineFile = join(root, 'baselines', 'demo.json');

  it('refuses a damaged baseline before starting anything (exit 2), leaving it as it was', async () => {
    const damaged = join(root, 'damaged.json');
    writeFileSync(damaged, '{"baselineVersion": 1, "cells": [');
    const run = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      join(root, 'damaged-out'),
      '--baseline',
      damaged,
    ]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/baseline .*damaged\.json is not valid JSON/);
    expect(readFileSync(damaged, 'utf8')).toBe('{"baselineVersion": 1, "cells": [');
    expect(existsSync(join(root, 'damaged-out', 'result.json'))).toBe(false);
  });

  it('refuses a baseline of a newer version before starting anything (exit 2), leaving it as it was', async () => {
    const future = join(root, 'future.json');
    const text = '{"baselineVersion": 99, "a field of the future": {"cells": []}}\n';
    writeFileSync(future, text);
    const run = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      join(root, 'future-out'),
      '--baseline',
      future,
    ]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`baseline ${future} has version 99, written by a newer loadgate`);
    expect(run.stderr).toContain('upgrade loadgate');
    expect(readFileSync(future, 'utf8')).toBe(text);
    expect(existsSync(join(root, 'future-out', 'result.json'))).toBe(false);
  });

  it('will not save over a corrupt or newer file (exit 2 before anything starts), leaving each as it was', async () => {
    const cases = [
      {
        file: join(root, 'corrupt-target.json'),
        text: '{"baselineVersion": 1, "cells": [',
        why: 'is not valid JSON',
      },
      { file: join(root, 'future-target.json'), text: '{"baselineVersion": 2}', why: 'has version 2' },
    ];
    for (const { file, text, why } of cases) {
      writeFileSync(file, text);
      const run = await runCli([
        'run',
        '--config',
        demoConfig,
        '--out',
        `${file}.out`,
        '--save-baseline',
        file,
      ]);
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.stderr).toContain(`will not overwrite ${file}: baseline ${file} ${why}`);
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(existsSync(join(`${file}.out`, 'result.json'))).toBe(false);
    }
  });

  it('saves a passing run as the baseline, then calls a slower upstream a regression', async () => {
    const first = join(root, 'first');
    const saved = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      first,
      ...ladder,
      '--save-baseline',
      baselineFile,
    ]);
    expect(saved.exitCode, saved.stderr).toBe(0);
    const firstResult = readResult(first);
    expect(firstResult.comparison).toBeUndefined();
    const baseline = await readBaseline(baselineFile);
    expect(baseline).toMatchObject({
      runId: firstResult.runId,
      statistics: { method: 'bootstrap-requests' },
    });
    expect(await readBaseline(join(first, 'baseline.json'))).toEqual(baseline);
    // every (level, request) has its samples from k6's CSV output, as many as k6 counted
    expect(baseline.cells).toHaveLength(4);
    for (const cell of baseline.cells) {
      expect(cell.samples).toBe(cell.count);
      expect(cell.p50Ms?.logSe).not.toBeNull();
    }
    expect(existsSync(join(first, 'k6-samples.csv.gz'))).toBe(true);
    expect(readFileSync(join(first, 'report.md'), 'utf8')).toMatch(/Knee: /);

    const second = join(root, 'second');
    const slower = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      second,
      ...ladder,
      '--set',
      'dependencies.upstream.env.UPSTREAM_LATENCY_MS=150',
      '--baseline',
      baselineFile,
    ]);
    const result = readResult(second);
    expect(result.verdict, slower.stdout).toBe('regressed');
    expect(slower.exitCode).toBe(1);
    const comparison = result.comparison;
    if (!comparison) throw new Error('no comparison');
    // a config change outside the load is compared, and said
    expect(comparison.notes[0]).toMatch(/config differs outside the load/);
    const items = comparison.metrics.filter((m) => m.request === 'items' && m.metric === 'p50Ms');
    expect(items.map((m) => m.verdict)).toEqual(['regressed', 'regressed']);
    for (const m of items) expect(m.change).toBeGreaterThan(0.5);
    // /health does not call the upstream
    expect(comparison.metrics.filter((m) => m.request === 'health' && m.verdict === 'regressed')).toEqual([]);
    const report = readFileSync(join(second, 'report.md'), 'utf8');
    expect(report).toContain('## loadgate: REGRESSED');
    expect(report).toContain('### Comparison: REGRESSED');
    expect(slower.stdout).toMatch(/regressions? against the baseline/);
    // a regressed run never becomes a baseline, but it leaves its record for `loadgate compare`
    expect(existsSync(join(second, 'baseline.json'))).toBe(true);

    // the same two runs, offline
    const offline = await runCli(['compare', first, second, '--out', join(root, 'offline')]);
    expect(offline.exitCode).toBe(1);
    expect(readResult(join(root, 'offline')).verdict).toBe('regressed');
    expect(await listRunLeftovers(result.runId)).toEqual({ containers: 0, networks: 0 });
  });

  it('never writes a run the gate fails over the baseline (exit 1), nor anything else', async () => {
    const before = readFileSync(baselineFile);
    const out = join(root, 'gate-fails');
    const run = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      out,
      ...ladder,
      '--set',
      'load.levels=[2]',
      // every /items waits 50 ms on the upstream: a p95 under 1 ms cannot hold
      '--set',
      'gate.thresholds=[{metric: p95, request: items, max: 1ms}]',
      '--save-baseline',
      baselineFile,
    ]);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(readResult(out).verdict).toBe('fail');
    expect(run.stderr).toContain('not saved as a baseline');
    expect(readFileSync(baselineFile).equals(before)).toBe(true);
    expect(await listRunLeftovers(readResult(out).runId)).toEqual({ containers: 0, networks: 0 });
  });
});
