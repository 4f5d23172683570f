import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countReliability } from '../../test/helpers/reliability.ts';
import { runCli } from '../cli/runCli.ts';
import { VALID_YAML } from '../config/testConfigs.ts';
import { ConfigError, ExitCode } from '../errors.ts';
import { checkOutDir, resolvedPath, sameFile } from './guard.ts';

let dir: string;
let configDir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-guard-'));
  configDir = join(dir, 'repo', '.github');
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, 'loadgate.yml'), VALID_YAML);
  await symlink('/', join(dir, 'link-to-root'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the output folder', () => {
  it.each([
    ['/', "is the file system's root"],
    ['/tmp/..', "is the file system's root"],
    ['link-to-root', "is the file system's root"],
    [homedir(), 'is your home folder'],
    ['repo/.github', "is the config file's own folder"],
    ['repo', "holds the config's folder"],
    ['.', "holds the config's folder"],
  ])('refuses %s: it %s', async (out, why) => {
    const error = await checkOutDir(out.startsWith('/') ? out : join(dir, out), configDir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(why);
    expect((error as ConfigError).message).toContain('--out loadgate-out');
  });

  it('compare, which has no config, refuses the root and the home folder', async () => {
    await expect(checkOutDir('/', null)).rejects.toThrow(/is the file system's root/);
    await expect(checkOutDir(homedir(), null)).rejects.toThrow(/is your home folder/);
    await expect(checkOutDir(join(dir, 'repo'), null)).resolves.toBeUndefined();
  });

  it('takes a folder of its own, new or not, beside or below the config', async () => {
    for (const out of ['repo/loadgate-out', 'repo/.github/out', 'elsewhere/deep/out']) {
      await expect(checkOutDir(join(dir, out), configDir)).resolves.toBeUndefined();
    }
  });

  it('resolves links and paths not created yet', async () => {
    expect(await resolvedPath(join(dir, 'link-to-root', 'tmp', 'not-yet', 'x'))).toBe('/tmp/not-yet/x');
    expect(await sameFile(join(dir, 'link-to-root', 'etc'), '/etc')).toBe(true);
    expect(await sameFile(join(dir, 'repo'), join(dir, 'repo', '.github'))).toBe(false);
  });

  it('loadgate run --out / is refused before anything starts (exit 2)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const saved = process.env.DOCKER_HOST;
    // an engine that cannot answer: reaching it would be exit 3, not 2
    process.env.DOCKER_HOST = `unix://${join(dir, 'no-engine.sock')}`;
    try {
      const code = await runCli(['run', '--config', join(configDir, 'loadgate.yml'), '--out', '/'], {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        isTty: false,
      });
      expect(code, err.join('')).toBe(ExitCode.config);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
    expect(err.join('')).toMatch(
      /^loadgate: --out \/ is the file system's root: .*give it a folder of its own/,
    );
    countReliability('hostileInputs', 1, 'dangerous output folders');
  });
});
