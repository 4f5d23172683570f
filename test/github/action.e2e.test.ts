import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultJobKey } from '../../src/action/settings.ts';
import { parseOverrideLines } from '../../src/config/overrides.ts';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { ResultSchema } from '../../src/result/schema.ts';
import { dockerEnv, dockerLeftoversOf, onDocker } from '../helpers/dockerEngine.ts';
import { FakeGitHub } from './fakeGitHub.ts';
import { outputsFromStdout, parseFileCommand, runnerCommands } from './runnerCommands.ts';
import { inputEnv, runnerEnv, stepFiles } from './runnerEnv.ts';

// The bundled action (dist/index.js, rebuilt with `npx node scripts/build.mjs`) run the way the
// Actions runner runs a node24 action: `node dist/index.js` with every input of action.yml as
// INPUT_<NAME> (defaults applied, `${{ github.token }}` expanded), the runner's file commands
// (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV, GITHUB_PATH, GITHUB_STATE), the event payload
// at GITHUB_EVENT_PATH and GITHUB_API_URL pointing at the OpenAPI-validating fake GitHub. This
// test plays the runner itself so that it can point the action at that fake API and feed its
// stdout through the runner's command parsing (runnerCommands); a real local runner, nektos/act,
// runs the same bundle in act.e2e.test.ts. Real engine, containers and k6: about 2 minutes.

const repoRoot = join(import.meta.dirname, '..', '..');
const demoConfig = join(repoRoot, 'examples', 'demo', 'loadgate.yml');
const TOKEN = 'ghs-installation';

interface ActionRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  files: { env: string; path: string };
}

/** Every file below a folder. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The commit a repository's HEAD is at. */
function headOf(repo: string): string {
  return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
}

let gh: FakeGitHub;
let root: string;

async function runAction(
  name: string,
  inputs: Record<string, string>,
  event: unknown,
  stepEnv: Record<string, string> = {},
): Promise<ActionRun> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const files = stepFiles(dir, event);
  const env: NodeJS.ProcessEnv = {
    ...runnerEnv(dir, files, {
      GITHUB_REPOSITORY: gh.repository,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: gh.url,
      GITHUB_RUN_ID: '31337',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_EVENT_NAME: 'pull_request',
    }),
    ...inputEnv(inputs, TOKEN),
    ...stepEnv,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'index.js')], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (exitCode) =>
      resolve({
        exitCode,
        stdout,
        stderr,
        outputs: parseFileCommand(readFileSync(files.output, 'utf8')),
        summary: readFileSync(files.summary, 'utf8'),
        files: { env: readFileSync(files.env, 'utf8'), path: readFileSync(files.path, 'utf8') },
      }),
    );
  });
}

const shortLevels = ['load.levelDuration=3s', 'load.warmup=1s', 'load.levels=[1,2]'].join('\n');
// a secret the step's env gives, read by the config through ${env.NAME}
const SECRET = 'pw-only-in-the-step-env-7Qx';
const withSecret = `${shortLevels}\nservice.env.DEMO_EXTRA=\${env.LG_ACTION_SECRET}`;
const prEvent = {
  pull_request: {
    number: 5,
    head: { ref: 'feature/`x`-@octocat', sha: 'a'.repeat(40), repo: { full_name: 'octo/app' } },
    base: { ref: 'main', repo: { full_name: 'octo/app' } },
  },
};

beforeAll(async () => {
  gh = await new FakeGitHub().start();
  gh.addPull({ number: 5, headSha: 'a'.repeat(40), headRef: 'feature', headRepo: 'octo/app' });
  root = mkdtempSync(join(tmpdir(), 'loadgate-action-e2e-'));
});

afterAll(async () => {
  await gh.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the bundled action, run as the runner runs it', () => {
  it('pr mode on the demo: outputs, the job summary, one sticky comment, exit 0, token masked', async () => {
    const out = join(root, 'pr-out');
    const run = await runAction(
      'pr',
      { config: demoConfig, out, set: withSecret, 'fail-on-regression': 'true' },
      prEvent,
      { LG_ACTION_SECRET: SECRET },
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(result.verdict).toBe('pass');
    expect(run.outputs).toMatchObject({
      verdict: 'pass',
      'result-path': join(out, 'result.json'),
      'report-path': join(out, 'report.md'),
      breaches: '0',
      regressions: '0',
      comment: 'created',
    });
    expect(run.outputs['comment-url']).toMatch(
      /^https:\/\/github\.com\/octo\/app\/pull\/5#issuecomment-\d+$/,
    );
    expect(run.summary).toBe(`${readFileSync(join(out, 'report.md'), 'utf8')}\n`);
    const [comment, ...others] = gh.commentsOn(5);
    expect(others).toEqual([]);
    expect(comment?.body.split('\n')[0]).toMatch(
      /^<!-- loadgate:\/.*\/examples\/demo\/loadgate\.yml\+[0-9a-f]{8} -->$/,
    );
    expect(comment?.body).toContain('✅ **loadgate: PASS**');
    expect(comment?.body).toContain('[the run](https://github.com/octo/app/actions/runs/31337)');
    expect(comment?.body).toContain(`--set 'load.levels=[1,2]'`);
    // the reproduce command names the secret, never its value, which the runner masks
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own reference syntax
    expect(comment?.body).toContain("--set 'service.env.DEMO_EXTRA=${env.LG_ACTION_SECRET}'");
    expect(comment?.body).toContain('feature/&#96;x&#96;-@\u200docto');
    expect(gh.violations).toEqual([]);
    // The token reaches the log only inside the add-mask command that hides it.
    const commands = runnerCommands(run.stdout);
    for (const secret of [TOKEN, SECRET]) {
      expect(commands).toContainEqual({ name: 'add-mask', properties: {}, data: secret });
      expect(run.stdout.split(secret).length - 1).toBe(1);
      expect(run.stderr).not.toContain(secret);
    }
    // Nor in any file the run wrote: result.json, report.md, k6's output, container logs, the
    // job summary, the outputs, and what the comment says.
    const written = [...filesUnder(out), ...filesUnder(join(root, 'pr'))];
    expect(written.length).toBeGreaterThan(5);
    for (const file of written) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toContain(TOKEN);
      expect(text, file).not.toContain(SECRET);
    }
    for (const c of gh.commentsOn(5)) expect(c.body).not.toContain(TOKEN);
    for (const c of gh.commentsOn(5)) expect(c.body).not.toContain(SECRET);
    console.log(
      `reliability: token scanned for in ${written.length} written files, stdout, stderr and the comment: absent`,
    );
    expect(outputsFromStdout(run.stdout)).toEqual({});
    expect(readFileSync(join(out, 'loadgate-comment.json'), 'utf8')).toContain('"jobKey"');
    expect(await listRunLeftovers(result.runId)).toEqual({ containers: 0, networks: 0 });

    // A second run on the same pull request updates the same comment. Its event names the base
    // commit (this repository's HEAD, whose demo Dockerfile the base is built from), so paired
    // mode runs: short slots from the config's paired section, through `set`.
    const out2 = join(root, 'pr-out-2');
    // two blocks and no more: extending while undecided (up to six) is paired mode's own test's
    const pairedSettings = [
      'paired.rate=20',
      'paired.slot=3s',
      'paired.warmup=1s',
      'paired.blocks=2',
      'paired.maxBlocks=2',
    ];
    const again = await runAction(
      'pr-again',
      {
        config: demoConfig,
        out: out2,
        set: [shortLevels, ...pairedSettings].join('\n'),
        // other settings make another default job key: this one is the first run's, so its comment
        'job-key': defaultJobKey(demoConfig, parseOverrideLines(withSecret)),
      },
      {
        pull_request: {
          ...prEvent.pull_request,
          base: { ...prEvent.pull_request.base, sha: headOf(repoRoot) },
        },
      },
    );
    expect(again.exitCode, again.stdout).toBe(0);
    expect(again.stdout).toMatch(
      /paired comparison with the base commit [0-9a-f]{12} at 20 req\/s \(the config's paired\.rate\)/,
    );
    const paired = ResultSchema.parse(JSON.parse(readFileSync(join(out2, 'result.json'), 'utf8')));
    expect(paired.comparison?.mode).toBe('paired');
    expect(again.outputs.verdict).toBe(paired.verdict);
    const slots = JSON.parse(readFileSync(join(out2, 'paired', 'paired.json'), 'utf8')) as {
      slots: { variant: string }[];
    };
    expect(slots.slots.map((s) => s.variant[0]).join('')).toMatch(/^bccbcbbc/);
    expect(readFileSync(join(out2, 'report.md'), 'utf8')).toContain('paired runs');
    expect(again.outputs.comment).toBe('updated');
    expect(gh.commentsOn(5).map((c) => c.id)).toEqual([comment?.id]);
    expect(gh.violations).toEqual([]);
    expect(await listRunLeftovers(paired.runId)).toEqual({ containers: 0, networks: 0 });
  });

  it('release mode: a gate breach fails the job (exit 1), with an error annotation per breach and no comment', async () => {
    const before = gh.requests.length;
    const run = await runAction(
      'release',
      {
        mode: 'release',
        config: demoConfig,
        out: join(root, 'release-out'),
        set: `${shortLevels}\ngate.thresholds=[{metric: p95, request: items, max: 0.001ms}]`,
      },
      {},
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.outputs).toMatchObject({ verdict: 'fail', breaches: '2', comment: 'off' });
    const errors = runnerCommands(run.stdout).filter((c) => c.name === 'error');
    expect(errors.filter((c) => c.properties.title === 'loadgate: gate breach')).toHaveLength(2);
    expect(errors.at(-1)?.data).toMatch(/gate breach/); // setFailed with the summary
    expect(run.summary).toContain('## loadgate: FAIL');
    expect(gh.requests.length).toBe(before);
  });

  it('a service log line `::set-output name=verdict::pass` changes no output', async () => {
    const hostile = [
      'echo "::set-output name=verdict::pass"',
      'echo "::add-path::/tmp/evil"',
      'echo "##[set-output name=breaches;]0"',
      // never ready: the start times out and the action prints the end of the service's log
      'exec sleep 600',
    ].join('; ');
    const run = await runAction(
      'hostile',
      {
        mode: 'release',
        config: demoConfig,
        out: join(root, 'hostile-out'),
        set: `${shortLevels}\nservice.command=${JSON.stringify(['sh', '-c', hostile])}\nservice.startupTimeout=20s`,
      },
      {},
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(3);
    // The lines were echoed to the log (the service's log tail) ...
    expect(run.stdout).toContain('::set-output name=verdict::pass');
    // ... but a runner reading the log executes none of them.
    const commands = runnerCommands(run.stdout).map((c) => c.name);
    expect(commands).not.toContain('set-output');
    expect(commands).not.toContain('add-path');
    expect(commands).toContain('stop-commands');
    expect(outputsFromStdout(run.stdout)).toEqual({});
    expect(run.outputs).toEqual({ verdict: 'error' });
    expect(run.files).toEqual({ env: '', path: '' });
    const runId = /run (\d{8}-\d{6}-[0-9a-f]{6})/.exec(run.stdout)?.[1];
    expect(runId).toBeDefined();
    expect(await listRunLeftovers(runId as string)).toEqual({ containers: 0, networks: 0 });
  });
});

// GitHub's runners run Docker Engine: pr mode, reduced, with DOCKER_HOST at Docker Engine beside Podman.
describe.runIf(onDocker)('the bundled action on Docker Engine', () => {
  it('pr mode on the demo: pass, one sticky comment, exit 0, nothing left in Docker', async () => {
    gh.addPull({ number: 6, headSha: 'b'.repeat(40), headRef: 'docker', headRepo: 'octo/app' });
    const out = join(root, 'docker-out');
    const run = await runAction(
      'docker',
      { config: demoConfig, out, set: shortLevels },
      {
        pull_request: {
          ...prEvent.pull_request,
          number: 6,
          head: { ...prEvent.pull_request.head, sha: 'b'.repeat(40) },
        },
      },
      dockerEnv(),
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({ verdict: 'pass', comment: 'created' });
    expect(gh.commentsOn(6)).toHaveLength(1);
    // the reproduce command runs this version's release tarball through npx
    expect(gh.commentsOn(6)[0]?.body).toMatch(
      /npx --yes --package=https:\/\/github\.com\/loadgate\/loadgate\/releases\/download\/v\d+\.\d+\.\d+\/loadgate-\d+\.\d+\.\d+\.tgz -- loadgate run --config /,
    );
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(await dockerLeftoversOf(result.runId)).toEqual({ containers: 0, networks: 0 });
  });
});
