// biome-ignore-all lint/suspicious/noExplicitAny: a JSON Schema is walked as plain JSON
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from './jsonSchema.ts';
import { DURATION_PATTERN, PERCENT_PATTERN } from './units.ts';

type Schema = Record<string, any>;

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as Schema;

  it('is the same every time', () => {
    expect(JSON.stringify(configJsonSchema())).toBe(JSON.stringify(schema));
  });

  it('describes what users write: strict mappings, durations and rates as text with a pattern', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(['version', 'load']);
    // a service to start, or a deployed target: exactly one
    expect(schema.oneOf).toEqual([{ required: ['service'] }, { required: ['target'] }]);
    expect(schema.additionalProperties).toBe(false);
    const load = schema.properties.load;
    expect(load.additionalProperties).toBe(false);
    expect(load.properties.levelDuration).toMatchObject({
      type: 'string',
      pattern: DURATION_PATTERN,
      default: '20s',
    });
    expect(load.properties.model.enum).toEqual(['closed', 'open']);
    const [latency, rate, throughput] = schema.properties.gate.properties.thresholds.items.oneOf as Schema[];
    expect(latency?.properties.max.pattern).toBe(DURATION_PATTERN);
    expect(rate?.properties.max.anyOf).toEqual([
      { type: 'number', minimum: 0, maximum: 1 },
      { type: 'string', pattern: PERCENT_PATTERN },
    ]);
    expect(throughput?.required).toEqual(['metric', 'min']);
  });

  it('says image or build, and one way to wait', () => {
    expect(schema.properties.service.oneOf).toEqual([{ required: ['image'] }, { required: ['build'] }]);
    expect(schema.properties.service.properties.wait.oneOf).toHaveLength(3);
    expect(schema.properties.dependencies.additionalProperties.oneOf).toHaveLength(2);
  });

  it('leaves out the safe-integer bounds that mean nothing to a person', () => {
    expect(JSON.stringify(schema)).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });
});
