// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${env.NAME} is the config's own reference syntax
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { substituteEnvRefs } from '../../k6-scripts/contract.ts';
import { ConfigError } from '../errors.ts';
import { redact, resetSecretsForTests } from '../redact.ts';
import { containerSpec } from '../run.ts';
import { configFromText, readConfig } from './read.ts';
import { networkAddresses, resolveEnv } from './refs.ts';
import { isRunnerToken, withoutRunnerTokens } from './secrets.ts';

const base = (extra = '') => `version: 1
service:
  image: app:1
  port: 8000
  env:
    DATABASE_URL: postgresql://app:\${env.DB_PASSWORD}@\${db.host}:\${db.port}/app
    LITERAL: "costs $\${env.NOT_READ}"
  command: [serve, --key, "\${env.API_KEY}"]
dependencies:
  db:
    image: postgres:15
    ports: [5432]
    env:
      POSTGRES_PASSWORD: \${env.DB_PASSWORD}
load:
  levels: [1]
  requests:
    - name: items
      path: /items?key=\${env.API_KEY}
      headers: { Authorization: "Bearer \${env.API_KEY}" }
${extra}`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-secrets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => resetSecretsForTests());

async function configFile(text: string): Promise<string> {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yml`);
  await writeFile(path, text);
  return path;
}

describe('${env.NAME} in config values', () => {
  it('reads each variable from the environment, keeps the references in the config, and redacts the values', async () => {
    const env = { DB_PASSWORD: 'pw-Xy7#q', API_KEY: 'key-9f8e7d' };
    const loaded = await readConfig(await configFile(base()), [], env);
    expect(loaded.secrets).toEqual(env);
    // the config (and so its hash, result.json, the baseline) holds the references only
    expect(JSON.stringify(loaded.config)).not.toContain('pw-Xy7#q');
    expect(JSON.stringify(loaded.config)).not.toContain('key-9f8e7d');
    const service = loaded.config.service;
    if (!service) throw new Error('the config has a service');
    expect(service.env.DATABASE_URL).toContain('${env.DB_PASSWORD}');
    // another value, the same config hash: the hash says nothing of the secret
    const rotated = await readConfig(await configFile(base()), [], {
      DB_PASSWORD: 'other',
      API_KEY: 'other-key',
    });
    expect(rotated.hash).toBe(loaded.hash);
    // the values go where they are used: the containers' env and command
    const addresses = networkAddresses(service, loaded.config.dependencies);
    const spec = containerSpec('service', service, [8000], addresses, dir, loaded.secrets);
    expect(spec.env).toEqual({
      DATABASE_URL: 'postgresql://app:pw-Xy7#q@db:5432/app',
      LITERAL: 'costs ${env.NOT_READ}',
    });
    expect(spec.command).toEqual(['serve', '--key', 'key-9f8e7d']);
    expect(resolveEnv(loaded.config.dependencies.db?.env ?? {}, addresses, loaded.secrets)).toEqual({
      POSTGRES_PASSWORD: 'pw-Xy7#q',
    });
    // a request keeps its references (the plan file is written): k6 reads the values itself
    expect(loaded.config.load.requests[0]?.headers.Authorization).toBe('Bearer ${env.API_KEY}');
    // and every value read is redacted from what loadgate writes
    expect(redact('connecting with pw-Xy7#q and key-9f8e7d')).toBe('connecting with *** and ***');
  });

  it('names the setting and the variable when one is missing or empty, before anything starts', async () => {
    const path = await configFile(base());
    const error = await readConfig(path, [], { DB_PASSWORD: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems).toContain(
      "service.env.DATABASE_URL: ${env.DB_PASSWORD} reads the environment variable DB_PASSWORD, which is empty; set it before running loadgate (in a workflow: the step's env, DB_PASSWORD: ${{ secrets.DB_PASSWORD }}; a pull request from a fork gets no secrets)",
    );
    expect(
      problems.some((p) =>
        p.startsWith(
          'service.command[2]: ${env.API_KEY} reads the environment variable API_KEY, which is not set',
        ),
      ),
    ).toBe(true);
    expect(problems.some((p) => p.startsWith('load.requests[0].headers.Authorization: ${env.API_KEY}'))).toBe(
      true,
    );
    expect(
      problems.some((p) => p.startsWith('dependencies.db.env.POSTGRES_PASSWORD: ${env.DB_PASSWORD}')),
    ).toBe(true);
    // through --set too, shown as written
    const viaSet = await readConfig(path, ['service.env.EXTRA=${env.EXTRA_TOKEN}'], {
      DB_PASSWORD: 'a',
      API_KEY: 'b',
    }).catch((e: unknown) => e);
    expect((viaSet as ConfigError).problems).toEqual([
      expect.stringMatching(
        /^service\.env\.EXTRA: \$\{env\.EXTRA_TOKEN\} reads the environment variable EXTRA_TOKEN, which is not set/,
      ),
    ]);
  });

  it('refuses a reference where no value is read, one to a runner token, and a malformed one', () => {
    const problems = (overrides: string[]) => {
      try {
        configFromText(base(), 'loadgate.yml', overrides);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems([])).toEqual([]);
    expect(problems(['service.image=registry/app:${env.TAG}'])).toEqual([
      expect.stringMatching(
        /^service\.image: \$\{env\.TAG\} is not read here; the environment is read in env values, build\.args, command and wait\.command/,
      ),
    ]);
    expect(problems(['service.env.GH=${env.GITHUB_TOKEN}'])).toEqual([
      expect.stringMatching(
        /^service\.env\.GH: \$\{env\.GITHUB_TOKEN\}: GITHUB_TOKEN is the runner's own credential, which loadgate keeps from k6 and every container/,
      ),
    ]);
    expect(problems(['load.requests[0].headers.X=${env.INPUT_TOKEN}'])[0]).toContain(
      "INPUT_TOKEN is the runner's own credential",
    );
    expect(problems(['service.env.BAD=${env.bad-name}'])).toEqual([
      expect.stringMatching(/^service\.env\.BAD: "\$\{env\.bad-name\}" names no environment variable/),
    ]);
    expect(problems(['dependencies.env.image=redis:7'])[0]).toContain('"env" names loadgate\'s environment');
  });
});

describe("the runner's tokens", () => {
  it('are known by name and kept out of the environment k6 gets', () => {
    for (const name of [
      'GITHUB_TOKEN',
      'GH_TOKEN',
      'INPUT_TOKEN',
      'ACTIONS_RUNTIME_TOKEN',
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      'ACTIONS_ID_TOKEN_REQUEST_URL',
      'ACTIONS_CACHE_URL',
      'ACTIONS_RESULTS_URL',
    ])
      expect(isRunnerToken(name), name).toBe(true);
    for (const name of ['PATH', 'HOME', 'GITHUB_SHA', 'MY_TOKEN', 'LOADGATE_BASE_URL'])
      expect(isRunnerToken(name), name).toBe(false);
    expect(withoutRunnerTokens({ PATH: '/bin', INPUT_TOKEN: 'x', GITHUB_TOKEN: 'y', MY_TOKEN: 'z' })).toEqual(
      {
        PATH: '/bin',
        MY_TOKEN: 'z',
      },
    );
  });
});

describe('substituteEnvRefs', () => {
  it('replaces ${env.NAME}, keeps $${env.NAME} as the literal ${env.NAME}, and leaves other ${…} alone', () => {
    expect(
      substituteEnvRefs('Bearer ${env.TOKEN}; $${env.TOKEN}; ${db.host}; ${env.bad-name}', (n) => `<${n}>`),
    ).toBe('Bearer <TOKEN>; ${env.TOKEN}; ${db.host}; ${env.bad-name}');
  });
});
