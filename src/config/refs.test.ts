// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name.host} is the config's own reference syntax
import { describe, expect, it } from 'vitest';
import {
  checkReferences,
  envRefs,
  networkAddresses,
  parseEnvTemplate,
  resolveEnv,
  startOrder,
} from './refs.ts';

const container = (env: Record<string, string> = {}, ports: number[] = [1]) => ({ env, ports });

describe('parseEnvTemplate', () => {
  it('splits text and references, with $${ as a literal ${', () => {
    expect(parseEnvTemplate('postgres://${db.host}:${db.port}/app?x=$${y}')).toEqual({
      parts: [
        'postgres://',
        { name: 'db', field: 'host' },
        ':',
        { name: 'db', field: 'port' },
        '/app?x=${y}',
      ],
      problems: [],
    });
    expect(parseEnvTemplate('$HOME and $$ stay')).toEqual({ parts: ['$HOME and $$ stay'], problems: [] });
  });

  it('reports every malformed reference', () => {
    const { problems } = parseEnvTemplate('${db} ${db.url} ${db.host');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('"${db}" is not a reference');
    expect(problems[1]).toContain('asks for "url"');
    expect(problems[2]).toContain('no closing "}"');
  });
});

describe('resolveEnv', () => {
  it('replaces references from the map it is given, and only there', () => {
    const env = { URL: 'postgres://${db.host}:${db.port}/app', LIT: 'a$${b}', PLAIN: 'x' };
    expect(resolveEnv(env, { db: { host: 'db', port: 5432 } })).toEqual({
      URL: 'postgres://db:5432/app',
      LIT: 'a${b}',
      PLAIN: 'x',
    });
    // Behind a proxy the same env resolves to the proxy's address.
    expect(resolveEnv(env, { db: { host: 'toxiproxy', port: 8666 } }).URL).toBe(
      'postgres://toxiproxy:8666/app',
    );
  });

  it('throws on a name the map lacks (validation rejects those first)', () => {
    expect(() => resolveEnv({ A: '${cache.host}' }, {})).toThrow(/cache\.host/);
    expect(() => resolveEnv({ A: '${constructor.host}' }, {})).toThrow();
    expect(() => resolveEnv({ A: '${db.port}' }, { db: { host: 'db' } })).toThrow(/db\.port/);
  });

  it('resolves with the network addresses: dependencies by name and first port, the service as "service"', () => {
    const addresses = networkAddresses(
      { port: 8000 },
      { db: { ports: [5432, 5433] }, worker: { ports: [] } },
    );
    expect(addresses).toEqual({
      service: { host: 'service', port: 8000 },
      db: { host: 'db', port: 5432 },
      worker: { host: 'worker' },
    });
    expect(resolveEnv({ A: '${db.host}:${db.port} ${service.port}' }, addresses)).toEqual({
      A: 'db:5432 8000',
    });
  });
});

describe('startOrder', () => {
  it('starts each dependency after those its env refers to, otherwise in declaration order', () => {
    const deps = {
      app2: container({ DB: '${db.host}', CACHE: '${cache.host}' }),
      cache: container(),
      db: container({ SELF: '${db.host}', CACHE: '${cache.port}' }),
      mail: container(),
    };
    expect(startOrder(deps)).toEqual(['cache', 'db', 'app2', 'mail']);
    expect(startOrder({})).toEqual([]);
    expect(startOrder({ b: container(), a: container() })).toEqual(['b', 'a']);
  });

  it('throws on a cycle (validation rejects those first)', () => {
    expect(() => startOrder({ a: container({ X: '${b.host}' }), b: container({ X: '${a.host}' }) })).toThrow(
      /cycle/,
    );
  });
});

describe('checkReferences', () => {
  it('finds each cycle once, with every reference in it, and nothing for a self-reference', () => {
    const deps = {
      a: container({ TO_B: '${b.host}' }),
      b: container({ TO_A: '${a.host}', SELF: '${b.port}' }),
      c: container({ TO_D: '${d.host}' }),
      d: container({ TO_E: '${e.host}' }),
      e: container({ TO_C: '${c.port}', TO_A: '${a.host}' }),
      f: container({ SELF: '${f.host}' }),
    };
    const issues = checkReferences(undefined, deps);
    expect(issues.map((issue) => issue.path.join('.'))).toEqual([
      'dependencies.a.env.TO_B',
      'dependencies.c.env.TO_D',
    ]);
    expect(issues[0]?.message).toContain('cycle a → b → a');
    expect(issues[1]?.message).toContain('cycle c → d → e → c');
    expect(issues[1]?.message).toContain('dependencies.e.env.TO_C refers to c');
  });

  it('lists references in the order written', () => {
    expect(envRefs({ A: '${x.host}${y.port}', B: '${z.host}' })).toEqual([
      { key: 'A', ref: { name: 'x', field: 'host' } },
      { key: 'A', ref: { name: 'y', field: 'port' } },
      { key: 'B', ref: { name: 'z', field: 'host' } },
    ]);
  });
});
