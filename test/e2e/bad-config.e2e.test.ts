// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name.host} is the config's own reference syntax, not a template
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runCli } from '../helpers/cli.ts';
import { engineInventory } from '../helpers/engine.ts';
import { countReliability } from '../helpers/reliability.ts';

// Malformed configs, as users write them: each must end in exit status 2 with a message naming
// the setting's path, and none may start anything (the engine is asked before and after).

const valid = () => ({
  version: 1,
  service: {
    image: 'postgres:15',
    port: 8000,
    env: { DB: '${db.host}:${db.port}' },
    wait: { http: '/health' },
  },
  dependencies: { db: { image: 'postgres:15', ports: [5432], env: { POSTGRES_PASSWORD: 'x' } } },
  load: { levels: [1, 2], levelDuration: '2s', warmup: '1s', requests: [{ name: 'items', path: '/items' }] },
  gate: { thresholds: [{ metric: 'p95', max: '200ms' }] },
});
type Config = ReturnType<typeof valid> & Record<string, unknown>;

const cases: { name: string; path: string; text?: string; edit?: (c: Config) => void }[] = [
  {
    name: 'levels of the wrong type',
    path: 'load.levels',
    edit: (c) => Object.assign(c.load, { levels: 'many' }),
  },
  {
    name: 'an unknown key in the service',
    path: 'service.prot',
    edit: (c) => Object.assign(c.service, { prot: 8000 }),
  },
  {
    name: 'a duration without a unit',
    path: 'load.levelDuration',
    edit: (c) => Object.assign(c.load, { levelDuration: 20 }),
  },
  {
    name: 'a duration in words',
    path: 'load.warmup',
    edit: (c) => Object.assign(c.load, { warmup: '5 seconds' }),
  },
  {
    name: 'no service',
    path: 'service',
    edit: (c) => {
      delete (c as Partial<Config>).service;
    },
  },
  {
    name: 'a dependency cycle in env references',
    path: 'dependencies.db.env',
    edit: (c) => {
      c.dependencies.db.env = { POSTGRES_PASSWORD: 'x', CACHE: '${cache.host}' } as never;
      (c.dependencies as Record<string, unknown>).cache = {
        image: 'redis:7',
        ports: [6379],
        env: { DB: '${db.host}' },
      };
    },
  },
  {
    name: 'an unknown HTTP method',
    path: 'load.requests[0].method',
    edit: (c) => Object.assign(c.load.requests[0] as object, { method: 'FETCH' }),
  },
  {
    name: 'a rate that is not a percentage',
    path: 'gate.thresholds[0].max',
    edit: (c) => {
      c.gate.thresholds[0] = { metric: 'errorRate', max: '10 percent' } as never;
    },
  },
  {
    name: 'a port that is not a number',
    path: 'dependencies.db.ports[0]',
    edit: (c) => {
      c.dependencies.db.ports = ['5432x'] as never;
    },
  },
  {
    name: 'both an image and a build',
    path: 'service',
    edit: (c) => Object.assign(c.service, { build: { context: '.' } }),
  },
  {
    name: 'levels that do not rise',
    path: 'load.levels[1]',
    edit: (c) => Object.assign(c.load, { levels: [5, 2] }),
  },
  {
    name: 'a reference to an unknown container',
    path: 'service.env.DB',
    edit: (c) => {
      c.service.env.DB = '${nosuch.host}';
    },
  },
  {
    name: 'a gate on an unknown request',
    path: 'gate.thresholds[0].request',
    edit: (c) => Object.assign(c.gate.thresholds[0] as object, { request: 'itmes' }),
  },
  {
    name: 'more levels than a ladder may have',
    path: 'load.levels: 101 levels; at most 100',
    edit: (c) => Object.assign(c.load, { levels: Array.from({ length: 101 }, (_, i) => i + 1) }),
  },
  {
    name: 'a level duration too long to be a number',
    path: 'load.levelDuration',
    edit: (c) => Object.assign(c.load, { levelDuration: `1${'0'.repeat(400)}s` }),
  },
  {
    name: 'a ladder longer than a run may take',
    path: 'load: the ladder would take 8 h (',
    edit: (c) =>
      Object.assign(c.load, { levels: [1, 2, 3, 4, 5, 6, 7, 8], levelDuration: '59m', warmup: '1m' }),
  },
  {
    name: 'a k6 script that is not there',
    path: 'load.script: k6/missing.js',
    edit: (c) => {
      const load = c.load as Record<string, unknown>;
      delete load.requests;
      load.script = 'k6/missing.js';
      c.gate.thresholds = [];
    },
  },
  {
    name: 'YAML that does not parse',
    path: 'YAML-that-does-not-parse.yml:4:1',
    text: 'version: 1\nservice:\n  port: [8000\n',
  },
];

describe('bad configs end in exit 2, naming the setting, with nothing started', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadgate-bad-config-'));
  let before: Awaited<ReturnType<typeof engineInventory>>;
  beforeAll(async () => {
    before = await engineInventory();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the valid base config passes validation (so each case fails for its own reason)', async () => {
    // A valid config goes on to start containers; --set a bad value to stop it right after
    // validation and prove the base itself was fine.
    const file = join(dir, 'valid.yml');
    writeFileSync(file, YAML.stringify(valid()));
    const run = await runCli(['run', '--config', file, '--out', join(dir, 'out'), '--set', 'load.levels=[]']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('load.levels');
    expect(run.stderr).not.toContain('service');
  });

  for (const testCase of cases) {
    it(`${testCase.name} → ${testCase.path}`, async () => {
      const config = valid() as Config;
      testCase.edit?.(config);
      const file = join(dir, `${testCase.name.replaceAll(' ', '-')}.yml`);
      writeFileSync(file, testCase.text ?? YAML.stringify(config));
      const run = await runCli(['run', '--config', file, '--out', join(dir, 'out')]);
      countReliability('hostileInputs', 1, 'bad configs or arguments through the CLI');
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.stderr).toContain(testCase.path);
      expect(run.stdout).not.toContain('ready in');
    });
  }

  it('a malformed --set names the override', async () => {
    const file = join(dir, 'valid-for-set.yml');
    writeFileSync(file, YAML.stringify(valid()));
    const run = await runCli(['run', '--config', file, '--set', 'service.env.POOL_SIZE']);
    countReliability('hostileInputs', 1, 'bad configs or arguments through the CLI');
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('service.env.POOL_SIZE');
  });

  it('a missing config file says which path was tried and how to give another', async () => {
    const run = await runCli(['run', '--config', join(dir, 'nope.yml')]);
    countReliability('hostileInputs', 1, 'bad configs or arguments through the CLI');
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('nope.yml');
    expect(run.stderr).toContain('--config');
  });

  it('a --floor naming no metric (constructor), and --out / are refused', async () => {
    const file = join(dir, 'valid-for-flags.yml');
    writeFileSync(file, YAML.stringify(valid()));
    for (const [args, message] of [
      [['--floor', 'constructor=5%'], '--floor constructor=5%: expected p50|p95|p99'],
      [['--out', '/'], "--out / is the file system's root"],
      [['--out', dir], `--out ${dir} is the config file's own folder`],
    ] as const) {
      const run = await runCli(['run', '--config', file, ...args]);
      countReliability('hostileInputs', 1, 'bad configs or arguments through the CLI');
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.stderr).toContain(message);
    }
  });

  it('an unknown option is a usage error', async () => {
    const run = await runCli(['run', '--confg', 'x.yml']);
    countReliability('hostileInputs', 1, 'bad configs or arguments through the CLI');
    expect(run.exitCode).toBe(2);
  });

  it('started no container and no network', async () => {
    expect(await engineInventory()).toEqual(before);
  });
});
