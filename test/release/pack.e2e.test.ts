import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { ResultSchema } from '../../src/result/schema.ts';
import { repoRoot } from '../helpers/cli.ts';

const run = promisify(execFile);

// The release as someone gets it: scripts/pack.mjs's tarball (what the release workflow attaches)
// installed into an empty folder with npm, offline, and run with npx from there, as the comment's
// reproduce command does. The run is short: the demo at two levels of 3 s.
describe('the packed release', () => {
  const work = mkdtempSync(join(tmpdir(), 'loadgate-pack-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

  it('installs from its tarball into an empty folder, offline, and `npx loadgate run` works there', async () => {
    const packed = await run(process.execPath, [
      join(repoRoot, 'scripts', 'pack.mjs'),
      '--out',
      join(work, 'release'),
    ]);
    const tarball = packed.stdout.trim().split('\n').at(-1) as string;
    expect(tarball).toBe(join(work, 'release', `loadgate-${version}.tgz`));

    const app = join(work, 'app');
    mkdirSync(app);
    // no dependencies to fetch: the bundle carries them, so the registry is never asked
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: app });
    const shown = await run('npx', ['--no-install', 'loadgate', '--version'], { cwd: app });
    expect(shown.stdout.trim()).toContain(version);

    // the reproduce command's form: npx --package=<the release tarball> -- loadgate …
    const reproduce = await run('npx', ['--yes', `--package=${tarball}`, '--', 'loadgate', '--version'], {
      cwd: mkdtempSync(join(work, 'empty-')),
    });
    expect(reproduce.stdout.trim()).toContain(version);

    const out = join(work, 'out');
    const demo = await run(
      'npx',
      [
        '--no-install',
        'loadgate',
        'run',
        '--config',
        join(repoRoot, 'examples', 'demo', 'loadgate.yml'),
        '--out',
        out,
        '--set',
        'load.levels=[1,2]',
        '--set',
        'load.levelDuration=3s',
        '--set',
        'load.warmup=1s',
      ],
      { cwd: app, env: { ...process.env, CI: 'true' }, maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: { code?: number; stdout?: string; stderr?: string }) => error);
    expect('code' in demo ? demo.code : 0, 'stderr' in demo ? demo.stderr : '').toBe(0);
    const result = ResultSchema.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(result.verdict).toBe('pass');
    expect(result.levels.map((l) => l.level)).toEqual([1, 2]);
    expect(await listRunLeftovers(result.runId)).toEqual({ containers: 0, networks: 0 });
  });
});
