import type { LevelResult, LoadModel, Result } from '../result/schema.ts';
import {
  clip,
  formatClock,
  formatLevel,
  formatLevelNumber,
  formatMs,
  formatRateCell,
  formatRps,
  levelUnit,
  toOneLine,
} from './format.ts';
import { anyPoolFigure, POOL_HEADER_TERMINAL, poolNotes, poolRows } from './pool.ts';

/** Name columns stay this narrow so a row fits a CI log line. */
const MAX_NAME_CHARS = 32;

/**
 * A name from a config or a service, safe to print to a terminal or a CI log: one line, no
 * control characters (so no escape sequences), clipped, and no "::" that could start a GitHub
 * Actions workflow command at the beginning of a line.
 */
export function sanitizeTerminal(text: string, maxChars: number = MAX_NAME_CHARS): string {
  return clip(toOneLine(text), maxChars).replace(/::/g, ': :');
}

const dash = '—';
const ms = (value: number | null) => (value === null ? dash : formatMs(value));

type Align = 'left' | 'right';

/** Aligned plain-text columns separated by two spaces; trailing blanks trimmed. */
function columns(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * The final per-level table for a terminal or CI log: one row per (phase, level, request) in
 * the order they ran, latencies in ms, rates as percentages, "—" where nothing was measured.
 * Plain text, no Markdown; every line starts with our own text, never a config's.
 */
export function formatTerminalTable(result: Pick<Result, 'levels' | 'loadModel'>): string {
  const { levels, loadModel } = result;
  if (levels.length === 0) return 'no level was measured';
  const open = loadModel === 'open';
  const header = [
    'Phase',
    levelUnit(loadModel),
    'Request',
    'req/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'errors',
    'timeouts',
    'conn',
    '5xx',
    '4xx',
    ...(open ? ['dropped'] : []),
  ];
  const align: Align[] = ['left', 'right', 'left', ...header.slice(3).map((): Align => 'right')];
  const rows = levels.flatMap((level: LevelResult) =>
    level.requests.map((r) => [
      sanitizeTerminal(level.phase),
      formatLevelNumber(level.level),
      sanitizeTerminal(r.name),
      formatRps(r.throughputRps),
      ms(r.p50Ms),
      ms(r.p95Ms),
      ms(r.p99Ms),
      ms(r.maxMs),
      formatRateCell(r.errorRate),
      formatRateCell(r.timeoutRate),
      formatRateCell(r.connectionErrorRate),
      formatRateCell(r.http5xxRate),
      formatRateCell(r.http4xxRate),
      ...(open ? [String(level.droppedIterations)] : []),
    ]),
  );
  // The first column is a phase name: indent every line so none can begin a workflow command.
  return columns(header, rows, align)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/**
 * The pool and database figures per level for a terminal or CI log, "not measured" where
 * loadgate had nothing; one line when nothing at all was measured. Every line is indented.
 */
export function formatPoolTable(result: Pick<Result, 'levels' | 'loadModel'>): string {
  const { levels, loadModel } = result;
  if (levels.length === 0) return '';
  if (!anyPoolFigure(levels)) return '  pool and database: not measured';
  const header = ['Phase', levelUnit(loadModel), ...POOL_HEADER_TERMINAL];
  const cells = poolRows(levels);
  const rows = levels.map((level, i) => [sanitizeTerminal(level.phase), ...(cells[i] ?? [])]);
  const align: Align[] = ['left', ...header.slice(1).map((): Align => 'right')];
  return [columns(header, rows, align), ...poolNotes(levels).map(sanitizeNote)]
    .join('\n')
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function sanitizeNote(note: string): string {
  return sanitizeTerminal(note, 200);
}

/** Live state of the load (the shape of LoadProgress in src/progress.ts). */
export interface ProgressLine {
  phase: string;
  /** 0-based index of the current level */
  levelIndex: number;
  levelCount: number;
  level: number;
  model: LoadModel;
  elapsedS: number;
  totalS: number;
  p95Ms: number | null;
  /** 0..1 */
  errorRate: number | null;
}

/**
 * One progress line, e.g. "clean  level 3/5 (20 VUs)  0:42/1:40  p95 18.2 ms  errors 0.00%".
 * Elapsed and total are whatever span the caller measures them over; "—" before any response.
 */
export function formatProgress(p: ProgressLine): string {
  // One decimal up to 100 ms: a live line is read for the trend, and small changes show it.
  const p95 = p.p95Ms === null ? `p95 ${dash}` : `p95 ${p.p95Ms.toFixed(p.p95Ms >= 99.95 ? 0 : 1)} ms`;
  const errors = p.errorRate === null ? `errors ${dash}` : `errors ${(p.errorRate * 100).toFixed(2)}%`;
  return [
    sanitizeTerminal(p.phase),
    `level ${p.levelIndex + 1}/${p.levelCount} (${formatLevel(p.level, p.model)})`,
    `${formatClock(p.elapsedS)}/${formatClock(p.totalS)}`,
    p95,
    errors,
  ].join('  ');
}
