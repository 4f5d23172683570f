import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { buildLadderPlan } from '../load/plan.ts';
import { type K6OperatorInput, k6OperatorManifests } from './k6Operator.ts';
import { k6Segment } from './segments.ts';

// k6-operator's own TestRun schema (vendor/k6-operator: v1.6.0's CRD, Apache-2.0).
const crdSchema = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '..', '..', 'vendor', 'k6-operator', 'testrun.v1alpha1.schema.json'),
    'utf8',
  ),
) as Record<string, unknown>;

/**
 * The CRD's schema as Kubernetes' strict field validation applies it (kubectl's default): an
 * object that lists its properties takes no others, unless it preserves unknown fields.
 */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, strict(v)]))
        : strict(value);
  }
  if (
    out.properties !== undefined &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  )
    out.additionalProperties = false;
  return out;
}

const { $comment: _source, ...schema } = crdSchema;
// the schema's own x-kubernetes-* keywords are Kubernetes', unknown to ajv
const validate = new Ajv({ strict: false, allErrors: true }).compile(strict(schema) as object);

function input(overrides: Partial<K6OperatorInput> = {}): K6OperatorInput {
  return {
    name: 'checkout-load',
    namespace: 'perf',
    parallelism: 4,
    image: 'grafana/k6:2.2.0',
    k6Version: '2.2.0',
    volumeClaim: 'loadgate-parts',
    plan: buildLadderPlan({
      baseUrl: 'https://staging.example.com',
      model: 'open',
      levels: [100, 400],
      levelDurationS: 20,
      warmupS: 5,
      requestTimeoutMs: 2000,
      requests: [{ name: 'items', path: '/items' }],
      probe: { path: '/health', ratePerS: 5, idleS: 3 },
    }),
    configHash: '0123456789abcdef',
    targetHeaders: true,
    scripts: { ladder: '// ladder', contract: '// contract' },
    ...overrides,
  };
}

describe('loadgate k6-operator', () => {
  it("writes a TestRun that k6-operator's CRD schema accepts, strictly", () => {
    const { testRun } = k6OperatorManifests(input());
    const ok = validate(testRun);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(testRun).toMatchObject({
      apiVersion: 'k6.io/v1alpha1',
      kind: 'TestRun',
      spec: { parallelism: 4, script: { configMap: { name: 'checkout-load-script', file: 'ladder.ts' } } },
    });
  });

  it('the validation is no formality: a misspelled field or a wrong type is refused', () => {
    const { testRun } = k6OperatorManifests(input());
    const spec = (testRun as { spec: Record<string, unknown> }).spec;
    expect(validate({ ...testRun, spec: { ...spec, paralelism: 4 } })).toBe(false);
    expect(validate({ ...testRun, spec: { ...spec, parallelism: '4' } })).toBe(false);
    const { script: _script, ...noScript } = spec;
    expect(validate({ ...testRun, spec: noScript })).toBe(false);
  });

  it('a user script runs through its wrapper, and headers are left out when the target has none', () => {
    const plan = { ...input().plan, script: 'user' as const, requests: [] };
    const { testRun, configMap, headersSecret } = k6OperatorManifests(
      input({
        plan,
        targetHeaders: false,
        scripts: { ladder: 'l', contract: 'c', user: 'export default function () {}' },
      }),
    );
    expect(validate(testRun)).toBe(true);
    expect(headersSecret).toBeNull();
    const data = (configMap as { data: Record<string, string> }).data;
    expect(Object.keys(data).sort()).toEqual([
      'contract.ts',
      'k6-plan.json',
      'k6-user-wrapper.js',
      'ladder.ts',
      'user-script.js',
    ]);
    expect(data['k6-user-wrapper.js']).toContain('import * as user from "file:///test/user-script.js";');
    const env = (testRun as { spec: { runner: { env: { name: string }[] } } }).spec.runner.env.map(
      (e) => e.name,
    );
    expect(env).not.toContain('LOADGATE_TARGET_HEADERS');
  });

  it("lays the segments out as k6-operator gives them, and keeps the target's headers in a Secret", () => {
    const { testRun, configMap, headersSecret, segments } = k6OperatorManifests(input());
    expect(segments).toEqual(
      [1, 2, 3, 4].map((i) => ({
        runner: `checkout-load-${i}`,
        executionSegment: k6Segment({ index: i, count: 4 }).executionSegment,
      })),
    );
    expect(headersSecret).toBe('checkout-load-target-headers');
    const text = JSON.stringify({ testRun, configMap });
    expect(text).toContain('"secretKeyRef":{"name":"checkout-load-target-headers","key":"headers.json"}');
    // the ConfigMap: names Kubernetes accepts, under its 1 MiB
    const data = (configMap as { data: Record<string, string> }).data;
    for (const key of Object.keys(data)) expect(key).toMatch(/^[-._a-zA-Z0-9]+$/);
    expect(Buffer.byteLength(JSON.stringify(data))).toBeLessThan(1024 * 1024);
    expect(JSON.parse(data['k6-plan.json'] as string)).toEqual(input().plan);
  });

  it('refuses names Kubernetes would refuse', () => {
    expect(() => k6OperatorManifests(input({ name: 'Load_Test' }))).toThrow(ConfigError);
    expect(() => k6OperatorManifests(input({ name: 'x'.repeat(51) }))).toThrow(/at most 50 characters/);
    expect(() => k6OperatorManifests(input({ volumeClaim: 'Parts' }))).toThrow(/PersistentVolumeClaim/);
  });
});
