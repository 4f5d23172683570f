import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/jsonSchema.ts';
import { resultJsonSchema } from '../../src/result/jsonSchema.ts';

// The committed JSON Schemas are generated from the zod schemas, never edited by hand.
const root = join(import.meta.dirname, '..', '..');
const generated = {
  'schemas/config.schema.json': configJsonSchema,
  'schemas/result.schema.json': resultJsonSchema,
};

describe('committed JSON Schemas', () => {
  for (const [path, generate] of Object.entries(generated)) {
    it(`${path} matches its zod schema (run: npm run schemas)`, () => {
      const committed = readFileSync(join(root, path), 'utf8');
      expect(committed).toBe(`${JSON.stringify(generate(), null, 2)}\n`);
    });
  }

  it('result.schema.json requires what consumers rely on', () => {
    const schema = resultJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(expect.arrayContaining(['verdict', 'levels', 'schemaVersion']));
    const levels = schema.properties.levels as { items: { required: string[] } };
    expect(levels.items.required).toEqual(expect.arrayContaining(['level', 'phase', 'requests']));
  });
});
