import { copyFile, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LadderPlan } from '../../k6-scripts/contract.ts';
import { countReliability } from '../../test/helpers/reliability.ts';
import { validRaw } from '../config/testConfigs.ts';
import { validateConfig } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';
import { parseLadderSummary } from '../load/summary.ts';
import type { ProgressSink } from '../progress.ts';
import { loadHash } from './comparability.ts';
import { readBaseline, writeBaseline } from './file.ts';
import { RUN_BASELINE_FILE } from './names.ts';
import { BaselineStep, type RunFacts } from './step.ts';

// The run's side is the real k6 output recorded in test/baseline/fixtures (see samples.test.ts).
const fixtures = join(import.meta.dirname, '../../test/baseline/fixtures');
let dir: string;
let run: RunFacts;
let files: { plan: string; samples: string };
const config = (() => {
  const validated = validateConfig(validRaw());
  if (!validated.config) throw new Error('test config invalid');
  return validated.config;
})();

function collecting(): ProgressSink & { warnings: string[]; steps: string[] } {
  const warnings: string[] = [];
  const steps: string[] = [];
  return { warnings, steps, step: (m) => steps.push(m), warn: (m) => warnings.push(m), load() {} };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-step-'));
  files = { plan: join(fixtures, 'ladder.plan.json'), samples: join(fixtures, 'ladder.samples.csv.gz') };
  const plan = JSON.parse(await readFile(files.plan, 'utf8')) as LadderPlan;
  const summary = await readFile(join(fixtures, 'ladder.summary.json'), 'utf8');
  run = {
    runId: 'run-1',
    startedAt: new Date('2026-01-01T00:00:00Z'),
    k6Version: '2.2.0',
    loadModel: 'closed',
    configHash: 'c0',
    partial: false,
    levels: parseLadderSummary(summary, plan).map((l) => ({
      ...l,
      probe: { p95Ms: null },
      pool: { waitP95Ms: null, waitMeanMs: null, timeouts: null, peakDbConnections: null },
    })),
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('BaselineStep', () => {
  it('records a complete run, saves it when it passes, and compares the next run with it', async () => {
    const out = join(dir, 'first');
    const target = join(dir, 'saved', 'baseline.json');
    const progress = collecting();
    const first = await BaselineStep.prepare({ saveBaselinePath: target }, progress);
    expect(await first.compare(run, config, files)).toEqual({});
    await first.save({ partial: false, verdict: 'pass' }, out);
    const saved = await readBaseline(target);
    expect(await readBaseline(join(out, RUN_BASELINE_FILE))).toEqual(saved);
    expect(saved).toMatchObject({
      runId: 'run-1',
      statistics: { method: 'bootstrap-requests' },
      comparability: {
        loadHash: loadHash(config),
        configHash: 'c0',
        k6Version: '2.2.0',
        loadModel: 'closed',
      },
    });
    expect(saved.comparability.runner.cpuCount).toBeGreaterThan(0);
    expect(progress.steps).toContain(`saved this run as the baseline ${target}`);

    // the same run against itself: nothing moved
    const second = await BaselineStep.prepare({ baselinePath: target }, collecting());
    const compared = await second.compare({ ...run, runId: 'run-2' }, config, files);
    expect(compared.comparison?.verdict).not.toBe('regressed');
    expect(compared.comparison?.verdict).not.toBe('not-comparable');
    expect(compared.comparison?.counts.regressed).toBe(0);
    expect(compared.verdictInput).toMatchObject({ regressions: 0, notComparable: false });
    expect(compared.comparison?.baseline).toMatchObject({ runId: 'run-1', source: target });
  });

  it('says not comparable when the load differs, and gives no per-metric verdict', async () => {
    const target = join(dir, 'other-load.json');
    const first = await BaselineStep.prepare({ saveBaselinePath: target }, collecting());
    await first.compare(run, config, files);
    await first.save({ partial: false, verdict: 'pass' }, join(dir, 'o1'));
    const raw = validRaw();
    raw.load.levelDuration = '30s';
    const other = validateConfig(raw).config;
    if (!other) throw new Error('invalid');
    const second = await BaselineStep.prepare({ baselinePath: target }, collecting());
    const { comparison, verdictInput } = await second.compare(run, other, files);
    expect(comparison).toMatchObject({ verdict: 'not-comparable', metrics: [] });
    expect(comparison?.notComparable[0]).toMatch(/^the load differs/);
    expect(verdictInput?.notComparable).toBe(true);
  });

  it('never saves a partial, failed or regressed run', async () => {
    for (const [verdict, partial] of [
      ['pass', true],
      ['error', false],
      ['fail', false],
      ['regressed', false],
    ] as const) {
      const target = join(dir, `never-${verdict}-${partial}.json`);
      const out = join(dir, `never-out-${verdict}-${partial}`);
      const progress = collecting();
      const step = await BaselineStep.prepare({ saveBaselinePath: target }, progress);
      await step.compare({ ...run, partial }, config, files);
      await step.save({ partial, verdict }, out);
      await expect(stat(target)).rejects.toThrow();
      expect(progress.warnings.join(' ')).toMatch(/not saved as a baseline/);
      // a complete run still leaves its record for `loadgate compare`
      const recorded = await stat(join(out, RUN_BASELINE_FILE)).then(
        () => true,
        () => false,
      );
      expect(recorded).toBe(!partial && verdict !== 'error');
    }
  });

  it('never saves a passing run cancelled after its load, though its record stays in the output folder', async () => {
    const target = join(dir, 'never-cancelled.json');
    const out = join(dir, 'never-out-cancelled');
    const progress = collecting();
    const step = await BaselineStep.prepare({ saveBaselinePath: target }, progress);
    await step.compare(run, config, files);
    await step.save({ partial: false, verdict: 'pass' }, out, true);
    await expect(stat(target)).rejects.toThrow();
    expect(progress.warnings.join(' ')).toMatch(/not saved as a baseline .*: the run was cancelled/);
    await expect(stat(join(out, RUN_BASELINE_FILE))).resolves.toBeTruthy();
  });

  it('never writes over the baseline it compared with (the default --out, or a link to it) unless the run passed', async () => {
    const out = join(dir, 'compared-in-out');
    const first = await BaselineStep.prepare({}, collecting());
    await first.compare({ ...run, runId: 'the-baseline' }, config, files);
    await first.save({ partial: false, verdict: 'pass' }, out);
    const baselinePath = join(out, RUN_BASELINE_FILE);
    const original = await readFile(baselinePath, 'utf8');
    await symlink(out, join(dir, 'link-to-out'));
    for (const [verdict, cancelled, via] of [
      ['regressed', false, baselinePath],
      ['fail', false, join(dir, 'link-to-out', RUN_BASELINE_FILE)],
      ['pass', true, baselinePath],
    ] as const) {
      const progress = collecting();
      const step = await BaselineStep.prepare({ baselinePath: via }, progress);
      await step.compare({ ...run, runId: `a-${verdict}-run` }, config, files);
      await step.save({ partial: false, verdict }, out, cancelled);
      expect(await readFile(baselinePath, 'utf8')).toBe(original);
      expect(progress.warnings.join(' ')).toMatch(
        /is the baseline this run was compared with: left as it is/,
      );
      countReliability('filesIntact', 1, 'files');
    }
    // a run that passed moves the baseline on, as a stored baseline would
    const passing = await BaselineStep.prepare({ baselinePath }, collecting());
    await passing.compare({ ...run, runId: 'the-next-baseline' }, config, files);
    await passing.save({ partial: false, verdict: 'pass' }, out);
    expect((await readBaseline(baselinePath)).runId).toBe('the-next-baseline');
  });

  it('fails before the run on a damaged baseline or save target, leaving both untouched', async () => {
    const damaged = join(dir, 'damaged.json');
    await writeFile(damaged, '{"baselineVersion": 1, "cells": [');
    await expect(BaselineStep.prepare({ baselinePath: damaged }, collecting())).rejects.toThrow(ConfigError);
    await expect(
      BaselineStep.prepare({ baselinePath: damaged, saveBaselinePath: damaged }, collecting()),
    ).rejects.toThrow(/not valid JSON/);
    const future = join(dir, 'future.json');
    await writeFile(future, '{"baselineVersion": 7}');
    await expect(BaselineStep.prepare({ saveBaselinePath: future }, collecting())).rejects.toThrow(
      /will not overwrite .*newer loadgate/,
    );
    expect(await readFile(damaged, 'utf8')).toBe('{"baselineVersion": 1, "cells": [');
    expect(await readFile(future, 'utf8')).toBe('{"baselineVersion": 7}');
    await expect(BaselineStep.prepare({ floors: ['p95=ten'] }, collecting())).rejects.toThrow(
      /--floor p95=ten/,
    );
  });

  it('falls back to k6’s summary, with a warning, when the samples cannot be read', async () => {
    const broken = join(dir, 'broken.csv.gz');
    await writeFile(broken, 'garbage');
    const target = join(dir, 'summary-only.json');
    const progress = collecting();
    const step = await BaselineStep.prepare({ saveBaselinePath: target }, progress);
    await step.compare(run, config, { plan: files.plan, samples: broken });
    await step.save({ partial: false, verdict: 'pass' }, join(dir, 'summary-only-out'));
    expect(progress.warnings[0]).toMatch(/per-request samples could not be read/);
    const saved = await readBaseline(target);
    expect(saved.statistics.method).toBe('summary-only');
    expect(saved.cells[0]?.p95Ms?.logSe).toBeNull();
  });

  it('writes the baseline over an older one of its own kind', async () => {
    const target = join(dir, 'replace.json');
    const step = await BaselineStep.prepare({ saveBaselinePath: target }, collecting());
    await step.compare(run, config, files);
    await step.save({ partial: false, verdict: 'pass' }, join(dir, 'r1'));
    const before = await readBaseline(target);
    await writeBaseline(target, { ...before, runId: 'older' });
    const again = await BaselineStep.prepare({ saveBaselinePath: target }, collecting());
    await again.compare(run, config, files);
    await again.save({ partial: false, verdict: 'inconclusive' }, join(dir, 'r2'));
    expect((await readBaseline(target)).runId).toBe('run-1');
    await copyFile(target, join(dir, 'copy.json'));
  });
});
