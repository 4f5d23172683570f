// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name.host} is the config's own reference syntax
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { countReliability } from '../../test/helpers/reliability.ts';
import { applyOverrides } from './overrides.ts';
import { configHash } from './read.ts';
import { networkAddresses, resolveEnv, startOrder } from './refs.ts';
import { CONFIG_LIMITS } from './schema.ts';
import { validRaw } from './testConfigs.ts';
import { plannedLoadS, validateConfig } from './validate.ts';

/** `path: message` on one line, the path as formatPath writes it. */
const KEY = String.raw`(?:[A-Za-z_][A-Za-z0-9_-]*|\["(?:[^"\\]|\\.)*"\])`;
const ERROR_LINE = new RegExp(
  String.raw`^(?:\(top level\)|${KEY}(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*): \S[^\n]*$`,
);

/** What must hold for any input: no throw; either a config or errors, each a path and a message. */
const fuzzed = { configs: 0, rejected: 0 };

function checkInvariants(raw: unknown): void {
  const result = validateConfig(raw);
  fuzzed.configs++;
  if (result.config) {
    expect(result.errors).toEqual([]);
    // A config that passed can be used: its references resolve, its dependencies have a start order.
    const { service, dependencies } = result.config;
    // a deployed target has no service and no dependencies to resolve
    const addresses = networkAddresses(service ?? { port: 0 }, dependencies);
    if (service) resolveEnv(service.env, addresses);
    for (const dependency of Object.values(dependencies)) resolveEnv(dependency.env, addresses);
    expect(startOrder(dependencies)).toHaveLength(Object.keys(dependencies).length);
    expect(configHash(result.config)).toMatch(/^[0-9a-f]{16}$/);
    // Within its bounds: no number JSON cannot hold (Infinity would be written as null), a ladder
    // of at most the allowed levels, and a plan no longer than a run may take.
    expect(JSON.parse(JSON.stringify(result.config))).toEqual(result.config);
    expect(result.config.load.levels.length).toBeLessThanOrEqual(CONFIG_LIMITS.levels);
    expect(plannedLoadS(result.config)).toBeLessThanOrEqual(CONFIG_LIMITS.planS);
  } else {
    fuzzed.rejected++;
    expect(result.errors.length).toBeGreaterThan(0);
    for (const error of result.errors) expect(error).toMatch(ERROR_LINE);
  }
}

/** Every path into a value: the places a mutation can hit. */
function pathsIn(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push(...pathsIn(item, [...prefix, i]));
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) out.push(...pathsIn(item, [...prefix, key]));
  }
  return out;
}

const VALID_PATHS = pathsIn(validRaw()).filter((path) => path.length > 0);

/** Durations past their bounds: too long to be a number, past a day, an hour, a plan. */
const outOfRangeDuration = fc.oneof(
  fc.constantFrom('1e400s', '25h', '61m', '31m', '11m', `${'9'.repeat(400)}h`, `1${'0'.repeat(309)}ms`),
  fc.bigInt({ min: 10n ** 6n, max: 10n ** 400n }).map((n) => `${n}s`),
  fc.integer({ min: 2, max: 10_000 }).map((h) => `${h}h`),
);

/** Long lists, around and far past the bounds (levels, requests, phases, thresholds). */
const largeArray = fc.oneof(
  fc.integer({ min: 90, max: 3_000 }).map((n) => Array.from({ length: n }, (_, i) => i + 1)),
  fc.array(fc.integer({ min: -5, max: 1_000_000 }), { minLength: 90, maxLength: 1_000 }),
  fc
    .integer({ min: 90, max: 400 })
    .map((n) => Array.from({ length: n }, (_, i) => ({ name: `r${i}`, path: '/' }))),
);

const scalar = fc.oneof(
  outOfRangeDuration,
  fc.constantFrom(
    '20s',
    '900ms',
    '0.1%',
    '5%',
    '${db.host}',
    '${nope.port}',
    '${db',
    '/health',
    'open',
    'GET',
    'p99',
    '',
  ),
  fc.string(),
  fc.integer({ min: -10, max: 70000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.oneof(
  scalar,
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(scalar, { maxLength: 4 }),
  fc.dictionary(fc.string(), scalar),
  largeArray,
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.string(), value }),
);

type Mutation = { kind: 'replace' | 'delete' | 'add'; at: number; key?: string; value?: unknown };

function mutate(mutations: Mutation[]): unknown {
  let raw: unknown = validRaw();
  for (const m of mutations as {
    kind: 'replace' | 'delete' | 'add';
    at: number;
    key?: string;
    value?: unknown;
  }[]) {
    const path = VALID_PATHS[m.at % VALID_PATHS.length] as (string | number)[];
    const parent = path
      .slice(0, -1)
      .reduce<unknown>((node, segment) => (node as Record<string, unknown> | null)?.[segment as string], raw);
    if (parent === null || typeof parent !== 'object') continue;
    const last = path[path.length - 1] as string | number;
    const container = parent as Record<string | number, unknown>;
    if (m.kind === 'replace') container[last] = m.value;
    else if (m.kind === 'delete') {
      if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
      else delete container[last];
    } else if (
      container[last] !== null &&
      typeof container[last] === 'object' &&
      !Array.isArray(container[last])
    ) {
      (container[last] as Record<string, unknown>)[m.key as string] = m.value;
    }
    raw = structuredClone(raw);
  }
  return raw;
}

// Thousands of documents per property: minutes of CPU on a busy 2-core machine are possible.
describe('validateConfig on generated documents', { timeout: 120_000 }, () => {
  afterAll(() => {
    countReliability('configsFuzzed', fuzzed.configs, 'configs');
    countReliability('configsRejected', fuzzed.rejected, 'configs');
  });

  it('never throws on arbitrary JSON-like values, and words every rejection as path: message', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue({ maxDepth: 5 }), fc.object({ maxDepth: 4 }), fc.anything({ maxDepth: 3 })),
        (raw) => {
          checkInvariants(raw);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on valid configs with parts replaced, deleted or added, and words every rejection as path: message', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        checkInvariants(mutate(mutations));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps every config within its bounds: long ladders, many phases, durations in and out of range', () => {
    const duration = fc.oneof(
      fc.integer({ min: 0, max: 7_200 }).map((s) => `${s}s`),
      fc.integer({ min: 0, max: 90 }).map((m) => `${m}m`),
      outOfRangeDuration,
    );
    const ladder = fc
      .oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 300, max: 20_000 }))
      .map((n) => Array.from({ length: n }, (_, i) => i + 1));
    fc.assert(
      fc.property(
        ladder,
        duration,
        duration,
        duration,
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('closed', 'open'),
        (levels, levelDuration, warmup, requestTimeout, phaseCount, model) => {
          const raw = validRaw();
          Object.assign(raw.load, { levels, levelDuration, warmup, requestTimeout, model });
          raw.phases = Array.from({ length: phaseCount }, (_, i) => `p${i}`);
          raw.gate.thresholds = [];
          checkInvariants(raw);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('never throws on arbitrary overrides, and names the override in each problem', () => {
    const override = fc.oneof(
      fc.string(),
      fc
        .tuple(
          fc.constantFrom(
            ...VALID_PATHS.map((p) =>
              p
                .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
                .join('')
                .slice(1),
            ),
          ),
          fc.string(),
        )
        .map(([path, v]) => `${path}=${v}`),
    );
    fc.assert(
      fc.property(fc.array(override, { maxLength: 4 }), (overrides) => {
        const { value, errors } = applyOverrides(validRaw(), overrides);
        for (const error of errors) expect(error).toMatch(/^override ".*": \S/s);
        checkInvariants(value);
      }),
      { numRuns: 1500 },
    );
  });
});
