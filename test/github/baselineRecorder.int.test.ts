import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBaseline } from '../../src/baseline/file.ts';
import { RUN_BASELINE_FILE } from '../../src/baseline/names.ts';
import { lognormalSamples, syntheticBaseline } from '../../src/compare/testing.ts';
import { baselineRecorder } from '../../src/github/baselineRecorder.ts';
import { githubContextFrom } from '../../src/github/context.ts';
import { type ActionSink, publishRun } from '../../src/github/publish.ts';
import { renderReport } from '../../src/report/markdown.ts';
import { drainingResult } from '../../src/report/testing/draining-pool.ts';
import type { Result } from '../../src/result/schema.ts';
import { git } from '../helpers/git.ts';

// The action's publishing step with the recorder its `baseline` input makes, against the real git
// and a local bare repository standing in for GitHub (a clone is the job's checkout). No engine,
// no k6: the run's record is a synthetic baseline in the output folder, as a run leaves it. The
// whole action under a runner is test/github/act.e2e.test.ts.
let root: string;
let bare: string;

const tip = (): string | null => {
  try {
    return git(bare, 'rev-parse', '--verify', '--quiet', 'refs/heads/loadgate-baselines');
  } catch {
    return null;
  }
};

const sink: ActionSink = {
  info: () => {},
  untrusted: () => {},
  notice: () => {},
  warning: () => {},
  error: () => {},
  setOutput: () => {},
  writeSummary: async () => {},
};

/** A job: a fresh clone and an output folder holding the run's record. */
async function job(name: string, runId: string, second: number) {
  const checkout = join(root, name);
  git(root, 'clone', '--quiet', bare, checkout);
  const outDir = join(root, `${name}-out`);
  mkdirSync(outDir, { recursive: true });
  await writeBaseline(join(outDir, RUN_BASELINE_FILE), {
    ...syntheticBaseline([{ level: 2, request: 'a', samples: lognormalSamples(100, second) }], { runId }),
    finishedAt: `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`,
  });
  return { checkout, outDir };
}

async function publish(
  result: Result,
  where: { checkout: string; outDir: string },
  mode: 'nightly' | 'pr',
  env: Record<string, string> = {},
) {
  const outputs: Record<string, string> = {};
  const outcome = await publishRun(
    { ...sink, setOutput: (name, value) => (outputs[name] = value) },
    {
      mode,
      failOnRegression: false,
      result,
      reportMarkdown: renderReport(result),
      resultPath: 'result.json',
      reportPath: 'report.md',
      context: githubContextFrom(
        { GITHUB_EVENT_NAME: 'schedule', GITHUB_REF: 'refs/heads/main', ...env },
        { repository: { default_branch: 'main' } },
      ),
      comment: null,
      baseline: baselineRecorder('git:loadgate-baselines', {
        repoDir: where.checkout,
        outDir: where.outDir,
        env: { GITHUB_REF_NAME: 'main' },
      }),
    },
  );
  return { outcome, outputs };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'loadgate-recorder-'));
  bare = join(root, 'origin.git');
  git(root, 'init', '--quiet', '--bare', '-b', 'main', bare);
  const seed = join(root, 'seed');
  git(root, 'clone', '--quiet', bare, seed);
  writeFileSync(join(seed, 'README.md'), 'project\n');
  git(seed, 'add', 'README.md');
  git(seed, 'commit', '--quiet', '-m', 'project');
  git(seed, 'push', '--quiet', 'origin', 'HEAD:main');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the action's baseline recording, against a bare repository", () => {
  it('nightly: a passing run adds its record; a failed, regressed or partial one leaves the branch untouched', async () => {
    const first = await job('night-1', 'run-a', 1);
    const passed = await publish(drainingResult({ runId: 'run-a' }), first, 'nightly');
    expect(passed.outcome.failed).toBe(false);
    const afterFirst = tip();
    expect(passed.outputs.baseline).toBe(
      `loadgate-baselines:baselines/main/20260101T000001Z-run-a.json@${afterFirst?.slice(0, 12)}`,
    );
    const mainBefore = git(bare, 'rev-parse', 'refs/heads/main');

    for (const [i, changed] of [
      { verdict: 'fail' as const },
      { verdict: 'regressed' as const },
      { partial: true },
    ].entries()) {
      const where = await job(`night-bad-${i}`, `run-bad-${i}`, 10 + i);
      const { outcome, outputs } = await publish(
        drainingResult({ runId: `run-bad-${i}`, ...changed }),
        where,
        'nightly',
      );
      expect(outcome.failed).toBe(false);
      expect(outputs.baseline).toBe('');
      expect(tip(), JSON.stringify(changed)).toBe(afterFirst);
    }

    // a push to main in pr mode adds the next record on top: one per accepted run, history kept
    const second = await job('push-2', 'run-b', 2);
    await publish(drainingResult({ runId: 'run-b' }), second, 'pr', { GITHUB_EVENT_NAME: 'push' });
    expect(git(bare, 'rev-parse', `${tip()}^`)).toBe(afterFirst);
    expect(git(bare, 'ls-tree', '-r', '--name-only', tip() as string).split('\n')).toEqual([
      'baselines/main/20260101T000001Z-run-a.json',
      'baselines/main/20260101T000002Z-run-b.json',
    ]);
    // the project's own branch never moves
    expect(git(bare, 'rev-parse', 'refs/heads/main')).toBe(mainBefore);
  });

  it('refuses a record left by another run in a reused output folder: the job fails, nothing is pushed', async () => {
    const before = tip();
    const where = await job('stale', 'run-old', 30);
    const { outcome, outputs } = await publish(drainingResult({ runId: 'run-new' }), where, 'nightly');
    expect(outcome.failed).toBe(true);
    expect(outputs.baseline).toBe('');
    expect(tip()).toBe(before);
    expect(readFileSync(join(where.outDir, RUN_BASELINE_FILE), 'utf8')).toContain('run-old');
  });

  it('a file store: the record replaces the file in the checkout', async () => {
    const where = await job('file', 'run-f', 40);
    const recorder = baselineRecorder('baselines/main.json', {
      repoDir: where.checkout,
      outDir: where.outDir,
    });
    const { ref } = await recorder.record(drainingResult({ runId: 'run-f' }));
    expect(ref).toBe(join(where.checkout, 'baselines', 'main.json'));
    expect(JSON.parse(readFileSync(ref, 'utf8')).runId).toBe('run-f');
  });
});
