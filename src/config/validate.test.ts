// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name.host} is the config's own reference syntax
import { describe, expect, it } from 'vitest';
import { validRaw } from './testConfigs.ts';
import { validateConfig } from './validate.ts';

/** The errors of a valid config after `mutate` broke it. */
function errorsAfter(mutate: (raw: ReturnType<typeof validRaw>) => void): string[] {
  const raw = validRaw();
  mutate(raw);
  const { config, errors } = validateConfig(raw);
  expect(config).toBeUndefined();
  expect(errors.length).toBeGreaterThan(0);
  return errors;
}

/** The one error starting with `path: `, which must contain every fragment. */
function expectError(errors: string[], path: string, ...fragments: string[]): void {
  const matching = errors.filter((error) => error.startsWith(`${path}: `));
  expect(matching, `no error for ${path} in:\n${errors.join('\n')}`).toHaveLength(1);
  for (const fragment of fragments) expect(matching[0]).toContain(fragment);
}

describe('validateConfig: a valid config', () => {
  it('normalizes durations, rates and defaults into numbers with units in their names', () => {
    const { config, errors, warnings } = validateConfig(validRaw());
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(config?.service).toEqual({
      build: { context: '.', dockerfile: 'Dockerfile', args: { PYTHON_VERSION: '3.12' } },
      command: ['python3', '-m', 'uvicorn', 'app:app'],
      env: { DATABASE_URL: 'postgresql+asyncpg://app:app@${db.host}:${db.port}/app', DEMO_POOL_SIZE: '10' },
      wait: { kind: 'http', path: '/health' },
      startupTimeoutMs: 60_000,
      port: 8000,
    });
    expect(config?.dependencies.db).toEqual({
      image: 'postgres:15',
      env: { POSTGRES_USER: 'app', POSTGRES_PASSWORD: 'app', POSTGRES_DB: 'app' },
      wait: { kind: 'log', message: 'database system is ready to accept connections', times: 2 },
      startupTimeoutMs: 60_000,
      ports: [5432],
      proxied: false,
    });
    expect(config?.load).toEqual({
      model: 'closed',
      levels: [1, 5, 10, 20],
      levelDurationS: 20,
      warmupS: 5,
      requestTimeoutMs: 2000,
      requests: [
        { name: 'items', method: 'GET', path: '/items', weight: 3, headers: { Accept: 'application/json' } },
        {
          name: 'create',
          method: 'POST',
          path: '/items',
          weight: 1,
          headers: { 'Content-Type': 'application/json' },
          body: '{"a":1}',
          expectStatus: [201],
        },
      ],
    });
    expect(config?.gate.thresholds).toEqual([
      { metric: 'p99', maxMs: 800, level: 10, request: 'items', phase: 'clean' },
      { metric: 'errorRate', maxRate: 0.001 },
      { metric: 'throughputRps', minRps: 50, level: 20 },
    ]);
  });

  it('fills in defaults for everything optional', () => {
    const { config, errors } = validateConfig({
      version: 1,
      service: { image: 'app:1', port: 80 },
      load: { levels: [2], requests: [{ name: 'home', path: '/' }] },
    });
    expect(errors).toEqual([]);
    expect(config).toEqual({
      version: 1,
      service: { image: 'app:1', env: {}, wait: { kind: 'port' }, startupTimeoutMs: 60_000, port: 80 },
      dependencies: {},
      load: {
        model: 'closed',
        levels: [2],
        levelDurationS: 20,
        warmupS: 5,
        requestTimeoutMs: 5000,
        requests: [{ name: 'home', method: 'GET', path: '/', weight: 1, headers: {} }],
      },
      gate: { thresholds: [] },
      upstreams: {},
      phases: [{ name: 'clean', toxics: {}, stubs: {} }],
      metrics: { preset: 'auto', labels: {}, pool: {}, sampleIntervalMs: 1000 },
      paired: { slotS: 10, warmupS: 3, blocks: 3, maxBlocks: 6 },
    });
  });

  it('parses compound and fractional durations, and rates as percentages or fractions', () => {
    const raw = validRaw();
    raw.load.levelDuration = '1m30s';
    raw.load.warmup = '0s';
    raw.load.requestTimeout = '1.5s';
    raw.gate.thresholds = [
      { metric: 'p95', max: '0.25s' },
      { metric: 'timeoutRate', max: 0.02 },
      { metric: 'http5xxRate', max: '10%' },
      { metric: 'max', max: '2m' },
    ];
    const { config, errors } = validateConfig(raw);
    expect(errors).toEqual([]);
    expect(config?.load).toMatchObject({ levelDurationS: 90, warmupS: 0, requestTimeoutMs: 1500 });
    expect(config?.gate.thresholds).toEqual([
      { metric: 'p95', maxMs: 250 },
      { metric: 'timeoutRate', maxRate: 0.02 },
      { metric: 'http5xxRate', maxRate: 0.1 },
      { metric: 'max', maxMs: 120_000 },
    ]);
  });

  it('reads the paired section, and names each bad paired setting', () => {
    const raw = validRaw() as ReturnType<typeof validRaw> & { paired?: unknown };
    raw.paired = { rate: 40, slot: '5s', warmup: '1s', blocks: 4, maxBlocks: 2 };
    expect(validateConfig(raw).config?.paired).toEqual({
      rate: 40,
      slotS: 5,
      warmupS: 1,
      blocks: 4,
      maxBlocks: 4,
    });
    const errors = errorsAfter((r) => {
      (r as typeof raw).paired = { rate: 0, slot: '0.5s', blocks: 0, every: 2 };
    });
    expectError(errors, 'paired.rate', 'above 0');
    expectError(errors, 'paired.slot', 'at least 1s');
    expectError(errors, 'paired.blocks', 'whole number of 1 or more');
    expect(errors.join('\n')).toMatch(/paired.*every/);
  });

  it('gives the open model a VU cap: the one written, or one derived from the top level', () => {
    const raw = validRaw();
    raw.load.model = 'open';
    expect(validateConfig(raw).config?.load.maxVUs).toBe(40);
    raw.load.maxVUs = 300;
    expect(validateConfig(raw).config?.load.maxVUs).toBe(300);
    raw.load.model = 'closed';
    delete raw.load.maxVUs;
    expect(validateConfig(raw).config?.load).not.toHaveProperty('maxVUs');
  });

  it('takes a script instead of requests, and does not check gate request names against it', () => {
    const raw = validRaw();
    delete raw.load.requests;
    raw.load.script = './load.js';
    const { config, errors } = validateConfig(raw);
    expect(errors).toEqual([]);
    expect(config?.load).toMatchObject({ script: './load.js', requests: [] });
  });

  it('takes the short forms: build as a folder, expectStatus as one code, env values as numbers and booleans', () => {
    const raw = validRaw();
    raw.service.build = './app';
    raw.service.env = { N: 5, B: true, F: 1.5 };
    raw.load.requests[0].expectStatus = 200;
    const { config, errors } = validateConfig(raw);
    expect(errors).toEqual([]);
    expect(config?.service?.build).toEqual({ context: './app', dockerfile: 'Dockerfile', args: {} });
    expect(config?.service?.env).toEqual({ N: '5', B: 'true', F: '1.5' });
    expect(config?.load.requests[0]?.expectStatus).toEqual([200]);
  });

  it('keeps a content-type the request sets itself', () => {
    const raw = validRaw();
    raw.load.requests[1].headers = { 'content-type': 'application/vnd.api+json' };
    expect(validateConfig(raw).config?.load.requests[1]?.headers).toEqual({
      'content-type': 'application/vnd.api+json',
    });
  });

  it('warns about settings that work but mislead', () => {
    const raw = validRaw();
    raw.load.levelDuration = '5s';
    raw.load.requestTimeout = '5s';
    raw.load.requests[0].body = 'x';
    const { config, warnings } = validateConfig(raw);
    expect(config).toBeDefined();
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/^load\.levelDuration: /);
    expect(warnings[1]).toMatch(/^load\.requestTimeout: /);
    expect(warnings[2]).toMatch(/^load\.requests\[0\]\.body: a GET request with a body/);
  });

  it('lets a container refer to itself and the service to itself', () => {
    const raw = validRaw();
    raw.dependencies.db.env.SELF = '${db.host}:${db.port}';
    raw.service.env.PORT = '${service.port}';
    expect(validateConfig(raw).errors).toEqual([]);
  });
});

describe('validateConfig: each problem names its path, what is wrong and what is allowed', () => {
  it('a wrong type', () => {
    const errors = errorsAfter((raw) => {
      raw.service.port = 'eighty';
      raw.load.levels = '1,2,3';
    });
    expectError(errors, 'service.port', '"eighty"', '1 to 65535');
    expectError(errors, 'load.levels', 'expected a list', '"1,2,3"');
  });

  it('unknown keys at several depths, with the allowed keys and a likely fix', () => {
    const errors = errorsAfter((raw) => {
      raw.servce = {};
      raw.service.imgae = 'x';
      raw.dependencies.db.wait.tmies = 2;
      raw.load.requests[1].header = {};
      raw.gate.thresholds[0].min = 5;
    });
    expectError(
      errors,
      'servce',
      'unknown setting',
      'did you mean "service"',
      'version, service, target, dependencies, load, gate',
    );
    expectError(errors, 'service.imgae', 'did you mean "image"', 'allowed in service: image, build');
    expectError(errors, 'dependencies.db.wait.tmies', 'did you mean "times"', 'http, log, times, port');
    expectError(errors, 'load.requests[1].header', 'did you mean "headers"');
    expectError(errors, 'gate.thresholds[0].min', 'unknown setting', 'metric, max, level, request, phase');
  });

  it('bad durations, with the fix for a bare number', () => {
    const errors = errorsAfter((raw) => {
      raw.load.levelDuration = 20;
      raw.load.warmup = '20';
      raw.load.requestTimeout = '2 seconds';
      raw.service.startupTimeout = '0.5s';
      raw.gate.thresholds[0].max = 800;
    });
    expectError(errors, 'load.levelDuration', '20 is not a duration', 'write "20s" or "20ms"');
    expectError(errors, 'load.warmup', '"20" is not a duration', 'write "20s" or "20ms"');
    expectError(errors, 'load.requestTimeout', '"2 seconds" is not a duration', '"900ms", "20s"');
    expectError(errors, 'service.startupTimeout', '0.5s is too short', 'at least 1s');
    expectError(errors, 'gate.thresholds[0].max', '800 is not a duration', '"800ms"');
  });

  it('bad percentages and fractions', () => {
    const errors = errorsAfter((raw) => {
      raw.gate.thresholds = [
        { metric: 'errorRate', max: 5 },
        { metric: 'errorRate', max: '0.5' },
        { metric: 'errorRate', max: '150%' },
        { metric: 'errorRate', max: 'lots' },
        { metric: 'errorRate', max: -0.1 },
      ];
    });
    expectError(errors, 'gate.thresholds[0].max', 'did you mean "5%"');
    expectError(errors, 'gate.thresholds[1].max', 'has no "%"', '"0.5%"');
    expectError(errors, 'gate.thresholds[2].max', '150% is more than 100%');
    expectError(
      errors,
      'gate.thresholds[3].max',
      '"lots" is not a rate',
      'percentage',
      'fraction between 0 and 1',
    );
    expectError(errors, 'gate.thresholds[4].max', '-0.1 is not a rate');
  });

  it('no service, no load, no version', () => {
    const errors = errorsAfter((raw) => {
      delete raw.service;
      delete raw.load;
      delete raw.version;
    });
    expectError(errors, 'service', 'required but missing', 'image:', 'port:');
    expectError(errors, 'load', 'required but missing', 'levels:');
    expectError(errors, 'version', 'required but missing', 'version: 1');
  });

  it('both build and image, and neither', () => {
    const errors = errorsAfter((raw) => {
      raw.service.image = 'app:1';
      delete raw.dependencies.db.image;
      raw.service.port = 0; // reported too: one problem does not hide another
    });
    expectError(errors, 'service', 'has both image and build', 'keep one');
    expectError(errors, 'dependencies.db', 'needs an image', 'or a Dockerfile');
    expectError(errors, 'service.port', '0 is not a port');
  });

  it('levels that do not rise, or are not positive whole numbers', () => {
    expectError(
      errorsAfter((raw) => {
        raw.load.levels = [1, 5, 5, 3];
      }),
      'load.levels[2]',
      '5 does not rise above the level before it (5)',
    );
    const errors = errorsAfter((raw) => {
      raw.load.levels = [0, 2.5];
    });
    expectError(errors, 'load.levels[0]', 'whole number of 1 or more', 'got 0');
    expectError(errors, 'load.levels[1]', 'got 2.5');
    expectError(
      errorsAfter((raw) => {
        raw.load.levels = [];
      }),
      'load.levels',
      'needs at least 1 item',
    );
  });

  it('gate references to an unknown request or a level not in the ladder', () => {
    const errors = errorsAfter((raw) => {
      raw.gate.thresholds[0].request = 'itmes';
      raw.gate.thresholds[2].level = 50;
    });
    expectError(
      errors,
      'gate.thresholds[0].request',
      '"itmes" is not the name of a request',
      'items, create',
    );
    expectError(errors, 'gate.thresholds[2].level', '50 is not one of load.levels [1, 5, 10, 20]');
  });

  it('duplicate request names', () => {
    const errors = errorsAfter((raw) => {
      raw.load.requests[1].name = 'items';
    });
    expectError(errors, 'load.requests[1].name', '"items" is already the name of load.requests[0]');
  });

  it('an env reference to an unknown container, a missing port, or a bad field', () => {
    const errors = errorsAfter((raw) => {
      raw.service.env.CACHE = 'redis://${cache.host}:${cache.port}';
      raw.service.env.DB = '${db.url}';
      raw.service.env.BROKEN = '${db.host';
      raw.dependencies.worker = { image: 'w:1', env: { UP: '${service.host}' } };
      raw.dependencies.db.env.W = '${worker.port}';
    });
    expectError(
      errors,
      'service.env.CACHE',
      '"cache", which is not a dependency',
      'the dependencies are db, worker',
    );
    expectError(errors, 'service.env.DB', 'asks for "url"', '${db.host} or ${db.port}');
    expectError(errors, 'service.env.BROKEN', 'no closing "}"');
    expectError(
      errors,
      'dependencies.worker.env.UP',
      'refers to the service, which starts after its dependencies',
    );
    expectError(errors, 'dependencies.db.env.W', 'worker has no ports', 'dependencies.worker.ports');
  });

  it('a cycle among dependencies, naming every reference in it', () => {
    const errors = errorsAfter((raw) => {
      raw.dependencies.db.env.CACHE_HOST = '${cache.host}';
      raw.dependencies.cache = { image: 'redis:7', ports: [6379], env: { QUEUE: '${queue.host}' } };
      raw.dependencies.queue = { image: 'rabbitmq:3', ports: [5672], env: { DB: 'postgres://${db.host}/x' } };
    });
    expectError(
      errors,
      'dependencies.db.env.CACHE_HOST',
      'cycle db → cache → queue → db',
      'dependencies.db.env.CACHE_HOST refers to cache',
      'dependencies.cache.env.QUEUE refers to queue',
      'dependencies.queue.env.DB refers to db',
    );
    expect(errors).toHaveLength(1);
  });

  it('bad enum values, with the allowed values and a likely fix', () => {
    const errors = errorsAfter((raw) => {
      raw.load.model = 'Open';
      raw.load.requests[0].method = 'FETCH';
      raw.gate.thresholds[0].metric = 'p995';
    });
    expectError(errors, 'load.model', '"Open" is not allowed', 'did you mean open', 'one of closed, open');
    expectError(errors, 'load.requests[0].method', 'GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS');
    expectError(errors, 'gate.thresholds[0].metric', 'p50, p90, p95, p99, max, errorRate', 'throughputRps');
  });

  it('open-model settings in the closed model, and script with requests', () => {
    const errors = errorsAfter((raw) => {
      raw.load.maxVUs = 100;
      raw.load.script = 'x.js';
    });
    expectError(errors, 'load.maxVUs', 'applies only to model: open');
    expectError(errors, 'load.script', 'either script or requests');
    expectError(
      errorsAfter((raw) => {
        delete raw.load.requests;
      }),
      'load.requests',
      'required unless load.script is given',
    );
  });

  it('bad names: dependency, request, env variable', () => {
    const errors = errorsAfter((raw) => {
      raw.dependencies.Postgres_DB = { image: 'postgres' };
      raw.dependencies.service = { image: 'x' };
      raw.load.requests[0].name = 'list items';
      raw.service.env['1X'] = 'a';
    });
    expectError(errors, 'dependencies.Postgres_DB', 'not a valid dependency name', 'lowercase letters');
    expectError(errors, 'dependencies.service', 'the name of the service under test');
    expectError(errors, 'load.requests[0].name', '"list items" is not allowed', 'letters, digits');
    expectError(errors, 'service.env["1X"]', 'not starting with a digit');
  });

  it('a wait that names no strategy or two, and times without log', () => {
    const errors = errorsAfter((raw) => {
      raw.service.wait = { http: '/health', port: true, times: 3 };
      raw.dependencies.db.wait = {};
    });
    expectError(errors, 'service.wait', 'names http and port');
    expectError(errors, 'service.wait.times', 'applies only with log');
    expectError(errors, 'dependencies.db.wait', 'names no way to wait', '{ http: /health }');
  });

  it('values that are not even mappings', () => {
    expect(validateConfig(null).errors).toEqual([
      '(top level): the config is empty; it needs at least version: 1, service (or target) and load',
    ]);
    expect(validateConfig(['a']).errors).toEqual([
      '(top level): expected a mapping (key: value), got a list',
    ]);
    const errors = errorsAfter((raw) => {
      raw.dependencies = ['db'];
      raw.gate.thresholds = { metric: 'p99' };
      raw.service.env = null;
    });
    expectError(errors, 'dependencies', 'expected a mapping', 'got a list');
    expectError(errors, 'gate.thresholds', 'expected a list', 'got a mapping');
    expectError(errors, 'service.env', 'expected a mapping', 'null');
  });

  it('reports every problem at once, across sections', () => {
    const errors = errorsAfter((raw) => {
      raw.version = 2;
      raw.service.port = 'x';
      raw.load.levels = [2, 1];
      raw.gate.thresholds[0].request = 'nope';
      raw.service.env.X = '${nope.host}';
    });
    expect(errors.map((e) => e.slice(0, e.indexOf(': ')))).toEqual(
      expect.arrayContaining([
        'version',
        'service.port',
        'load.levels[1]',
        'gate.thresholds[0].request',
        'service.env.X',
      ]),
    );
  });
});
