import { z } from 'zod';
import { ResultSchema } from './schema.ts';

/**
 * The JSON Schema of result.json (the output side of ResultSchema), for consumers of the file
 * and for the companion workflow that validates an artifact. Deterministic: committed as
 * schemas/result.schema.json.
 */
export function resultJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ResultSchema, { io: 'output', target: 'draft-2020-12' });
  const { $schema, ...rest } = schema;
  return { $schema, title: 'loadgate result.json', ...rest };
}
