// bench:detect — how often loadgate calls a regression when there is none, and how often it
// finds the ones there are, on recorded runs of two services of this project (the demo and
// examples/articles), beside the rules of github-action-benchmark and Bencher on the same data.
//
//   npm run bench:detect -- --record articles-aa,articles-query --blocks 8 [--pool-dir DIR]
//   npm run bench:detect -- --analyse DIR [--checks 200] [--seed 1]
//
// --record takes the engine lock itself, for the stack's start and then per block (do not wrap
// it in flock): others' tests run between blocks. Variants: bench/detect/variants.ts. Pools are
// appended to, so a pool can be recorded in pieces; --analyse only reads them.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analysePools } from './detect/analyse.ts';
import { record } from './detect/record.ts';
import { variantsOf } from './detect/variants.ts';

const { values: args } = parseArgs({
  options: {
    record: { type: 'string' },
    analyse: { type: 'string' },
    'pool-dir': { type: 'string', default: 'bench/detect-pools' },
    blocks: { type: 'string', default: '8' },
    slot: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    checks: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
  },
});
const root = resolve(import.meta.dirname, '..');
if (args.record) {
  const { service, names } = variantsOf(args.record);
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(130);
      stopping = true;
      console.error(`\n${signal}: stopping after this block`);
    });
  }
  await record({
    root,
    service,
    variants: names,
    blocks: Number(args.blocks),
    poolDir: resolve(args['pool-dir']),
    slotS: Number(args.slot),
    warmupS: Number(args.warmup),
    stopping: () => stopping,
  });
} else if (args.analyse) {
  console.log(
    await analysePools(resolve(args.analyse), { checks: Number(args.checks), seed: Number(args.seed) }),
  );
} else {
  console.error('bench:detect: give --record <variant,…> or --analyse <pool dir>');
  process.exit(2);
}
