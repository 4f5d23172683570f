import { describe, expect, it } from 'vitest';
import type { LevelResult } from '../result/schema.ts';
import { renderReport } from './markdown.ts';
import { NOT_MEASURED, NOTHING_MEASURED } from './pool.ts';
import { formatPoolTable } from './terminal.ts';
import { drainingLevels, drainingResult } from './testing/draining-pool.ts';

/** The draining run with its pool measured at the upper levels only (as with a late /metrics). */
function measuredLevels(): LevelResult[] {
  return drainingLevels().map((level) =>
    level.level < 8
      ? level
      : {
          ...level,
          pool: {
            waitP95Ms: level.level === 32 ? 640.5 : 12.25,
            waitMeanMs: level.level === 32 ? 210 : 3.5,
            timeouts: level.level === 32 ? 4 : 0,
            peakDbConnections: 10,
            peakWaiting: level.level === 32 ? 22 : 3,
            source: 'loadgate-demo',
          },
          db: { peakConnections: 10, peakLockWaits: 0, peakIdleInTransaction: 1, refusedConnections: 0 },
        },
  );
}

describe('pool and database columns', () => {
  it('report.md: a table per phase, "not measured" where nothing was', () => {
    const report = renderReport(drainingResult({ levels: measuredLevels() }));
    expect(report).toContain(
      '| Level (VUs) | Pool wait p95 (ms) | Pool wait mean (ms) | Pool timeouts | Peak waiting | Peak DB conns | Lock waits (peak) | Idle in tx (peak) | Refused conns |',
    );
    const rows = report
      .split('\n')
      .filter((line) => /^\| +(1|4|8|16|32) +\|/.test(line))
      .filter((line) => line.split('|').length === 11);
    const cells = (row: string) =>
      row
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    expect(rows.map(cells)).toEqual([
      ['1', ...Array(8).fill(NOT_MEASURED)],
      ['4', ...Array(8).fill(NOT_MEASURED)],
      ['8', '12', '3.5', '0', '3', '10', '0', '1', '0'],
      ['16', '12', '3.5', '0', '3', '10', '0', '1', '0'],
      ['32', '641', '210', '4', '22', '10', '0', '1', '0'],
    ]);
    expect(report).toContain('Pool metrics read: loadgate-demo.');
  });

  it('says once when nothing at all was measured, and why a p95 is missing beside a mean', () => {
    expect(renderReport(drainingResult())).toContain(NOTHING_MEASURED);
    const meanOnly = measuredLevels().map((l) => ({ ...l, pool: { ...l.pool, waitP95Ms: null } }));
    expect(renderReport(drainingResult({ levels: meanOnly }))).toContain(
      'The service exposes no wait histogram, so the pool wait p95 is not measured (mean only).',
    );
  });

  it('terminal: aligned columns, every line indented, one line when nothing was measured', () => {
    const table = formatPoolTable({ levels: measuredLevels(), loadModel: 'closed' });
    const lines = table.split('\n');
    expect(lines[0]?.trim().split(/\s{2,}/)).toEqual([
      'Phase',
      'VUs',
      'pool p95 ms',
      'pool mean ms',
      'pool timeouts',
      'peak waiting',
      'peak DB conns',
      'lock waits',
      'idle in tx',
      'refused',
    ]);
    expect(lines[1]?.trim().split(/\s{2,}/)).toEqual(['clean', '1', ...Array(8).fill(NOT_MEASURED)]);
    expect(lines[5]?.trim().split(/\s+/)).toEqual([
      'clean',
      '32',
      '641',
      '210',
      '4',
      '22',
      '10',
      '0',
      '1',
      '0',
    ]);
    for (const line of lines) expect(line.startsWith('  ')).toBe(true);
    expect(formatPoolTable({ levels: drainingLevels(), loadModel: 'closed' })).toBe(
      '  pool and database: not measured',
    );
  });
});
