import { z } from 'zod';
import { ConfigSchema } from './schema.ts';

/**
 * The JSON Schema of what users write (the input side of ConfigSchema), for editor completion
 * and checking: `# yaml-language-server: $schema=<url of schemas/config.schema.json>`.
 * Deterministic: schemas/config.schema.json is this, as `JSON.stringify(schema, null, 2)` + "\n".
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: ({ jsonSchema }) => {
      // z.int() states JavaScript's safe-integer range; to a person editing YAML it is noise.
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  });
  const { $schema, ...rest } = schema;
  return { $schema, title: 'loadgate config', ...rest };
}
