import { realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';
import { ConfigError } from '../errors.ts';

/**
 * Where loadgate may write. Every path is compared as the file system will resolve it (symbolic
 * links followed), so a link to a folder is that folder.
 */

/**
 * A path as the file system resolves it: realpath of the path, or of its nearest existing
 * ancestor with the rest appended (a file about to be created).
 */
export async function resolvedPath(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = dirname(absolute);
    if (parent === absolute) return absolute;
    return join(await resolvedPath(parent), basename(absolute));
  }
}

/** Whether two paths name the same file or folder: one resolved path, or one inode (a hard link). */
export async function sameFile(a: string, b: string): Promise<boolean> {
  if ((await resolvedPath(a)) === (await resolvedPath(b))) return true;
  const [sa, sb] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return sa !== null && sb !== null && sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Refuses an output folder that holds more than a run's files: the file system's root, the home
 * folder, the config's own folder or any folder above it (the repository's root, say; `compare`
 * has no config). loadgate
 * writes result.json, report.md, baseline.json, k6's files and logs/ there, and replaces those
 * already there. `setting` names where the folder came from (`--out`, the action's `out-dir`).
 */
export async function checkOutDir(
  outDir: string,
  configDir: string | null,
  setting = '--out',
): Promise<void> {
  const out = await resolvedPath(outDir);
  const config = configDir === null ? null : await resolvedPath(configDir);
  const home = await resolvedPath(homedir());
  const why =
    out === parse(out).root
      ? "is the file system's root"
      : out === home
        ? 'is your home folder'
        : config === null
          ? null
          : out === config
            ? "is the config file's own folder"
            : isInside(config, out)
              ? `holds the config's folder (${config})`
              : null;
  if (why === null) return;
  throw new ConfigError(
    `${setting} ${outDir} ${why}: loadgate writes result.json, report.md, baseline.json, k6's files and logs/ into the output folder and replaces those already there; give it a folder of its own, e.g. ${setting} loadgate-out`,
    [`${setting}: ${outDir}: ${why}`],
  );
}

/**
 * Refuses an output folder that is one of `inputs` (a folder or a file given on the command line)
 * or the folder of a run's result.json among them, and any output file that is one of the files
 * read: `loadgate compare A B --out A` would replace what it compares.
 */
export async function checkOutputsSpareInputs(
  setting: string,
  outDir: string,
  outputs: readonly string[],
  inputs: { given: readonly string[]; runFolders: readonly string[]; read: readonly string[] },
): Promise<void> {
  const refuse = (what: string, input: string) =>
    new ConfigError(`${setting} ${outDir}: ${what}, which would be replaced; write to another folder`, [
      `${setting}: ${outDir}: resolves to an input (${input})`,
    ]);
  for (const input of [...inputs.given, ...inputs.runFolders]) {
    if (await sameFile(outDir, input)) throw refuse(`it is ${input}`, input);
  }
  for (const input of inputs.read) {
    const clash = await firstSame(outputs, input);
    if (clash !== null) throw refuse(clash, input);
  }
}

async function firstSame(outputs: readonly string[], input: string): Promise<string | null> {
  for (const output of outputs) if (await sameFile(output, input)) return `${output} is ${input}`;
  return null;
}

/** Whether `path` lies strictly inside `folder` (both resolved). */
function isInside(path: string, folder: string): boolean {
  const prefix = folder.endsWith(sep) ? folder : folder + sep;
  return path.startsWith(prefix);
}
