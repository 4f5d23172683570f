/**
 * Durations and rates as users write them ("900ms", "1m30s", "0.1%", 0.001), parsed once, at
 * validation, into numbers whose unit is in the name of the field that holds them.
 */
import { describeValue } from './paths.ts';

/** One or more `<number><unit>` parts, Go/k6 style: "900ms", "20s", "1.5s", "2m", "1m30s". */
export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+$';
const DURATION_RE = new RegExp(DURATION_PATTERN);
const DURATION_PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const MS_PER_UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A percentage: "10%", "0.1%". */
export const PERCENT_PATTERN = '^\\d+(?:\\.\\d+)?%$';
const PERCENT_RE = new RegExp(PERCENT_PATTERN);

/** Milliseconds in a duration string, or undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  if (!DURATION_RE.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART_RE)) {
    ms += Number(amount) * (MS_PER_UNIT[unit as string] ?? Number.NaN);
  }
  // Floating point: "1.1s" is 1100 ms, not 1100.0000000000002.
  return Math.round(ms * 1e6) / 1e6;
}

/** Why a value is not a duration, with the fix. */
export function durationProblem(value: unknown): string {
  const bare =
    typeof value === 'number'
      ? String(value)
      : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())
        ? value.trim()
        : undefined;
  if (bare !== undefined) {
    return `${JSON.stringify(value)} is not a duration (a number needs a unit); write "${bare}s" or "${bare}ms"`;
  }
  return `${describeValue(value)} is not a duration; write a number with a unit: "900ms", "20s", "1.5s", "2m" or "1m30s"`;
}

/** A rate 0..1 from a fraction (0.001) or a percentage ("0.1%"), or undefined when it is neither. */
export function parseRate(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
  if (typeof value === 'string' && PERCENT_RE.test(value)) {
    const rate = Number(value.slice(0, -1)) / 100;
    return rate <= 1 ? Math.round(rate * 1e12) / 1e12 : undefined;
  }
  return undefined;
}

/** Why a value is not a rate, with the fix. */
export function rateProblem(value: unknown): string {
  const allowed = 'write a percentage such as "0.1%" or "5%", or a fraction between 0 and 1 such as 0.001';
  if (typeof value === 'number' && value > 1 && value <= 100) {
    return `${value} is more than 1, so not a fraction; did you mean "${value}%"? (${allowed})`;
  }
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) {
    return `${JSON.stringify(value)} has no "%"; write "${value.trim()}%" for a percentage, or the number ${value.trim()} for a fraction between 0 and 1`;
  }
  if (typeof value === 'string' && PERCENT_RE.test(value)) return `${value} is more than 100%`;
  return `${describeValue(value)} is not a rate; ${allowed}`;
}
