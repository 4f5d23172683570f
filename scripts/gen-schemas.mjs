// Writes the committed JSON Schemas from the zod schemas they are generated from:
// schemas/config.schema.json (what users write) and schemas/result.schema.json.
// A unit test fails when a committed file differs from what this writes.
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config/jsonSchema.ts';
import { resultJsonSchema } from '../src/result/jsonSchema.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const GENERATED_SCHEMAS = {
  'schemas/config.schema.json': configJsonSchema,
  'schemas/result.schema.json': resultJsonSchema,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [path, generate] of Object.entries(GENERATED_SCHEMAS)) {
    await writeFile(join(root, path), `${JSON.stringify(generate(), null, 2)}\n`);
    console.log(`wrote ${path}`);
  }
}
