// Bundles the action (dist/index.js, dist/post.js) and the CLI (dist/cli.js) with esbuild.
// `node scripts/build.mjs --out DIR` writes elsewhere: the dist check test builds into a
// temporary folder and compares it with the committed dist/.
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const outDir = outIndex > 0 ? resolve(process.argv[outIndex + 1]) : join(root, 'dist');

const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: { index: 'src/index.ts', post: 'src/post.ts', cli: 'src/cli.ts' },
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
    // Bundled CommonJS dependencies expect require, __filename and __dirname.
    js: [
      "import { createRequire as __lgCreateRequire } from 'node:module';",
      "import { fileURLToPath as __lgFileURLToPath } from 'node:url';",
      "import { dirname as __lgDirname } from 'node:path';",
      'const require = __lgCreateRequire(import.meta.url);',
      'const __filename = __lgFileURLToPath(import.meta.url);',
      'const __dirname = __lgDirname(__filename);',
    ].join(' '),
  },
  // Only the version of package.json goes into the bundle (see src/version.ts).
  define: { LOADGATE_VERSION: JSON.stringify(version) },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: false,
  plugins: [bylineWithoutBufferConstructor()],
});
await chmod(join(outDir, 'cli.js'), 0o755);

/**
 * byline 5.0.0 (testcontainers' line splitter for build output and log waits; unmaintained since
 * 2016, still used by testcontainers' latest release) calls the deprecated `new Buffer(string,
 * encoding)`. Node warns about Buffer() only for code outside node_modules, which bundled code
 * is: every run printed "DeprecationWarning: Buffer() is deprecated". `Buffer.from(string,
 * encoding)` is the same call without the deprecation; the build fails if byline changes shape.
 */
function bylineWithoutBufferConstructor() {
  return {
    name: 'byline-without-buffer-constructor',
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/]byline[\\/]lib[\\/]byline\.js$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const patched = source.replaceAll(
          'new Buffer(line, chunkEncoding)',
          'Buffer.from(line, chunkEncoding)',
        );
        if (patched === source || /new Buffer\(/.test(patched)) {
          throw new Error(`${args.path}: byline changed; check its Buffer() calls before bundling it`);
        }
        return { contents: patched, loader: 'js' };
      });
    },
  };
}
