// Bundles the action (dist/index.js, dist/post.js) and the CLI (dist/cli.js) with esbuild.
// `node scripts/build.mjs --out DIR` writes elsewhere: the dist check test builds into a
// temporary folder and compares it with the committed dist/.
import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const outDir = outIndex > 0 ? resolve(process.argv[outIndex + 1]) : join(root, 'dist');

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: { index: 'src/index.ts', cli: 'src/cli.ts' },
  outdir: outDir,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // Native add-ons of ssh2 (pulled in by the Docker client) are optional: it falls back to JS.
  external: ['cpu-features', '*.node'],
  banner: {
    js: "import { createRequire as __loadgateCreateRequire } from 'node:module'; const require = __loadgateCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: false,
});
await chmod(join(outDir, 'cli.js'), 0o755);
