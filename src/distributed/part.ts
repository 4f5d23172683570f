import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { type LadderPlan, PART_VERSION, type PartManifest } from '../../k6-scripts/contract.ts';
import { errorMessage } from '../errors.ts';
import { writeJsonAtomic } from '../output/atomic.ts';

/**
 * A part of a distributed run on disk: its manifest (PartManifest, k6-scripts/contract.ts), k6's
 * summary and k6's samples, side by side. `loadgate run --segment` writes one folder per part
 * (`part.json`); k6-operator runners share one volume, each file prefixed with the runner's name
 * (`<runner>-part.json`).
 */

/** The manifest's name in a part folder, or its suffix in a shared one. */
export const PART_FILE = 'part.json';
const PART_SUFFIX = `-${PART_FILE}`;

const LadderPlanShape = z
  .looseObject({
    planVersion: z.literal(1),
    scenarios: z.array(z.looseObject({ name: z.string(), measured: z.boolean() })),
    requestNames: z.array(z.string()),
  })
  .transform((plan) => plan as unknown as LadderPlan);

export const PartManifestSchema = z.object({
  partVersion: z.literal(PART_VERSION),
  configHash: z.string(),
  plan: LadderPlanShape,
  executionSegment: z.string().nullable(),
  executionSegmentSequence: z.string().nullable(),
  startedAtMs: z.number().nullable(),
  k6Version: z.string().nullable(),
  runId: z.string().nullable(),
  partial: z.boolean(),
  problem: z.string().nullable(),
  files: z.object({ summary: z.string(), samples: z.string() }),
}) satisfies z.ZodType<PartManifest, unknown>;

/** A part found on disk, its files resolved. */
export interface FoundPart {
  /** where it was found, as the user gave it, for messages */
  where: string;
  manifest: PartManifest;
  summaryPath: string;
  samplesPath: string;
}

/** A folder or manifest that should have been a part and is not readable as one. */
export interface UnreadablePart {
  where: string;
  problem: string;
}

/**
 * Every part in the folders given: a folder's `part.json`, each `<runner>-part.json` of a shared
 * folder, or the parts in the subfolders of a folder that holds none itself (one folder per
 * runner's artifact, as actions/download-artifact leaves them). A folder without a part, or a
 * manifest that is not one, is unreadable (a runner that failed before it wrote its part),
 * never skipped in silence.
 */
export async function findParts(dirs: readonly string[]): Promise<(FoundPart | UnreadablePart)[]> {
  const found: (FoundPart | UnreadablePart)[] = [];
  for (const dir of dirs) found.push(...(await partsIn(dir, true)));
  return found;
}

async function partsIn(dir: string, descend: boolean): Promise<(FoundPart | UnreadablePart)[]> {
  let entries: Dirent[];
  try {
    if (!(await stat(dir)).isDirectory()) return [{ where: dir, problem: 'is not a folder' }];
    entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch (error) {
    return [{ where: dir, problem: `cannot be read (${errorMessage(error)})` }];
  }
  const manifests = entries.filter(
    (e) => e.isFile() && (e.name === PART_FILE || e.name.endsWith(PART_SUFFIX)),
  );
  if (manifests.length > 0) return Promise.all(manifests.map((e) => readPart(dir, e.name)));
  const folders = entries.filter((e) => e.isDirectory());
  if (descend && folders.length > 0) {
    const found: (FoundPart | UnreadablePart)[] = [];
    for (const folder of folders) found.push(...(await partsIn(join(dir, folder.name), false)));
    return found;
  }
  return [{ where: dir, problem: `holds no ${PART_FILE} (did its runner fail before it finished?)` }];
}

async function readPart(dir: string, name: string): Promise<FoundPart | UnreadablePart> {
  const where = join(dir, name);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(where, 'utf8'));
  } catch (error) {
    return { where, problem: `is not readable JSON (${errorMessage(error)})` };
  }
  const parsed = PartManifestSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      where,
      problem: `is not a part manifest (${first?.path.join('.') || '(root)'}: ${first?.message})`,
    };
  }
  const manifest = parsed.data;
  const file = (base: string) => resolve(dir, base);
  // file names only: a manifest never points outside its folder
  for (const base of [manifest.files.summary, manifest.files.samples]) {
    if (base === '' || base.includes('/') || base.includes('\\') || base === '..')
      return { where, problem: `names "${base}" as one of its files; expected a file name beside it` };
  }
  return {
    where,
    manifest,
    summaryPath: file(manifest.files.summary),
    samplesPath: file(manifest.files.samples),
  };
}

/** Writes a manifest as `loadgate run --segment` leaves it (the ladder script wrote its facts). */
export async function writePartManifest(path: string, manifest: PartManifest): Promise<void> {
  await writeJsonAtomic(path, manifest);
}

/** Reads back the manifest the ladder script wrote, or null when there is none or it is not one. */
export async function readPartManifest(path: string): Promise<PartManifest | null> {
  try {
    const parsed = PartManifestSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
