import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LadderPlan } from '../../k6-scripts/contract.ts';
import { GitBranchStore, RECORDS_DIR } from '../../src/baseline/gitStore.ts';
import { parseLocation } from '../../src/baseline/names.ts';
import type { Baseline } from '../../src/baseline/schema.ts';
import { BaselineStep } from '../../src/baseline/step.ts';
import { lognormalSamples, syntheticBaseline } from '../../src/compare/testing.ts';
import { validRaw } from '../../src/config/testConfigs.ts';
import { validateConfig } from '../../src/config/validate.ts';
import { DeadlineError } from '../../src/deadline.ts';
import { parseLadderSummary } from '../../src/load/summary.ts';
import { git } from '../helpers/git.ts';
import { startGitHttpServer } from '../helpers/gitHttpServer.ts';
import { countReliability } from '../helpers/reliability.ts';

// The real git against a local bare repository standing in for GitHub; each "job" is a clone of
// its own, as two runners would have. No engine, no k6.
let root: string;
let bare: string;

function clone(name: string): string {
  const dir = join(root, name);
  git(root, 'clone', '--quiet', bare, dir);
  return dir;
}

const record = (runId: string, second: number) => ({
  ...syntheticBaseline([{ level: 2, request: 'a', samples: lognormalSamples(100, second + 1) }], { runId }),
  finishedAt: `2026-01-01T00:${String(Math.floor(second / 60)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}.000Z`,
});

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'loadgate-gitstore-'));
  bare = join(root, 'origin.git');
  git(root, 'init', '--quiet', '--bare', '-b', 'main', bare);
  // the project's own history on main, which the baseline branch must never touch
  const seed = clone('seed');
  writeFileSync(join(seed, 'README.md'), 'project\n');
  git(seed, 'add', 'README.md');
  git(seed, 'commit', '--quiet', '-m', 'project');
  git(seed, 'push', '--quiet', 'origin', 'HEAD:main');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('GitBranchStore', () => {
  it('starts the branch, reads back the newest record per series, and leaves the clone as it was', async () => {
    const job = clone('job-single');
    const headBefore = git(job, 'rev-parse', 'HEAD');
    const store = new GitBranchStore({ repoDir: job, branch: 'single' });
    expect(await store.latest('main')).toBeNull();

    await store.add('main', record('r1', 1));
    await store.add('main', record('r2', 2));
    await store.add('feature/x', record('f1', 3));
    const latest = await store.latest('main');
    expect(latest?.baseline.runId).toBe('r2');
    expect(latest?.ref).toMatch(/^single:baselines\/main\/20260101T000002Z-r2\.json@[0-9a-f]{12}$/);
    expect((await store.history('main')).map((r) => r.baseline.runId)).toEqual(['r2', 'r1']);
    expect((await store.latest('feature/x'))?.baseline.runId).toBe('f1');
    // the same record again is already there: no second commit
    const tip = git(bare, 'rev-parse', 'single');
    await store.add('main', record('r2', 2));
    expect(git(bare, 'rev-parse', 'single')).toBe(tip);

    expect(git(job, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(git(job, 'status', '--porcelain')).toBe('');
    expect(git(bare, 'rev-parse', 'main')).toBe(headBefore);
    // one commit per record, on a branch of its own
    expect(git(bare, 'rev-list', '--count', 'single')).toBe('3');
  });

  it('two jobs writing at once, ten times: every record is there afterwards, nothing rewritten', async () => {
    const jobA = clone('job-a');
    const jobB = clone('job-b');
    let retries = 0;
    const options = { branch: 'concurrent', onRetry: () => retries++, sleep: () => Promise.resolve() };
    const a = new GitBranchStore({ repoDir: jobA, ...options });
    const b = new GitBranchStore({ repoDir: jobB, ...options });
    const tips: string[] = [];
    for (let round = 0; round < 10; round++) {
      const [ra, rb] = await Promise.all([
        a.add('main', record(`a${round}`, round * 2)),
        b.add('main', record(`b${round}`, round * 2 + 1)),
      ]);
      tips.push(ra.ref.split('@')[1] as string, rb.ref.split('@')[1] as string);
    }
    const names = git(bare, 'ls-tree', '--name-only', 'concurrent', `${RECORDS_DIR}/main/`).split('\n');
    expect(names).toHaveLength(20);
    const runs = (await a.history('main')).map((r) => r.baseline.runId).sort();
    expect(runs).toEqual(
      [
        ...Array.from({ length: 10 }, (_, i) => `a${i}`),
        ...Array.from({ length: 10 }, (_, i) => `b${i}`),
      ].sort(),
    );
    // every commit either job pushed is still in the branch's history: no push was forced
    const tip = git(bare, 'rev-parse', 'concurrent');
    for (const commit of tips) {
      expect(() => git(bare, 'merge-base', '--is-ancestor', commit, tip)).not.toThrow();
    }
    expect(git(bare, 'rev-list', '--count', 'concurrent')).toBe('20');
    // a linear history of one record per commit
    expect(git(bare, 'rev-list', '--merges', '--count', 'concurrent')).toBe('0');
    console.log(`concurrent pushes: ${retries} rejected and retried over 10 rounds`);
  });

  it('retries after losing the race: both jobs build on the same tip, one push is rejected', async () => {
    const jobA = clone('job-race-a');
    const jobB = clone('job-race-b');
    // both commits are made before either is pushed, so exactly one first push must lose
    let armed = false;
    let arrived = 0;
    let release: () => void = () => {};
    const barrier = new Promise<void>((done) => {
      release = done;
    });
    const beforePush = async (attempt: number) => {
      if (!armed || attempt !== 1) return;
      arrived++;
      if (arrived === 2) release();
      await barrier;
    };
    const retried: string[] = [];
    const options = { branch: 'race', beforePush, sleep: () => Promise.resolve() };
    const a = new GitBranchStore({ repoDir: jobA, ...options, onRetry: () => retried.push('a') });
    const b = new GitBranchStore({ repoDir: jobB, ...options, onRetry: () => retried.push('b') });
    await a.add('main', record('seed', 0)); // the branch exists, both fetch its tip
    armed = true;
    await Promise.all([a.add('main', record('ra', 1)), b.add('main', record('rb', 2))]);
    expect(retried).toHaveLength(1);
    expect((await a.history('main')).map((r) => r.baseline.runId)).toEqual(['rb', 'ra', 'seed']);
  });

  it('skips a record a newer loadgate wrote, with a warning, and reads the one before', async () => {
    const job = clone('job-newer');
    const warnings: string[] = [];
    const store = new GitBranchStore({ repoDir: job, branch: 'mixed', warn: (m) => warnings.push(m) });
    await store.add('main', record('older', 1));
    await store.add('main', record('old', 2));
    // a job running a later loadgate shares the branch
    await store.add('main', { ...record('future', 3), baselineVersion: 99 } as unknown as Baseline);
    countReliability('hostileInputs', 1, 'records of a newer loadgate');
    expect((await store.latest('main'))?.baseline.runId).toBe('old');
    expect((await store.history('main', 2)).map((r) => r.baseline.runId)).toEqual(['old', 'older']);
    expect(warnings[0]).toMatch(
      /^skipped mixed:baselines\/main\/20260101T000003Z-future\.json: .*baselineVersion: 99 is newer than \d+; using older records$/,
    );
    // and `--baseline git:` compares with it instead of failing every later run (exit 2)
    const progress = {
      warnings: [] as string[],
      step() {},
      load() {},
      warn(m: string) {
        this.warnings.push(m);
      },
    };
    await BaselineStep.prepare({ baselinePath: 'git:mixed#main', repoDir: job }, progress);
    expect(progress.warnings.join('\n')).toMatch(/skipped mixed:.*future/);
  });

  it('stops a git command that gets no answer, within its deadline, saying which', async () => {
    const job = clone('job-silent');
    // a remote that accepts the connection and never answers
    const sockets = new Set<Socket>();
    const server = createServer(() => {});
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    git(job, 'remote', 'add', 'silent', `http://127.0.0.1:${(server.address() as AddressInfo).port}/app.git`);
    countReliability('faultsInjected', 1, 'APIs, engines or remotes that never answer');
    try {
      const store = new GitBranchStore({ repoDir: job, remote: 'silent', branch: 'x', gitTimeoutMs: 1_500 });
      const error = await store.latest('main').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeadlineError);
      expect((error as Error).message).toMatch(
        /^git fetch in .*job-silent did not finish within 1\.5 s and was stopped \(branch x of silent\)/,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => server.close(done));
    }
  });

  it('gives up after its attempts, saying why', async () => {
    const job = clone('job-give-up');
    const store = new GitBranchStore({ repoDir: job, remote: 'nowhere', branch: 'x' });
    await expect(store.add('main', record('r', 1))).rejects.toThrow(
      /git fetch from branch x of nowhere failed/,
    );
  });
});

describe("the remote's credentials and refusals", () => {
  const basic = (token: string) =>
    `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;

  it('pushes with the token input when the checkout kept no credentials, and never writes or prints it', async () => {
    const server = await startGitHttpServer({
      projectRoot: root,
      token: 'tok-write',
      readOnlyToken: 'tok-read',
    });
    try {
      // as actions/checkout with persist-credentials: false leaves it: an HTTP remote, no credentials
      const job = join(root, 'job-http');
      // asynchronously: the server answers from this process
      await promisify(execFile)('git', [
        '-c',
        `http.${server.url}/.extraheader=${basic('tok-write')}`,
        'clone',
        '--quiet',
        `${server.url}/origin.git`,
        job,
      ]);
      const retries: string[] = [];
      const without = new GitBranchStore({
        repoDir: job,
        branch: 'http',
        onRetry: (_, r) => retries.push(r),
      });
      const error = (await without.add('main', record('r0', 0)).catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(
        /^git fetch from branch http of origin was refused: the remote asked for credentials and got none\. Fix: .*token input/,
      );

      const auth = { token: 'tok-write', serverUrl: server.url };
      const store = new GitBranchStore({
        repoDir: job,
        branch: 'http',
        auth,
        onRetry: (_, r) => retries.push(r),
      });
      await store.add('main', record('r1', 1));
      expect((await store.latest('main'))?.baseline.runId).toBe('r1');
      expect(git(bare, 'ls-tree', '--name-only', 'http', `${RECORDS_DIR}/main/`)).toMatch(/-r1\.json$/);
      expect(server.authorizations).toContain(basic('tok-write').replace('AUTHORIZATION: ', ''));

      // a stale header actions/checkout persisted for the same server is replaced, not doubled
      git(job, 'config', `http.${server.url}/.extraheader`, basic('tok-stale'));
      await store.add('main', record('r2', 2));
      expect((await store.latest('main'))?.baseline.runId).toBe('r2');

      // a token that may read but not write: named at once, with the permission it lacks
      const readOnly = new GitBranchStore({
        repoDir: job,
        branch: 'http',
        auth: { token: 'tok-read', serverUrl: server.url },
        onRetry: (_, r) => retries.push(r),
      });
      const denied = (await readOnly.add('main', record('r3', 3)).catch((e: unknown) => e)) as Error;
      expect(denied.message).toMatch(
        /^git push to branch http of origin was refused: the token may not push to http \(HTTP 403\)\. Fix: give the job `permissions: contents: write`/,
      );
      expect(retries).toEqual([]);
      for (const message of [error.message, denied.message]) {
        expect(message).not.toContain('tok-');
        expect(message).not.toContain(Buffer.from('x-access-token:tok-write').toString('base64'));
      }
      expect(readFileSync(join(job, '.git', 'config'), 'utf8')).not.toContain(
        Buffer.from('x-access-token:tok-write').toString('base64'),
      );
    } finally {
      await server.close();
    }
  });

  it("names a ruleset's refusal at once, with the fix, instead of retrying it as a lost race", async () => {
    // GitHub's pre-receive words for a ruleset, from a real hook on the bare remote
    const hook = join(bare, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh
while read old new ref; do
  if [ "$ref" = refs/heads/ruled ]; then
    echo "error: GH013: Repository rule violations found for $ref." >&2
    echo "- Cannot update this protected ref." >&2
    exit 1
  fi
done
`,
    );
    chmodSync(hook, 0o755);
    try {
      const job = clone('job-ruled');
      let attempts = 0;
      const store = new GitBranchStore({
        repoDir: job,
        branch: 'ruled',
        beforePush: async () => {
          attempts++;
        },
      });
      const error = (await store.add('main', record('r', 1)).catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(
        /^git push to branch ruled of origin was refused: a repository ruleset refused the push to ruled\. Fix: exclude ruled from the ruleset's target branches, or add GitHub Actions .* to its bypass list, or keep baselines on a branch nothing protects \(baseline: git:<another-branch>\)\. \(git said: .*GH013/,
      );
      expect(attempts).toBe(1);
    } finally {
      rmSync(hook);
    }
  });
});

describe('--baseline and --save-baseline with git: locations', () => {
  it('compares with the median of the series’ stored runs, states the noise they show, and appends', async () => {
    const job = clone('job-step');
    const fixtures = join(import.meta.dirname, 'fixtures');
    const files = {
      plan: join(fixtures, 'ladder.plan.json'),
      samples: join(fixtures, 'ladder.samples.csv.gz'),
    };
    const plan = JSON.parse(readFileSync(files.plan, 'utf8')) as LadderPlan;
    const levels = parseLadderSummary(readFileSync(join(fixtures, 'ladder.summary.json'), 'utf8'), plan).map(
      (l) => ({
        ...l,
        probe: { p95Ms: null },
        pool: { waitP95Ms: null, waitMeanMs: null, timeouts: null, peakDbConnections: null },
      }),
    );
    const config = validateConfig(validRaw()).config;
    if (!config) throw new Error('invalid test config');
    const warnings: string[] = [];
    const steps: string[] = [];
    const progress = { step: (m: string) => steps.push(m), warn: (m: string) => warnings.push(m), load() {} };
    const location = 'git:loadgate-baselines#main';

    for (let i = 0; i < 4; i++) {
      const step = await BaselineStep.prepare(
        { baselinePath: location, saveBaselinePath: location, trendFrom: location, repoDir: job },
        progress,
      );
      const run = {
        runId: `step-${i}`,
        startedAt: new Date(Date.UTC(2026, 0, 1, 0, i)),
        k6Version: '2.2.0',
        loadModel: 'closed' as const,
        configHash: 'c',
        partial: false,
        levels,
      };
      const { comparison, trend } = await step.compare(run, config, files);
      // the series' stored runs, oldest first, then this one
      if (i === 0) expect(trend).toBeUndefined();
      else {
        expect(trend?.points.map((p) => p.runId)).toEqual(
          Array.from({ length: i + 1 }, (_, k) => `step-${k}`),
        );
        expect(trend?.source).toBe('series main of branch loadgate-baselines of origin');
      }
      if (i === 0) {
        expect(comparison).toBeUndefined();
        expect(warnings[0]).toMatch(/no baseline yet in series main of branch loadgate-baselines of origin/);
      } else {
        expect(comparison?.baseline.runId).toBe(`step-${i - 1}`);
        expect(comparison?.baseline.source).toMatch(/^loadgate-baselines:baselines\/main\/.*-step-\d\.json@/);
        // every stored run is the history: its median the baseline, its spread the noise (two
        // runs and more), and the report says so
        expect(comparison?.historyRecords).toBe(i);
        expect(comparison?.policy.runNoiseSource).toBe(i >= 2 ? 'history' : 'default');
        if (i >= 2) {
          // the same recorded run each time: no spread, so the assumed noise, shrunk toward, rules
          expect(comparison?.notes.join(' ')).toMatch(
            new RegExp(`compared with the median of the last ${i} comparable stored runs`),
          );
          expect(comparison?.notes.join(' ')).toMatch(
            /run-to-run noise from the stored runs' spread, shrunk toward the assumed p50 4% \+ 0\.25 ms/,
          );
        }
        expect(comparison?.counts.regressed).toBe(0);
      }
      await step.save({ partial: false, verdict: 'pass' }, join(root, `step-out-${i}`));
    }
    expect(
      steps.filter((s) => s.startsWith('saved this run as the baseline loadgate-baselines:')),
    ).toHaveLength(4);
    expect(
      git(bare, 'ls-tree', '--name-only', 'loadgate-baselines', 'baselines/main/').split('\n'),
    ).toHaveLength(4);
  });

  it('refuses a trend from a file: a file holds one run, not a history', async () => {
    const progress = { step() {}, warn() {}, load() {} };
    await expect(
      BaselineStep.prepare({ trendFrom: 'baselines/main.json', repoDir: clone('job-trend') }, progress),
    ).rejects.toThrow(/--trend baselines\/main.json: a trend needs a history, which only a git: store keeps/);
  });

  it('parses locations', () => {
    expect(parseLocation('baselines/main.json')).toEqual({ kind: 'file', path: 'baselines/main.json' });
    expect(parseLocation('git:')).toEqual({ kind: 'git', branch: 'loadgate-baselines', series: null });
    expect(parseLocation('git:perf#release/1.x')).toEqual({
      kind: 'git',
      branch: 'perf',
      series: 'release/1.x',
    });
    expect(() => parseLocation('git:-x')).toThrow(/not a branch name/);
    expect(() => parseLocation('git:a..b')).toThrow(/not a branch name/);
    expect(() => parseLocation('git:perf#')).toThrow(/empty/);
  });
});
