import type { LoadModel } from '../result/schema.ts';

/**
 * Number and label formatting shared by the gate's reasons, report.md and the terminal table.
 * Plain text only: Markdown escaping happens in escape.ts, terminal sanitising in terminal.ts.
 */

/** Drops trailing zeros after a decimal point: "0.10" → "0.1", "800.0" → "800". */
function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/**
 * Milliseconds without the unit: integers from 10 up, one decimal below ("912", "8.4").
 * `extraDigits` adds precision, trimmed of trailing zeros, for when two values would otherwise
 * print alike.
 */
export function formatMs(ms: number, extraDigits = 0): string {
  const base = Math.abs(ms) >= 9.95 ? 0 : 1;
  const text = ms.toFixed(base + extraDigits);
  return extraDigits > 0 ? trimZeros(text) : text;
}

/** A share 0..1 as a percentage with up to `maxDecimals` decimals: 0.0042 → "0.42%", 0.001 → "0.1%". */
export function formatRate(rate: number, maxDecimals = 2): string {
  return `${trimZeros((rate * 100).toFixed(maxDecimals))}%`;
}

/**
 * A share 0..1 for a table column: always two decimals, zero as "0%", and a small non-zero share
 * never rounded down to nothing ("<0.01%") nor a partial one up to everything (">99.99%").
 */
export function formatRateCell(rate: number): string {
  if (rate === 0) return '0%';
  const text = (rate * 100).toFixed(2);
  if (text === '0.00') return '<0.01%';
  if (text === '100.00' && rate < 1) return '>99.99%';
  return `${text}%`;
}

/** Requests per second without the unit: "412", "38.2", "0.75". */
export function formatRps(rps: number, extraDigits = 0): string {
  const base = Math.abs(rps) >= 99.5 ? 0 : Math.abs(rps) >= 0.995 ? 1 : 2;
  const text = rps.toFixed(base + extraDigits);
  return extraDigits > 0 ? trimZeros(text) : text;
}

/** The level's number as a person writes it: "20", "0.5". */
export function formatLevelNumber(level: number): string {
  return Number.isInteger(level) ? String(level) : trimZeros(level.toFixed(2));
}

/** The unit of a level: concurrent VUs in the closed model, arrivals per second in the open one. */
export function levelUnit(model: LoadModel): string {
  return model === 'closed' ? 'VUs' : 'req/s';
}

/** A level with its unit: "20 VUs" (closed model), "20 req/s" (open model). */
export function formatLevel(level: number, model: LoadModel): string {
  if (model === 'closed' && level === 1) return '1 VU';
  return `${formatLevelNumber(level)} ${levelUnit(model)}`;
}

/** Seconds as a clock: "0:42", "1:40", "1:02:03". Negative or non-finite input reads as 0. */
export function formatClock(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Seconds for prose: "30 s", "2.5 s". */
export function formatSeconds(seconds: number): string {
  return `${seconds >= 9.95 ? seconds.toFixed(0) : trimZeros(seconds.toFixed(1))} s`;
}

// C0 and C1 controls (ESC starts terminal escape sequences), DEL, line and paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
// Bidirectional overrides and isolates reorder the text around them ("Trojan Source").
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * One line of plain text: control characters and line breaks become a space, bidi controls go,
 * runs of white space collapse and the ends are trimmed.
 */
export function toOneLine(text: string): string {
  return text.replace(BIDI_CONTROLS, '').replace(LINE_BREAKING, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * At most `maxChars` characters (code points, so no surrogate pair is split), the last being an
 * ellipsis when something was cut.
 */
export function clip(text: string, maxChars: number): string {
  const limit = Math.max(1, Math.floor(maxChars));
  if (text.length <= limit) return text;
  const kept: string[] = [];
  for (const ch of text) {
    kept.push(ch);
    if (kept.length > limit) break;
  }
  if (kept.length <= limit) return text;
  return `${kept.slice(0, limit - 1).join('')}…`;
}
