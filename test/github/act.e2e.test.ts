import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBaseline } from '../../src/baseline/file.ts';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { ResultSchema } from '../../src/result/schema.ts';
import { git } from '../helpers/git.ts';

// The bundled action run by a real local runner: nektos/act (pinned in tools.json, built by the
// bootstrap) on the host (`-P ubuntu-latest=-self-hosted`: steps run here, no job image; the
// action reaches the engine through DOCKER_HOST). A temporary repository holds the action
// (action.yml, dist/ built from these sources, k6-scripts/) and a workflow that uses it with
// `uses: ./`, so act passes the inputs the way GitHub does (action.yml's defaults, INPUT_*), runs
// the post step, and a later step writes `${{ toJSON(steps.loadgate.outputs) }}` to a file. act
// hands each step a fresh GITHUB_STEP_SUMMARY and logs what the step wrote to it as a `summary`
// entry of its --json log: that is where the summary is read. Its origin is a local bare
// repository, so the baseline branch the action pushes to (mode nightly, or a push to the default
// branch) is checked there. A pull request then compares with the newest record. Four runs of the demo with levels of a
// few seconds: about 90 s.

const repoRoot = join(import.meta.dirname, '..', '..');
const demoConfig = join(repoRoot, 'examples', 'demo', 'loadgate.yml');
const BRANCH = 'loadgate-baselines';
const shortLevels = ['load.levelDuration=3s', 'load.warmup=1s', 'load.levels=[1,2]'];

let root: string;
let repo: string;
let origin: string;

/** The baseline branch's tip in the bare origin, or null when it does not exist. */
function baselineTip(): string | null {
  try {
    return git(origin, 'rev-parse', '--verify', '--quiet', `refs/heads/${BRANCH}`);
  } catch {
    return null;
  }
}

interface ActRun {
  exitCode: number | null;
  log: string;
  /** what the loadgate step wrote to GITHUB_STEP_SUMMARY, from act's log */
  summary: string;
  outputs: Record<string, string>;
  outcome: string;
}

/** A workflow with the action and a step that saves its outputs; runs it with act on a push to main. */
async function runWorkflow(
  name: string,
  inputs: Record<string, string>,
  on: 'push' | 'pull_request' = 'push',
): Promise<ActRun> {
  const saved = join(root, `${name}.outputs`);
  const withLines = Object.entries(inputs).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`);
  const workflow = [
    `name: ${name}`,
    `on: ${on}`,
    'jobs:',
    '  load:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - id: loadgate',
    '        uses: ./',
    '        with:',
    ...withLines,
    '      - if: always()',
    '        env:',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: workflow expressions, for act to expand
    '          OUTPUTS: ${{ toJSON(steps.loadgate.outputs) }}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: workflow expressions, for act to expand
    '          OUTCOME: ${{ steps.loadgate.outcome }}',
    `        run: printf '%s\\n%s' "$OUTCOME" "$OUTPUTS" > ${JSON.stringify(saved)}`,
    '',
  ].join('\n');
  const file = join(repo, '.github', 'workflows', `${name}.yml`);
  writeFileSync(file, workflow);
  const event = join(root, `${on}.json`);
  const repository = { default_branch: 'main', full_name: 'octo/app' };
  writeFileSync(
    event,
    JSON.stringify(
      on === 'push'
        ? { ref: 'refs/heads/main', repository }
        : {
            repository,
            pull_request: {
              number: 5,
              head: { ref: 'feature', sha: 'a'.repeat(40), repo: { full_name: 'octo/app' } },
              base: { ref: 'main', repo: { full_name: 'octo/app' } },
            },
          },
    ),
  );
  const args = [
    on,
    '-W',
    file,
    '-e',
    event,
    '-P',
    'ubuntu-latest=-self-hosted',
    '--action-offline-mode',
    '--no-cache-server',
    '--action-cache-path',
    join(root, 'act-cache'),
    '--json',
  ];
  // act runs node actions with the `node` on PATH: this test's own Node 24 first.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` };
  const { exitCode, stdout, stderr } = await new Promise<{
    exitCode: number | null;
    stdout: string;
    stderr: string;
  }>((resolve, reject) => {
    const child = spawn('act', args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code, stdout: out, stderr: err }));
  });
  const entries = `${stdout}\n${stderr}`
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const summary = entries
    .filter((e) => e.command === 'summary' && (e.stepID as string[] | undefined)?.[0] === 'loadgate')
    .map((e) => e.content as string)
    .join('');
  const [outcome = '', ...rest] = readFileSync(saved, 'utf8').split('\n');
  return {
    exitCode,
    log: entries.map((e) => e.msg).join('\n') + stderr,
    summary,
    outputs: JSON.parse(rest.join('\n')) as Record<string, string>,
    outcome,
  };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'loadgate-act-'));
  origin = join(root, 'origin.git');
  repo = join(root, 'repo');
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', origin);
  mkdirSync(join(repo, '.github', 'workflows'), { recursive: true });
  for (const path of ['action.yml', 'dist', 'k6-scripts'])
    cpSync(join(repoRoot, path), join(repo, path), { recursive: true });
  git(repo, 'init', '--quiet', '--initial-branch=main');
  git(repo, 'add', '.');
  git(repo, 'commit', '--quiet', '-m', 'the action');
  git(repo, 'remote', 'add', 'origin', origin);
  git(repo, 'push', '--quiet', 'origin', 'main');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('the bundled action under act, a local Actions runner', () => {
  it('nightly on the default branch: passes (act exit 0), outputs and summary, the run recorded on the baseline branch', async () => {
    const out = join(root, 'nightly-out');
    const run = await runWorkflow('nightly', {
      mode: 'nightly',
      config: demoConfig,
      out,
      set: shortLevels.join('\n'),
      baseline: `git:${BRANCH}`,
    });
    expect(run.exitCode, run.log).toBe(0);
    expect(run.outcome).toBe('success');
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(result.verdict).toBe('pass');
    expect(run.outputs).toMatchObject({
      verdict: 'pass',
      'result-path': join(out, 'result.json'),
      'report-path': join(out, 'report.md'),
      breaches: '0',
      comment: 'off',
    });
    expect(run.summary).toBe(`${readFileSync(join(out, 'report.md'), 'utf8')}\n`);
    // The record on the branch, one commit adding one file, is the run's own.
    const tip = baselineTip();
    expect(tip).not.toBeNull();
    const files = git(origin, 'ls-tree', '-r', '--name-only', tip as string).split('\n');
    expect(files).toEqual([
      expect.stringMatching(new RegExp(`^baselines/main/\\d{8}T\\d{6}Z-${result.runId}\\.json$`)),
    ]);
    expect(run.outputs.baseline).toBe(`${BRANCH}:${files[0]}@${(tip as string).slice(0, 12)}`);
    const record = parseBaseline(git(origin, 'cat-file', 'blob', `${tip}:${files[0]}`), 'record');
    expect(record.runId).toBe(result.runId);
    // the first run of the series: one point is no trend
    expect(result.trend).toBeUndefined();
    expect(await listRunLeftovers(result.runId)).toEqual({ containers: 0, networks: 0 });
  });

  it('release on a push to main with a gate breach: act exits non-zero, the baseline branch is untouched', async () => {
    const before = baselineTip();
    const out = join(root, 'release-out');
    const run = await runWorkflow('release', {
      mode: 'release',
      config: demoConfig,
      out,
      set: [...shortLevels, 'gate.thresholds=[{metric: p95, request: items, max: 0.001ms}]'].join('\n'),
      baseline: `git:${BRANCH}`,
    });
    expect(run.exitCode, run.log).not.toBe(0);
    expect(run.outcome).toBe('failure');
    expect(run.outputs).toMatchObject({ verdict: 'fail', breaches: '2', baseline: '' });
    expect(run.summary).toContain('## loadgate: FAIL');
    expect(run.log).toContain('not recorded as the baseline');
    expect(baselineTip()).toBe(before);
  });

  it('a later passing push to main adds a second record on top of the first: the history is kept', async () => {
    const before = baselineTip() as string;
    const out = join(root, 'push-out');
    const run = await runWorkflow('push', {
      mode: 'pr',
      config: demoConfig,
      out,
      set: shortLevels.join('\n'),
      baseline: `git:${BRANCH}`,
    });
    expect(run.exitCode, run.log).toBe(0);
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    const tip = baselineTip() as string;
    expect(git(origin, 'rev-parse', `${tip}^`)).toBe(before);
    const files = git(origin, 'ls-tree', '-r', '--name-only', tip).split('\n');
    expect(files).toHaveLength(2);
    expect(files[1]).toContain(result.runId);
    // the first record is byte for byte what it was
    expect(git(origin, 'rev-parse', `${tip}:${files[0]}`)).toBe(
      git(origin, 'rev-parse', `${before}:${files[0]}`),
    );
    expect(run.outputs.baseline).toBe(`${BRANCH}:${files[1]}@${tip.slice(0, 12)}`);
    // a recorded run shows its series' trend: the nightly run, then this one, charted in the summary
    const nightly = parseBaseline(git(origin, 'cat-file', 'blob', `${tip}:${files[0]}`), 'record');
    expect(result.trend?.points.map((p) => p.runId)).toEqual([nightly.runId, result.runId]);
    expect(result.trend?.source).toMatch(/^series main of branch loadgate-baselines/);
    expect(run.summary).toMatch(/### Trend: p95 at \d+ VUs \(clean\), the last 2 runs of series main/);
    expect(run.summary).toContain('title "p95 per run, oldest to this run"');
  });

  it('a pull request is compared with the newest record of its base branch; its findings are the outputs', async () => {
    const newest = git(origin, 'ls-tree', '-r', '--name-only', baselineTip() as string)
      .split('\n')
      .at(-1) as string;
    const out = join(root, 'pull-out');
    const run = await runWorkflow(
      'pull',
      {
        mode: 'pr',
        comment: 'false',
        config: demoConfig,
        out,
        set: shortLevels.join('\n'),
        baseline: `git:${BRANCH}`,
      },
      'pull_request',
    );
    expect(run.exitCode, run.log).toBe(0);
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    const comparison = result.comparison;
    expect(comparison?.baseline.source).toMatch(new RegExp(`^${BRANCH}:${newest.replaceAll('.', '\\.')}@`));
    expect(comparison?.notComparable).toEqual([]);
    const count = (verdict: string) =>
      String(comparison?.metrics.filter((m) => m.verdict === verdict).length);
    expect(run.outputs).toMatchObject({
      verdict: result.verdict,
      regressions: count('regressed'),
      improvements: count('improved'),
      inconclusive: count('inconclusive'),
      comment: 'off',
      baseline: '',
    });
    // a compared run's summary: the verdict and findings first, then the whole report
    expect(run.summary.split('\n')[0]).toContain(
      `**loadgate: ${result.verdict.toUpperCase().replace('-', ' ')}**`,
    );
    expect(run.summary).toContain(readFileSync(join(out, 'report.md'), 'utf8').trimEnd());
    expect(run.summary).toContain('### Comparison: ');
  });
});
