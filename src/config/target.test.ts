import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { requireService, requireTarget } from './target.ts';
import { validRaw } from './testConfigs.ts';
import { validateConfig } from './validate.ts';

/** The valid test config turned into one that drives a deployed target. */
function targetRaw() {
  const raw = validRaw();
  delete raw.service;
  delete raw.dependencies;
  raw.target = { url: 'https://staging.example.com/api', headers: { Authorization: 'Bearer t0ken' } };
  return raw;
}

describe('target: a service already deployed', () => {
  it('takes the place of service, with its headers as text', () => {
    const raw = targetRaw();
    raw.target.headers['X-Build'] = 42;
    const { config, errors } = validateConfig(raw);
    expect(errors).toEqual([]);
    expect(config?.target).toEqual({
      url: 'https://staging.example.com/api',
      headers: { Authorization: 'Bearer t0ken', 'X-Build': '42' },
    });
    expect(config?.service).toBeUndefined();
    expect(() => requireService(config as NonNullable<typeof config>, 'paired mode')).toThrow(
      /paired mode needs service: .*deployed target/,
    );
    expect(requireTarget(config as NonNullable<typeof config>, '--segment').url).toBe(
      'https://staging.example.com/api',
    );
  });

  it('needs exactly one of service and target', () => {
    const neither = targetRaw();
    delete neither.target;
    expect(validateConfig(neither).errors).toEqual([
      expect.stringMatching(/^service: required but missing; .*or target: \{ url: .* already deployed$/),
    ]);
    const both = validRaw();
    both.target = { url: 'http://127.0.0.1:8000' };
    expect(validateConfig(both).errors).toEqual([
      'target: give either service (loadgate starts it in a container) or target (a service already deployed), not both',
    ]);
  });

  it('starts no containers: dependencies, upstreams, toxics and stub phases are refused, naming why', () => {
    const raw = targetRaw();
    raw.dependencies = { db: { image: 'postgres:15', ports: [5432] } };
    raw.upstreams = { quote: { stub: {} } };
    raw.phases = [
      'clean',
      { name: 'degraded', toxics: { quote: [{ type: 'latency', latency: '500ms' }] } },
      { name: 'flaky', stubs: { quote: { errors: [{ status: 503, rate: '5%' }] } } },
    ];
    const { errors } = validateConfig(raw);
    expect(errors).toContain(
      'dependencies: a target is already deployed and loadgate starts no containers, so no dependencies either; remove them (the target reaches its own)',
    );
    expect(errors).toContainEqual(
      expect.stringMatching(/^upstreams: a target is already deployed .* Toxiproxy/),
    );
    expect(errors).toContainEqual(
      expect.stringMatching(/^phases\[1\]\.toxics: .*cannot slow or break the target's upstreams/),
    );
    expect(errors).toContainEqual(expect.stringMatching(/^phases\[2\]\.stubs: /));
    // phases by name alone are the same ladder again: allowed
    const plain = targetRaw();
    plain.phases = ['clean', 'again'];
    expect(validateConfig(plain).errors).toEqual([]);
  });

  it('takes only http(s) URLs without credentials, query or fragment, and header names that are tokens', () => {
    const problems = (url: unknown) => {
      const raw = targetRaw();
      raw.target.url = url;
      return validateConfig(raw).errors;
    };
    expect(problems('staging.example.com')).toEqual([
      expect.stringMatching(/^target\.url: "staging\.example\.com" is not a URL; write e\.g\. https:/),
    ]);
    expect(problems('ftp://example.com')).toEqual([
      "target.url: ftp: is not supported; the target's URL must start with http:// or https://",
    ]);
    expect(problems('https://user:secret@example.com')).toEqual([
      'target.url: holds credentials; give them as a header (target.headers), which is never printed',
    ]);
    expect(problems('https://example.com/?a=1')).toEqual([
      'target.url: may not have a query or fragment: paths are appended to it',
    ]);
    expect(problems(8080)).toEqual([expect.stringMatching(/^target\.url: expected a URL, got /)]);
    const raw = targetRaw();
    raw.target.headers = { 'Bad Header': 'x' };
    expect(validateConfig(raw).errors).toEqual([
      'target.headers["Bad Header"]: "Bad Header" is not allowed; a header name has letters, digits and !#$%&\'*+-.^_`|~ only, e.g. Authorization',
    ]);
  });

  it('a config that starts its own service cannot run as a segment', () => {
    const { config } = validateConfig(validRaw());
    expect(() => requireTarget(config as NonNullable<typeof config>, '--segment')).toThrow(ConfigError);
  });
});
