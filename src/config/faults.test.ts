// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name.host} is the config's own reference syntax
import { describe, expect, it } from 'vitest';
import { proxiedNames, referableContainers } from './faults.ts';
import { startOrder } from './refs.ts';
import { validRaw } from './testConfigs.ts';
import { validateConfig } from './validate.ts';

/** The valid test config with a stub upstream, a container upstream and three phases. */
function faultyRaw() {
  const raw = validRaw();
  raw.service.env.PAYMENTS_URL = 'http://${payments.host}:${payments.port}/v1';
  raw.service.env.QUOTE_URL = 'http://${quote.host}:${quote.port}/quote';
  raw.dependencies.db.proxied = true;
  raw.upstreams = {
    payments: {
      stub: {
        routes: [
          { path: '/v1/charge', method: 'POST', status: 201, body: { id: 'ch_1' } },
          { path: '/v1/*', body: 'ok', headers: { 'Content-Type': 'text/plain' } },
        ],
        latency: { lognormal: { p50: '100ms', p99: '400ms' } },
        errors: [{ status: 503, rate: '2%' }],
      },
    },
    quote: {
      build: { context: '.' },
      ports: [8080],
      env: { DB: '${db.host}' },
      wait: { http: '/health' },
    },
  };
  raw.phases = [
    'clean',
    {
      name: 'degraded',
      toxics: {
        quote: [{ type: 'latency', latency: '780ms', jitter: '20ms' }],
        db: [{ type: 'bandwidth', rate: 64, stream: 'upstream', toxicity: '50%' }, { type: 'down' }],
      },
      stubs: { payments: { latency: { fixed: '900ms' }, errors: [{ status: 503, rate: 0.1 }] } },
    },
    'recovery',
  ];
  return raw;
}

describe('upstreams, phases and the probe in the config', () => {
  it('normalizes stubs, container upstreams, toxics and phases', () => {
    const { config, errors } = validateConfig(faultyRaw());
    expect(errors).toEqual([]);
    expect(config?.upstreams.payments).toEqual({
      kind: 'stub',
      ports: [8080],
      env: {},
      stub: {
        routes: [
          {
            path: '/v1/charge',
            prefix: false,
            method: 'POST',
            status: 201,
            headers: { 'Content-Type': 'application/json' },
            body: '{"id":"ch_1"}',
          },
          {
            path: '/v1/',
            prefix: true,
            method: null,
            status: 200,
            headers: { 'Content-Type': 'text/plain' },
            body: 'ok',
          },
        ],
        latency: { kind: 'lognormal', p50Ms: 100, p99Ms: 400 },
        errors: [{ status: 503, rate: 0.02 }],
      },
    });
    expect(config?.upstreams.quote).toMatchObject({
      kind: 'container',
      build: { context: '.' },
      ports: [8080],
      env: { DB: '${db.host}' },
      wait: { kind: 'http', path: '/health' },
      startupTimeoutMs: 60_000,
    });
    expect(config?.phases).toEqual([
      { name: 'clean', toxics: {}, stubs: {} },
      {
        name: 'degraded',
        toxics: {
          quote: [{ type: 'latency', latencyMs: 780, jitterMs: 20, stream: 'downstream', toxicity: 1 }],
          db: [
            { type: 'bandwidth', kilobytesPerSecond: 64, stream: 'upstream', toxicity: 0.5 },
            { type: 'down' },
          ],
        },
        stubs: { payments: { latency: { kind: 'fixed', ms: 900 }, errors: [{ status: 503, rate: 0.1 }] } },
      },
      { name: 'recovery', toxics: {}, stubs: {} },
    ]);
    expect(config?.dependencies.db?.proxied).toBe(true);
  });

  it('references reach upstreams; they start after what they refer to', () => {
    const { config } = validateConfig(faultyRaw());
    if (!config) throw new Error('expected a config');
    expect(proxiedNames(config)).toEqual(['db', 'payments', 'quote']);
    expect(startOrder(referableContainers(config))).toEqual(['db', 'payments', 'quote']);
  });

  it('defaults: a stub answers {} everywhere at once; the phases are [clean]', () => {
    const raw = validRaw();
    raw.upstreams = { api: { stub: {} } };
    const { config, errors } = validateConfig(raw);
    expect(errors).toEqual([]);
    expect(config?.upstreams.api).toMatchObject({
      stub: {
        routes: [{ path: '/', prefix: true, method: null, status: 200, body: '{}' }],
        latency: { kind: 'fixed', ms: 0 },
        errors: [],
      },
    });
    expect(config?.phases).toEqual([{ name: 'clean', toxics: {}, stubs: {} }]);
  });

  it('reads the probe with its defaults and rates as numbers or "n/s"', () => {
    const raw = validRaw();
    raw.load.probe = { path: '/health' };
    expect(validateConfig(raw).config?.load.probe).toEqual({ path: '/health', ratePerS: 5, idleS: 3 });
    raw.load.probe = { path: '/ping', rate: '20/s', idle: '0s' };
    expect(validateConfig(raw).config?.load.probe).toEqual({ path: '/ping', ratePerS: 20, idleS: 0 });
  });

  it('reports every problem with its path', () => {
    const raw = faultyRaw();
    raw.upstreams.db = { stub: {}, env: { A: '1' } };
    raw.upstreams.payments.stub.latency = { uniform: { min: '200ms', max: '100ms' } };
    raw.upstreams.payments.stub.errors = [
      { status: 503, rate: '60%' },
      { status: 500, rate: '50%' },
    ];
    raw.upstreams.quote.ports = [];
    raw.dependencies.cache = { image: 'redis:7', proxied: true };
    raw.phases[1].toxics.cach = [{ type: 'latency', latency: '1s' }];
    raw.phases[1].toxics.quote.push({ type: 'jitter', latency: '1s' });
    raw.phases[1].stubs.quote = { latency: { fixed: '1s' } };
    raw.phases.push('clean', 'a__b');
    raw.load.probe = { path: 'health', rate: '5/min' };
    const { errors } = validateConfig(raw);
    expect(errors).toEqual(
      expect.arrayContaining([
        'dependencies.cache.proxied: needs a port to stand in front of; list it in ports, e.g. [5432]',
        'upstreams.db.env: applies only to a container; a stub takes its settings under stub: (it listens on 8080)',
        'upstreams.payments.stub.latency.uniform: min is above max; write the shorter wait as min',
        'upstreams.payments.stub.errors: the shares add up to 110%; at most 100%',
        'upstreams.quote.ports: list the port the service calls, e.g. [8080]: Toxiproxy stands in front of the first one',
        expect.stringMatching(/^phases\[1\]\.toxics\.quote\[1\]\.type: "jitter" is not allowed/),
        'phases[3]: "clean" is already the name of phases[0]; phase names must be unique',
        expect.stringMatching(/^phases\[4\]: "a__b" is not allowed/),
        expect.stringMatching(/^load\.probe\.path: "health" is not allowed/),
        expect.stringMatching(/^load\.probe\.rate: "5\/min" is not a probe rate/),
      ]),
    );
  });

  it('checks fault targets and names across sections', () => {
    const raw = faultyRaw();
    raw.upstreams.db = { stub: {} };
    raw.phases[1].toxics.cache = [{ type: 'down' }];
    raw.phases[1].stubs.quote = { latency: { fixed: '1s' } };
    raw.dependencies.db.proxied = false;
    const { errors } = validateConfig(raw);
    expect(errors).toEqual([
      'upstreams.db: "db" is also the name of a dependency; containers are reached by name, so each needs its own',
      'phases[1].toxics.cache: "cache" has no proxy in front; toxics apply to upstreams and to dependencies with proxied: true (here: payments, quote, db)',
      'phases[1].stubs.quote: "quote" is not a stub upstream; the stubs are payments, db',
    ]);
  });

  it('a gate threshold scoped to a phase that does not run', () => {
    const raw = faultyRaw();
    raw.gate.thresholds.push({ metric: 'p95', max: '1s', phase: 'degrded' });
    expect(validateConfig(raw).errors).toEqual([
      'gate.thresholds[3].phase: "degrded" is not a phase (did you mean degraded?); the phases are clean, degraded, recovery',
    ]);
  });

  it('an env reference to an unknown upstream is reported like one to a dependency', () => {
    const raw = faultyRaw();
    raw.service.env.QUOTE_URL = 'http://${qoute.host}/';
    expect(validateConfig(raw).errors).toEqual([
      'service.env.QUOTE_URL: ${qoute.host} refers to "qoute", which is not a dependency (did you mean quote?); the dependencies are db, payments, quote (and service)',
    ]);
  });
});
