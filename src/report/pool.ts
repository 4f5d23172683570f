import type { LevelResult } from '../result/schema.ts';
import { formatLevelNumber, formatMs } from './format.ts';

/** What a cell says when loadgate had nothing to measure it from. */
export const NOT_MEASURED = 'not measured';

export const POOL_HEADER = [
  'Pool wait p95 (ms)',
  'Pool wait mean (ms)',
  'Pool timeouts',
  'Peak waiting',
  'Peak DB conns',
  'Lock waits (peak)',
  'Idle in tx (peak)',
  'Refused conns',
] as const;

/** The same columns, short enough for a CI log line. */
export const POOL_HEADER_TERMINAL = [
  'pool p95 ms',
  'pool mean ms',
  'pool timeouts',
  'peak waiting',
  'peak DB conns',
  'lock waits',
  'idle in tx',
  'refused',
] as const;

/** Whether any level has any pool or database figure. */
export function anyPoolFigure(levels: readonly LevelResult[]): boolean {
  return levels.some((level) => poolCells(level).some((cell) => cell !== NOT_MEASURED));
}

/** One level's pool and database cells, in POOL_HEADER's order; "not measured" for null. */
export function poolCells(level: LevelResult): string[] {
  const ms = (value: number | null) => (value === null ? NOT_MEASURED : formatMs(value));
  const n = (value: number | null | undefined) =>
    value === null || value === undefined ? NOT_MEASURED : String(value);
  const db = level.db ?? null;
  return [
    ms(level.pool.waitP95Ms),
    ms(level.pool.waitMeanMs),
    n(level.pool.timeouts),
    n(level.pool.peakWaiting),
    n(level.pool.peakDbConnections),
    n(db?.peakLockWaits),
    n(db?.peakIdleInTransaction),
    n(db?.refusedConnections),
  ];
}

/** Rows of (level, cells) for a table. */
export function poolRows(levels: readonly LevelResult[]): string[][] {
  return levels.map((level) => [formatLevelNumber(level.level), ...poolCells(level)]);
}

/**
 * Sentences under the table: which pool metrics were read, and why a wait p95 is missing when
 * only a mean could be measured (a summary, or a sum with a count).
 */
export function poolNotes(levels: readonly LevelResult[]): string[] {
  const source = levels.find((l) => l.pool.source !== undefined)?.pool.source;
  const notes: string[] = [];
  if (source !== undefined) notes.push(`Pool metrics read: ${source}.`);
  const meanOnly =
    levels.some((l) => l.pool.waitMeanMs !== null) && levels.every((l) => l.pool.waitP95Ms === null);
  if (meanOnly)
    notes.push('The service exposes no wait histogram, so the pool wait p95 is not measured (mean only).');
  return notes;
}

/** The one line that stands for the table when nothing about the pool or the database was measured. */
export const NOTHING_MEASURED =
  'Pool and database: not measured (no pool metrics loadgate reads at the service\u2019s metrics endpoint, and no Postgres dependency sampled).';
