// The release tarball: `node scripts/pack.mjs [--out DIR]` builds the bundle afresh and packs it
// with what the CLI reads at run time (the k6 ladder script, the stub upstream's image folder)
// and a package.json with no dependencies (dist/ bundles them), so the tarball installs offline
// into an empty folder and `npx loadgate` runs from there. Prints the tarball's path.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const outDir = resolve(outIndex > 0 ? process.argv[outIndex + 1] : root);

const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const stage = await mkdtemp(join(tmpdir(), 'loadgate-pack-'));
try {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--out', join(stage, 'dist')], {
    stdio: 'inherit',
  });
  for (const entry of ['k6-scripts', 'stub-upstream', 'action.yml', 'README.md']) {
    await cp(join(root, entry), join(stage, entry), { recursive: true });
  }
  const manifest = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    type: pkg.type,
    engines: pkg.engines,
    bin: pkg.bin,
  };
  await writeFile(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await mkdir(outDir, { recursive: true });
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: stage, encoding: 'utf8' }),
  );
  console.log(join(outDir, packed[0].filename));
} finally {
  await rm(stage, { recursive: true, force: true });
}
