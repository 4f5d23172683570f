import { ConfigError } from '../errors.ts';

/**
 * k6 execution segments: runner i of N runs the segment ((i−1)/N, i/N] of every scenario, with
 * the sequence 0, 1/N, …, 1 that every runner shares, so k6 splits VUs and arrival rates
 * exactly (its striped partitioning: the runners' shares add up to the whole, none overlaps).
 * The strings are k6-operator's, character for character (pkg/segmentation), so a part from a
 * k6-operator runner and one from `loadgate run --segment` read alike.
 */

/** The most runners a distributed run may have. */
export const MAX_SEGMENTS = 1000;

export interface SegmentIndex {
  /** 1..count */
  index: number;
  count: number;
}

export interface K6Segment {
  /** e.g. "1/3:2/3" */
  executionSegment: string;
  /** e.g. "0,1/3,2/3,1" */
  executionSegmentSequence: string;
}

/** `--segment i/N` as a user writes it; a ConfigError naming the rule otherwise. */
export function parseSegmentArg(text: string): SegmentIndex {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !(count >= 1 && count <= MAX_SEGMENTS) || !(index >= 1 && index <= count)) {
    const problem = `--segment ${text}: write i/N, this runner's number i from 1 to N and the number of runners N (1..${MAX_SEGMENTS}), e.g. 2/3`;
    throw new ConfigError(problem, [problem]);
  }
  return { index, count };
}

/** The k6 options of runner `index` of `count`, as k6-operator writes them. */
export function k6Segment({ index, count }: SegmentIndex): K6Segment {
  const point = (i: number) => (i === 0 ? '0' : i === count ? '1' : `${i}/${count}`);
  return {
    executionSegment: `${point(index - 1)}:${point(index)}`,
    executionSegmentSequence: Array.from({ length: count + 1 }, (_, i) => point(i)).join(','),
  };
}

/** `i/N` as the report names a segment. */
export function segmentLabel({ index, count }: SegmentIndex): string {
  return `${index}/${count}`;
}

/** An exact fraction: k6 writes segment points as "a/b", whole numbers, decimals or percentages. */
interface Fraction {
  num: bigint;
  den: bigint;
}

function parsePoint(text: string): Fraction | null {
  const t = text.trim();
  let m = /^(\d+)\/(\d+)$/.exec(t);
  if (m)
    return BigInt(m[2] as string) === 0n
      ? null
      : { num: BigInt(m[1] as string), den: BigInt(m[2] as string) };
  m = /^(\d+)(?:\.(\d+))?(%?)$/.exec(t);
  if (!m) return null;
  const decimals = m[2] ?? '';
  let den = 10n ** BigInt(decimals.length);
  if (m[3] === '%') den *= 100n;
  return { num: BigInt(`${m[1]}${decimals}`), den };
}

function sameFraction(a: Fraction, b: Fraction): boolean {
  return a.num * b.den === b.num * a.den;
}

/**
 * Which of the sequence's segments `executionSegment` is (1-based, with how many there are), or
 * a sentence saying why it is none of them.
 */
export function segmentInSequence(executionSegment: string, sequence: string): SegmentIndex | string {
  const points = sequence.split(',').map(parsePoint);
  if (points.length < 2 || points.some((p) => p === null)) return `the sequence "${sequence}" is not k6's`;
  const fractions = points as Fraction[];
  const first = fractions[0] as Fraction;
  const last = fractions[fractions.length - 1] as Fraction;
  if (first.num !== 0n || !sameFraction(last, { num: 1n, den: 1n }))
    return `the sequence "${sequence}" does not run from 0 to 1`;
  const [from, to] = executionSegment.split(':').map(parsePoint);
  if (!from || !to || executionSegment.split(':').length !== 2)
    return `the segment "${executionSegment}" is not k6's (from:to)`;
  for (let i = 0; i + 1 < fractions.length; i++) {
    if (sameFraction(fractions[i] as Fraction, from) && sameFraction(fractions[i + 1] as Fraction, to))
      return { index: i + 1, count: fractions.length - 1 };
  }
  return `the segment "${executionSegment}" is not one of the sequence "${sequence}"`;
}

/** --start-at: an ISO 8601 time with its zone, e.g. 2026-12-01T10:00:00Z. */
export function parseStartAt(text: string): number {
  const ms = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (!Number.isFinite(ms)) {
    const problem = `--start-at ${text}: write an ISO 8601 time with its zone, e.g. 2026-12-01T10:00:00Z (date -u -d '+2 minutes' +%FT%TZ)`;
    throw new ConfigError(problem, [problem]);
  }
  return ms;
}
