import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ExitCode } from '../errors.ts';
import { stableJson } from './defaults.ts';
import { configFromText, configHash, readConfig } from './read.ts';
import { VALID_YAML } from './testConfigs.ts';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('configFromText', () => {
  it('reads a valid file', () => {
    const { config, hash, warnings } = configFromText(VALID_YAML, 'loadgate.yml');
    expect(config.load.levelDurationS).toBe(20);
    expect(config.gate.thresholds).toEqual([{ metric: 'p99', maxMs: 800 }]);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(warnings).toEqual([]);
  });

  it('reports YAML syntax errors with file, line and column', () => {
    const error = configErrorOf(() =>
      configFromText('version: 1\nload:\n  levels: [1, 2\nservice: {}\n', 'cfg.yml'),
    );
    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.message).toMatch(/^cfg\.yml is not valid YAML:\n {2}cfg\.yml:\d+:\d+: /);
    expect(error.problems[0]).toMatch(/^cfg\.yml:\d+:\d+: Flow sequence/);
    const duplicate = configErrorOf(() => configFromText('version: 1\nversion: 1\n', 'cfg.yml'));
    expect(duplicate.problems).toEqual(['cfg.yml:2:1: Map keys must be unique']);
    const tabs = configErrorOf(() => configFromText('load:\n\tlevels: [1]\n', 'cfg.yml'));
    expect(tabs.problems[0]).toMatch(/^cfg\.yml:2:1: Tabs/);
  });

  it('lists every problem one per line, each with its line in the file', () => {
    const text = VALID_YAML.replace('levels: [1, 5, 10, 20]', 'levels: [1, 5, 3]').replace(
      'port: 8000',
      'port: http',
    );
    const error = configErrorOf(() => configFromText(text, 'cfg.yml'));
    expect(error.problems).toEqual([
      'service.port: "http" is not a port; expected a whole number from 1 to 65535 (line 4)',
      'load.levels[2]: 3 does not rise above the level before it (5); levels must rise strictly, e.g. [1, 5, 10, 20] (line 16)',
    ]);
    expect(error.message).toBe(`cfg.yml has 2 problems:\n${error.problems.map((p) => `  ${p}`).join('\n')}`);
  });

  it('applies overrides before validating, and does not point into the file for what they set', () => {
    const { config } = configFromText(VALID_YAML, 'cfg.yml', [
      'load.levels=[2,4]',
      'service.env.DEMO_POOL_SIZE=5',
    ]);
    expect(config.load.levels).toEqual([2, 4]);
    expect(config.service?.env.DEMO_POOL_SIZE).toBe('5');
    const error = configErrorOf(() => configFromText(VALID_YAML, 'cfg.yml', ['load.levels=[4,2]']));
    expect(error.problems).toEqual([expect.stringMatching(/^load\.levels\[1\]: 2 does not rise .*\]$/)]);
    const malformed = configErrorOf(() => configFromText(VALID_YAML, 'cfg.yml', ['load.levels']));
    expect(malformed.problems).toEqual([expect.stringMatching(/^override "load\.levels": no "="/)]);
  });

  it('calls an empty file empty', () => {
    expect(configErrorOf(() => configFromText('# nothing yet\n', 'cfg.yml')).problems).toEqual([
      '(top level): the config is empty; it needs at least version: 1, service (or target) and load',
    ]);
  });
});

describe('configHash', () => {
  it('is the same for the same settings written in another order or form, and differs otherwise', () => {
    const reordered = `load:\n  levelDuration: 20000ms\n  requests: [{ path: /items, name: items }]\n  levels: [1, 5, 10, 20]\n${VALID_YAML.slice(
      0,
      VALID_YAML.indexOf('load:'),
    )}gate: { thresholds: [{ max: 0.8s, metric: p99 }] }\n`;
    const a = configFromText(VALID_YAML, 'a.yml').hash;
    expect(configFromText(reordered, 'b.yml').hash).toBe(a);
    expect(configFromText(VALID_YAML, 'a.yml', ['load.warmup=6s']).hash).not.toBe(a);
  });

  it('hashes JSON with sorted keys', () => {
    expect(stableJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    const { config } = configFromText(VALID_YAML, 'a.yml');
    expect(configHash(config)).toBe(configHash(structuredClone(config)));
  });
});

describe('readConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loadgate-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the file and gives its folder, for build contexts and scripts', async () => {
    const path = join(dir, 'loadgate.yml');
    await writeFile(path, VALID_YAML);
    const loaded = await readConfig(path, ['load.model=open']);
    expect(loaded.configPath).toBe(path);
    expect(loaded.configDir).toBe(dir);
    expect(loaded.config.load.model).toBe('open');
    expect(loaded.hash).toBe(configFromText(VALID_YAML, 'x', ['load.model=open']).hash);
  });

  it('says which file it tried and how to point at another', async () => {
    const missing = join(dir, 'nope.yml');
    const error = await readConfig(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`no config file at ${missing}`);
    expect((error as ConfigError).message).toContain('--config <file>');
    const folder = await readConfig(dir).catch((e: unknown) => e);
    expect((folder as ConfigError).message).toContain('is a folder');
  });
});
