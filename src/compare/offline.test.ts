import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countReliability } from '../../test/helpers/reliability.ts';
import { buildBaseline } from '../baseline/build.ts';
import { writeBaseline } from '../baseline/file.ts';
import { cellKey } from '../baseline/samples.ts';
import type { Baseline } from '../baseline/schema.ts';
import { runCli } from '../cli/runCli.ts';
import { ExitCode } from '../errors.ts';
import { drainingResult } from '../report/testing/draining-pool.ts';
import { type Result, ResultSchema } from '../result/schema.ts';
import { compareOffline } from './offline.ts';
import { lognormalSamples, SYNTHETIC_COMPARABILITY } from './testing.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-offline-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A run of the draining-pool service as its baseline record: samples drawn around each p50. */
function recordOf(
  result: Result,
  seed: number,
  slower: { request: string; level: number; scale: number } | null,
) {
  const byCell = new Map<string, Float64Array>();
  result.levels.forEach((level, levelIndex) => {
    for (const r of level.requests) {
      const hit = slower !== null && slower.request === r.name && slower.level === level.level;
      const median = (r.p50Ms ?? 1) * (hit ? slower.scale : 1);
      byCell.set(
        cellKey(level.phase, levelIndex, r.name),
        lognormalSamples(r.count, seed + levelIndex * 7 + r.name.length, median, 0.3),
      );
    }
  });
  const c = SYNTHETIC_COMPARABILITY;
  return buildBaseline({
    result: { ...result, k6Version: c.k6Version },
    loadHash: c.loadHash,
    runner: c.runner,
    source: { commit: 'abcdef0123456789', ref: 'refs/heads/main' },
    samples: { byCell, rows: 0 },
    replicates: 400,
  });
}

async function runFolder(name: string, result: Result, record: Baseline | null): Promise<string> {
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'result.json'), JSON.stringify(result));
  if (record) await writeBaseline(join(folder, 'baseline.json'), record);
  return folder;
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), isTty: false } };
}

describe('loadgate compare', () => {
  it('re-judges a saved run against a baseline file: verdict, report and files', async () => {
    const base = drainingResult({ runId: 'base-run' });
    const candidate = drainingResult({ runId: 'cand-run' });
    const baselineFile = join(dir, 'baseline.json');
    await writeBaseline(baselineFile, recordOf(base, 1, null));
    const folder = await runFolder(
      'slow',
      candidate,
      recordOf(candidate, 2, { request: 'items', level: 8, scale: 1.5 }),
    );
    const out = join(dir, 'slow-out');

    const outcome = await compareOffline({ baselinePath: baselineFile, resultPath: folder, outDir: out });
    expect(outcome.verdict).toBe('regressed');
    expect(outcome.comparison.baseline).toMatchObject({ runId: 'base-run', commit: 'abcdef0123456789' });
    const rejudged = ResultSchema.parse(JSON.parse(await readFile(join(out, 'result.json'), 'utf8')));
    expect(rejudged).toMatchObject({ runId: 'cand-run', verdict: 'regressed' });
    expect(rejudged.comparison?.counts.regressed).toBeGreaterThan(0);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toBe(outcome.reportMarkdown);
    expect(report).toContain('## loadgate: REGRESSED');
    expect(report).toContain('### Comparison: REGRESSED');
    expect(report).toMatch(/\| clean +\| +8 VUs \| items +\| p50 +\|/);
    expect(report).toContain('**regressed**');
    expect(report).toMatch(
      /Knee: .*VUs: beyond .* throughput grew at most .* The knee is the last level before throughput stops growing/,
    );
    expect(JSON.parse(await readFile(join(out, 'comparison.json'), 'utf8'))).toEqual(outcome.comparison);

    // the same through the command line: exit 1, the summary printed
    const cli = io();
    expect(await runCli(['compare', baselineFile, join(folder, 'result.json')], cli.io)).toBe(
      ExitCode.failedGate,
    );
    expect(cli.out.join('')).toMatch(/regressed: \d+ regressions? against the baseline/);
  });

  it('keeps the gate: a breach fails whatever the comparison says', async () => {
    const breach = {
      metric: 'p95',
      phase: 'clean',
      level: 32,
      request: 'items',
      limit: 800,
      actual: 912.4,
      reason: 'p95 of items at 32 VUs (clean): 912 ms > 800 ms limit',
    };
    const candidate = drainingResult({
      runId: 'breach-run',
      verdict: 'fail',
      gate: { checked: 1, breaches: [breach] },
    });
    const folder = await runFolder('breach', candidate, recordOf(candidate, 3, null));
    const baselineFile = join(dir, 'b-breach.json');
    await writeBaseline(baselineFile, recordOf(drainingResult(), 4, null));
    const outcome = await compareOffline({ baselinePath: baselineFile, resultPath: folder });
    expect(outcome.verdict).toBe('fail');
    expect(outcome.summary).toMatch(/^1 gate breach: p95 of items at 32 VUs/);
    expect(outcome.written).toEqual([]);
  });

  it('compares two baseline files and shows the comparison alone', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    await writeBaseline(a, recordOf(drainingResult(), 5, null));
    await writeBaseline(b, recordOf(drainingResult(), 6, null));
    const cli = io();
    const code = await runCli(['compare', a, b], cli.io);
    const text = cli.out.join('');
    expect(text).toMatch(/^### Comparison: /);
    expect(text).not.toContain('## loadgate:');
    expect([ExitCode.pass]).toContain(code);
  });

  it('says not comparable, with no table, for another load', async () => {
    const a = join(dir, 'load-a.json');
    const b = join(dir, 'load-b.json');
    await writeBaseline(a, recordOf(drainingResult(), 5, null));
    const other = recordOf(drainingResult(), 6, null);
    await writeBaseline(b, { ...other, comparability: { ...other.comparability, loadModel: 'open' } });
    const outcome = await compareOffline({ baselinePath: a, resultPath: b });
    expect(outcome.verdict).toBe('not-comparable');
    expect(outcome.reportMarkdown).toContain('The runs cannot be compared, so no metric was judged:');
    expect(outcome.reportMarkdown).toContain('- the load model differs: closed in the baseline, open here');
    expect(outcome.reportMarkdown).not.toContain('| Phase');
  });

  it('exits 2 on what it cannot read, naming it', async () => {
    const corrupt = join(dir, 'corrupt.json');
    await writeFile(corrupt, '{"baselineVersion": 1,');
    const noRecord = await runFolder('no-record', drainingResult(), null);
    const good = join(dir, 'good.json');
    await writeBaseline(good, recordOf(drainingResult(), 7, null));
    const cases: [string[], RegExp][] = [
      [['compare', corrupt, good], /corrupt\.json is not valid JSON/],
      [['compare', good, noRecord], /result\.json has no baseline\.json beside it/],
      [['compare', good, join(dir, 'missing')], /missing does not exist/],
      [['compare', good, noRecord, '--out', noRecord], /no baseline\.json beside it/],
      [['compare', good, good, '--floor', 'p95=lots'], /--floor p95=lots/],
    ];
    for (const [argv, message] of cases) {
      const cli = io();
      expect(await runCli(argv, cli.io)).toBe(ExitCode.config);
      expect(cli.err.join('')).toMatch(message);
    }
    const folder = await runFolder('own-out', drainingResult(), recordOf(drainingResult(), 8, null));
    await expect(compareOffline({ baselinePath: good, resultPath: folder, outDir: folder })).rejects.toThrow(
      /--out .*own-out: it is .*own-out, which would be replaced/,
    );
  });

  it('never writes over either side: --out the baseline run, a link to either, a file linked to an input', async () => {
    const side = (runId: string, seed: number) => {
      const result = drainingResult({ runId });
      return runFolder(`side-${runId}`, result, recordOf(result, seed, null));
    };
    const a = await side('a', 11);
    const b = await side('b', 12);
    const sides = async () => ({
      a: await readFile(join(a, 'result.json'), 'utf8'),
      b: await readFile(join(b, 'result.json'), 'utf8'),
      aRecord: await readFile(join(a, 'baseline.json'), 'utf8'),
    });
    const intact = await sides();
    await symlink(b, join(dir, 'link-to-b'));
    await mkdir(join(dir, 'linked-file'));
    await symlink(join(a, 'baseline.json'), join(dir, 'linked-file', 'comparison.json'));
    const cases: [string, RegExp][] = [
      [a, /--out .*side-a: it is .*side-a, which would be replaced/],
      [join(dir, 'link-to-b'), /--out .*link-to-b: it is .*side-b, which would be replaced/],
      [join(dir, 'link-to-b', '.'), /which would be replaced/],
      [join(dir, 'linked-file'), /comparison\.json is .*side-a\/baseline\.json, which would be replaced/],
    ];
    for (const [out, message] of cases) {
      const cli = io();
      expect(await runCli(['compare', a, b, '--out', out], cli.io), cli.err.join('')).toBe(ExitCode.config);
      expect(cli.err.join('')).toMatch(message);
      countReliability('hostileInputs', 1, 'outputs aimed at an input');
    }
    expect(await sides()).toEqual(intact);
    countReliability('filesIntact', 3, 'files');
    // A folder of its own is fine, and a second run replaces its own files there.
    const out = join(dir, 'compared');
    for (let i = 0; i < 2; i++) {
      const cli = io();
      expect(await runCli(['compare', a, b, '--out', out], cli.io), cli.err.join('')).toBe(ExitCode.pass);
    }
    expect(JSON.parse(await readFile(join(out, 'result.json'), 'utf8')).runId).toBe('b');
  });
});
