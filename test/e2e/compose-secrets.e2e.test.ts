import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { ResultSchema } from '../../src/result/schema.ts';
import { repoRoot, runCli } from '../helpers/cli.ts';

// One run serves three claims (about 40 s): the demo described by its docker-compose.yml
// (examples/demo/compose.loadgate.yml) runs for real, builds, env, depends_on and the database's
// healthcheck included; a secret given through the environment (DEMO_DB_PASSWORD, which the
// compose file interpolates into the database's and the service's env) reaches both, since the
// service answers from the database, yet appears in no file loadgate wrote; and a user's k6
// script that prints its environment sees none of the runner's tokens.

const secret = `pw-${randomBytes(9).toString('hex')}`;
const runnerTokens: Record<string, string> = {
  INPUT_TOKEN: `ghs_input${randomBytes(8).toString('hex')}`,
  GITHUB_TOKEN: `ghs_github${randomBytes(8).toString('hex')}`,
  ACTIONS_RUNTIME_TOKEN: `runtime${randomBytes(8).toString('hex')}`,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: `oidc${randomBytes(8).toString('hex')}`,
  ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:9/oidc${randomBytes(4).toString('hex')}`,
  ACTIONS_CACHE_URL: `http://127.0.0.1:9/cache${randomBytes(4).toString('hex')}`,
  ACTIONS_RESULTS_URL: `http://127.0.0.1:9/results${randomBytes(4).toString('hex')}`,
};

/** Every file under `dir`, as text (gzip files unpacked). */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    const bytes = readFileSync(path);
    return [{ path, text: (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8') }];
  });
}

describe('a compose file, a secret and the runner tokens, in one run', () => {
  const out = mkdtempSync(join(tmpdir(), 'loadgate-compose-secrets-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs the demo from its compose file; the secret reaches it and nothing loadgate wrote; k6 sees no runner token', async () => {
    const run = await runCli(
      [
        'run',
        '--config',
        join(repoRoot, 'examples', 'demo', 'compose.loadgate.yml'),
        '--out',
        out,
        '--set',
        'load.requests=null',
        '--set',
        `load.script=${join(repoRoot, 'test', 'fixtures', 'print-env.k6.js')}`,
        '--set',
        'load.scriptRequests=[items]',
        '--set',
        'load.levels=[2]',
        '--set',
        'load.levelDuration=3s',
        '--set',
        'load.warmup=1s',
      ],
      { env: { DEMO_DB_PASSWORD: secret, ...runnerTokens } },
    );
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    // the compose file's containers, each started and ready; what it left out, said
    expect(run.stdout).toMatch(/db ready in/);
    expect(run.stdout).toMatch(/upstream ready in/);
    expect(run.stderr).toContain('docker-compose.yml: services.db.volumes[0]: left out');
    expect(`${run.stdout}${run.stderr}`).not.toContain('DeprecationWarning');

    // The service answered /items from the database it reached with the secret password.
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    const items = result.levels[0]?.requests.find((r) => r.name === 'items');
    expect(items?.count).toBeGreaterThan(10);
    expect(items?.errorRate).toBe(0);

    // No file of the output folder holds the secret or a runner token.
    const files = filesUnder(out);
    expect(files.map((f) => f.path.slice(out.length + 1))).toEqual(
      expect.arrayContaining([
        'result.json',
        'report.md',
        'k6.log',
        'logs/db.log',
        'logs/service.log',
        'logs/build-upstream.log',
      ]),
    );
    for (const file of files) {
      expect(file.text.includes(secret), `${file.path} holds the secret`).toBe(false);
      for (const [name, value] of Object.entries(runnerTokens))
        expect(file.text.includes(value), `${file.path} holds ${name}`).toBe(false);
    }
    expect(`${run.stdout}${run.stderr}`).not.toContain(secret);

    // The script printed its environment: loadgate's variables, the secret redacted in the log,
    // and none of the runner's tokens.
    const log = readFileSync(join(out, 'k6.log'), 'utf8');
    const printed = (label: string) => {
      const found = /loadgate-env-(\w+) ([^"]*)"/.exec(
        log.split('\n').find((l) => l.includes(`loadgate-env-${label} `)) ?? '',
      );
      expect(found, log).not.toBeNull();
      return (found as RegExpExecArray)[2] as string;
    };
    const names = printed('names').split(' ');
    expect(names).toContain('LOADGATE_BASE_URL');
    expect(names).toContain('DEMO_DB_PASSWORD');
    for (const name of Object.keys(runnerTokens)) expect(names, name).not.toContain(name);
    expect(names.filter((name) => name.startsWith('ACTIONS_') || name.startsWith('INPUT_'))).toEqual([]);
    expect(printed('password')).toBe('***');
    expect(await listRunLeftovers(result.runId)).toEqual({ containers: 0, networks: 0 });
  });
});
