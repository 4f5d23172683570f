import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LadderPlan } from '../../k6-scripts/contract.ts';
import { readBaseline, writeBaseline } from '../../src/baseline/file.ts';
import { RUN_BASELINE_FILE } from '../../src/baseline/names.ts';
import { BaselineStep } from '../../src/baseline/step.ts';
import { runCli } from '../../src/cli/runCli.ts';
import { validRaw } from '../../src/config/testConfigs.ts';
import { validateConfig } from '../../src/config/validate.ts';
import { ExitCode } from '../../src/errors.ts';
import { extractZip } from '../../src/github/zip.ts';
import { parseLadderSummary } from '../../src/load/summary.ts';
import { makeZip } from '../github/zipWriter.ts';
import { countReliability } from '../helpers/reliability.ts';

// A full disk for real: a 1 MiB tmpfs (the machines run as root), filled to a few KiB. Whatever
// loadgate writes there fails, and what it would have replaced must stay byte for byte.
const fixtures = join(import.meta.dirname, '..', 'baseline', 'fixtures');
let dir: string;
let disk: string;
let runFolder: string;
let baselineFile: string;

/** A run folder as `loadgate run` leaves it (result.json and baseline.json, from real k6 output). */
async function savedRun(folder: string, runId: string): Promise<void> {
  const config = validateConfig(validRaw()).config;
  if (!config) throw new Error('test config invalid');
  const files = {
    plan: join(fixtures, 'ladder.plan.json'),
    samples: join(fixtures, 'ladder.samples.csv.gz'),
  };
  const plan = JSON.parse(await readFile(files.plan, 'utf8')) as LadderPlan;
  const levels = parseLadderSummary(await readFile(join(fixtures, 'ladder.summary.json'), 'utf8'), plan).map(
    (l) => ({
      ...l,
      probe: { p95Ms: null },
      pool: { waitP95Ms: null, waitMeanMs: null, timeouts: null, peakDbConnections: null },
    }),
  );
  const quiet = { step() {}, warn() {}, load() {} };
  const step = await BaselineStep.prepare({}, quiet);
  const facts = {
    runId,
    startedAt: new Date('2026-01-01T00:00:00Z'),
    k6Version: '2.2.0',
    loadModel: 'closed' as const,
    configHash: 'c0',
    partial: false,
    levels,
  };
  await step.compare(facts, config, files);
  await step.save({ partial: false, verdict: 'pass' }, folder);
  const result = JSON.parse(
    await readFile(join(import.meta.dirname, '..', 'fixtures', 'results', 'demo-closed.result.json'), 'utf8'),
  );
  await writeFile(join(folder, 'result.json'), JSON.stringify({ ...result, runId, levels }, null, 2));
}

/** Fills the disk, then frees `freeBytes`: a write of more than that fails part way. */
async function fillLeaving(freeBytes: number): Promise<void> {
  await writeFile(join(disk, 'spacer'), Buffer.alloc(freeBytes));
  await writeFile(join(disk, 'filler'), Buffer.alloc(2 * 1024 * 1024)).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOSPC') throw error;
    },
  );
  await rm(join(disk, 'spacer'));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-full-disk-'));
  disk = join(dir, 'disk');
  await mkdir(disk);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', disk]);
  runFolder = join(dir, 'run');
  await savedRun(runFolder, 'run-on-disk');
  baselineFile = join(dir, 'base.json');
  await writeBaseline(baselineFile, await readBaseline(join(runFolder, RUN_BASELINE_FILE)));
});
afterAll(async () => {
  if (disk) execFileSync('umount', [disk]);
  await rm(dir, { recursive: true, force: true });
});

function io() {
  const err: string[] = [];
  return { err, io: { out: () => {}, err: (t: string) => err.push(t), isTty: false } };
}

describe('a full disk', () => {
  it('loadgate compare --out on a full disk: exit 3, naming the file; the earlier result.json and report.md intact', async () => {
    const out = join(disk, 'out');
    const first = io();
    expect(
      await runCli(['compare', baselineFile, runFolder, '--out', out], first.io),
      first.err.join(''),
    ).toBe(ExitCode.pass);
    // an earlier run's files, shorter than this run's (written in place, they were truncated)
    const earlier = JSON.stringify(JSON.parse(await readFile(join(out, 'result.json'), 'utf8')));
    await writeFile(join(out, 'result.json'), earlier);
    const before = {
      result: await readFile(join(out, 'result.json')),
      report: await readFile(join(out, 'report.md')),
    };
    await fillLeaving(8 * 1024);
    countReliability('faultsInjected', 1, 'full disks');

    const second = io();
    expect(await runCli(['compare', baselineFile, runFolder, '--out', out], second.io)).toBe(ExitCode.infra);
    expect(second.err.join('')).toMatch(
      /cannot write .*\/out\/[a-z.]+: the disk is full \(ENOSPC\); free some space/,
    );
    expect(await readFile(join(out, 'result.json'))).toEqual(before.result);
    expect(await readFile(join(out, 'report.md'))).toEqual(before.report);
    expect((await readdir(out)).sort()).toEqual(['comparison.json', 'report.md', 'result.json']);
    countReliability('filesIntact', 2, 'files');
    await rm(join(disk, 'filler'));
  });

  it('an artifact extracted onto a full disk leaves nothing half-extracted', async () => {
    const zip = makeZip([
      { name: 'result.json', data: '{}' },
      { name: 'logs/service.log', data: 'line\n'.repeat(40_000), method: 0 },
    ]);
    const folder = join(disk, 'artifact');
    await mkdir(folder);
    await fillLeaving(16 * 1024);
    countReliability('faultsInjected', 1, 'full disks');
    await expect(extractZip(zip, folder)).rejects.toThrow(/ENOSPC/);
    expect(await readdir(folder)).toEqual([]);
    expect((await readdir(disk)).filter((name) => name.includes('extracting'))).toEqual([]);
    await rm(join(disk, 'filler'));
    await rm(folder, { recursive: true });
  });

  it('a baseline written over another on a full disk leaves the old one whole', async () => {
    const target = join(disk, 'baseline.json');
    const record = await readBaseline(baselineFile);
    await writeBaseline(target, record);
    const before = await readFile(target);
    await fillLeaving(4 * 1024);
    countReliability('faultsInjected', 1, 'full disks');
    await expect(writeBaseline(target, { ...record, runId: 'another-run' })).rejects.toThrow(
      /cannot write .*baseline\.json: the disk is full/,
    );
    expect(await readFile(target)).toEqual(before);
    expect((await readdir(disk)).sort()).toEqual(['baseline.json', 'filler', 'out']);
    countReliability('filesIntact', 1, 'files');
    await rm(join(disk, 'filler'));
  });
});
