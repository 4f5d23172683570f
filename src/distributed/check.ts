import type { LadderPlan, PartManifest } from '../../k6-scripts/contract.ts';
import { stableJson } from '../config/defaults.ts';
import { type SegmentIndex, segmentInSequence, segmentLabel } from './segments.ts';

/**
 * Whether the parts given make one distributed run, before any figure is computed. Pure.
 *
 * Refused (the parts are not of one plan; nothing is merged): a part of another config or plan,
 * another segment sequence or runner count, a segment given twice. Partial (merged, said why,
 * never a baseline): a segment missing or unreadable, a part its runner did not finish, a part
 * that started further from the others than the skew allows (its load did not overlap theirs:
 * left out of the figures).
 */

/** The skew allowed when none is given: a tenth of a level, at least this many seconds. */
export const MIN_DEFAULT_SKEW_S = 1;

/** The start-time skew allowed by default: 10% of a level's duration, at least 1 s. */
export function defaultMaxSkewS(levelDurationS: number): number {
  return Math.max(MIN_DEFAULT_SKEW_S, Math.round(levelDurationS * 100) / 1000);
}

export interface CheckedPart<P> {
  part: P;
  segment: SegmentIndex;
}

export interface PartsCheck<P> {
  /** why the parts cannot be merged at all; empty when they can */
  refused: string[];
  /** runners in the run (N) */
  count: number;
  /** the parts whose figures are merged, in segment order */
  used: CheckedPart<P>[];
  /** parts found but left out of the figures, each with why */
  leftOut: (CheckedPart<P> & { why: string })[];
  /** segments no readable part ran */
  missing: SegmentIndex[];
  /** each reason the merged run is partial; empty: complete */
  partialReasons: string[];
  /** seconds between the first and the last start of the parts used; null: none started */
  skewS: number | null;
  plan: LadderPlan | null;
}

export interface CheckOptions {
  /** the hash of the config the merge reads: every part must have been made from it */
  configHash: string;
  /** seconds a part's start may lie from the others' (their median) */
  maxSkewS: number;
  /** the number of runners the user expects (N); default what the parts say */
  expectedCount?: number;
}

/** Checks parts found on disk (and those that could not be read) against one another. */
export function checkParts<P extends { where: string; manifest: PartManifest }>(
  parts: readonly P[],
  unreadable: readonly { where: string; problem: string }[],
  options: CheckOptions,
): PartsCheck<P> {
  const refused: string[] = [];
  const partialReasons = unreadable.map((u) => `${u.where} ${u.problem}`);
  const first = parts[0];
  if (first === undefined) {
    refused.push(
      unreadable.length > 0
        ? `no part could be read: ${partialReasons.join('; ')}`
        : 'no part was given: name the folders the runners wrote',
    );
    return emptyCheck(refused);
  }
  const plan = first.manifest.plan;
  const withSegments: CheckedPart<P>[] = [];
  for (const part of parts) {
    const { manifest, where } = part;
    if (manifest.configHash !== options.configHash) {
      refused.push(
        `${where} was made from another config (hash ${manifest.configHash || 'none'}, this one's ${options.configHash}): merge with the config file and --set values the runners ran with`,
      );
    } else if (stableJson(manifest.plan) !== stableJson(plan)) {
      refused.push(
        `${where} ran another plan than ${first.where}, from the same config: were they run by different loadgate versions?`,
      );
    }
    const segment =
      manifest.executionSegment === null
        ? { index: 1, count: 1 } // the whole test: a run of one runner
        : segmentInSequence(manifest.executionSegment, manifest.executionSegmentSequence ?? '');
    if (typeof segment === 'string') refused.push(`${where}: ${segment}`);
    else withSegments.push({ part, segment });
  }
  const counts = [...new Set(withSegments.map((p) => p.segment.count))];
  const sequences = [...new Set(parts.map((p) => p.manifest.executionSegmentSequence ?? '0,1'))];
  if (counts.length > 1 || sequences.length > 1) {
    refused.push(
      `the parts split the load differently (${sequences.map((s) => `"${s}"`).join(' and ')}): every runner of a run gets the same number of segments`,
    );
  }
  const count = options.expectedCount ?? counts[0] ?? 1;
  if (options.expectedCount !== undefined && counts.length === 1 && counts[0] !== options.expectedCount) {
    refused.push(
      `the parts are segments of ${counts[0]} runners, not of ${options.expectedCount} (--segments)`,
    );
  }
  const bySegment = new Map<number, CheckedPart<P>>();
  for (const checked of withSegments) {
    const twin = bySegment.get(checked.segment.index);
    if (twin) {
      refused.push(
        `segment ${segmentLabel(checked.segment)} was given twice (${twin.part.where} and ${checked.part.where}): give each runner's part once`,
      );
    } else bySegment.set(checked.segment.index, checked);
  }
  if (refused.length > 0) return { ...emptyCheck(refused), count, plan };

  const missing: SegmentIndex[] = [];
  for (let index = 1; index <= count; index++) {
    if (!bySegment.has(index)) {
      missing.push({ index, count });
      partialReasons.push(
        `segment ${segmentLabel({ index, count })} is missing: no part of it was given or readable`,
      );
    }
  }
  const present = [...bySegment.values()].sort((a, b) => a.segment.index - b.segment.index);
  const leftOut: (CheckedPart<P> & { why: string })[] = [];
  for (const checked of present) {
    const { manifest } = checked.part;
    if (manifest.partial) {
      partialReasons.push(
        `segment ${segmentLabel(checked.segment)} is partial: ${manifest.problem ?? 'its runner did not finish'}`,
      );
    }
    if (manifest.startedAtMs === null) {
      leftOut.push({ ...checked, why: 'its ladder never started' });
      partialReasons.push(`segment ${segmentLabel(checked.segment)} never started its ladder`);
    }
  }
  const started = present.filter((p) => p.part.manifest.startedAtMs !== null);
  const starts = started.map((p) => p.part.manifest.startedAtMs as number).sort((a, b) => a - b);
  // the lower median: with two parts, the earlier one is the reference
  const reference = starts[Math.floor((starts.length - 1) / 2)] ?? 0;
  const used: CheckedPart<P>[] = [];
  for (const checked of started) {
    const offsetS = ((checked.part.manifest.startedAtMs as number) - reference) / 1000;
    if (Math.abs(offsetS) > options.maxSkewS) {
      const why = `started ${Math.abs(offsetS).toFixed(1)} s ${offsetS > 0 ? 'after' : 'before'} the others (at most ${options.maxSkewS} s allowed), so its load did not overlap theirs`;
      leftOut.push({ ...checked, why });
      partialReasons.push(`segment ${segmentLabel(checked.segment)} ${why}: left out`);
    } else used.push(checked);
  }
  const usedStarts = used.map((p) => p.part.manifest.startedAtMs as number);
  const skewS = usedStarts.length > 0 ? (Math.max(...usedStarts) - Math.min(...usedStarts)) / 1000 : null;
  return { refused, count, used, leftOut, missing, partialReasons, skewS, plan };
}

function emptyCheck<P>(refused: string[]): PartsCheck<P> {
  return {
    refused,
    count: 0,
    used: [],
    leftOut: [],
    missing: [],
    partialReasons: [],
    skewS: null,
    plan: null,
  };
}
