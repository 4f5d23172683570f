import { describe, expect, it } from 'vitest';
import { formatProgress, formatTerminalTable, type ProgressLine, sanitizeTerminal } from './terminal.ts';
import { drainingLevels, level, request } from './testing/draining-pool.ts';

describe('formatTerminalTable', () => {
  const table = formatTerminalTable({ levels: drainingLevels(), loadModel: 'closed' });
  const lines = table.split('\n');

  it('has a header and one row per level × request', () => {
    expect(lines).toHaveLength(1 + 10);
    expect(lines[0]?.trim().split(/\s{2,}/)).toEqual([
      'Phase',
      'VUs',
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
    ]);
    expect(lines[9]?.trim().split(/\s+/)).toEqual([
      'clean',
      '32',
      'items',
      '35.1',
      '456',
      '912',
      '1186',
      '1825',
      '0.42%',
      '0.42%',
      '0%',
      '0%',
      '0%',
    ]);
  });

  it('aligns numbers right under their header', () => {
    const header = lines[0] ?? '';
    const end = header.indexOf('p95 ms') + 'p95 ms'.length;
    for (const line of lines.slice(1)) expect(line[end - 1]).toMatch(/\d/);
    for (const line of lines.slice(1)) expect(line[end]).toBe(' ');
  });

  it('is plain text, every line indented', () => {
    expect(table).not.toContain('|');
    for (const line of lines) expect(line.startsWith('  ')).toBe(true);
  });

  it('shows dropped iterations in the open model, and dashes for null', () => {
    const open = formatTerminalTable({
      loadModel: 'open',
      levels: [
        level({
          level: 50,
          droppedIterations: 7,
          requests: [request({ name: 'a', p50Ms: null, p95Ms: null, p99Ms: null, maxMs: null })],
        }),
      ],
    }).split('\n');
    expect(
      open[0]
        ?.trim()
        .split(/\s{2,}/)
        .slice(1, 2),
    ).toEqual(['req/s']);
    expect(open[0]?.trim().endsWith('dropped')).toBe(true);
    expect(open[1]?.trim().split(/\s+/)).toEqual([
      'clean',
      '50',
      'a',
      '100',
      '—',
      '—',
      '—',
      '—',
      '0%',
      '0%',
      '0%',
      '0%',
      '0%',
      '7',
    ]);
  });

  it('says so when nothing was measured', () => {
    expect(formatTerminalTable({ levels: [], loadModel: 'closed' })).toBe('no level was measured');
  });

  it('neutralises escape sequences and workflow commands in names', () => {
    const out = formatTerminalTable({
      loadModel: 'closed',
      levels: [
        level({
          phase: '::error::pwned\n::add-mask::x',
          level: 1,
          requests: [request({ name: '\u001b[2Jred' })],
        }),
      ],
    });
    expect(out).not.toContain('\u001b');
    for (const line of out.split('\n')) expect(line.trimStart().startsWith('::')).toBe(false);
    expect(out).not.toContain('::');
  });
});

describe('formatProgress', () => {
  const base: ProgressLine = {
    phase: 'clean',
    levelIndex: 2,
    levelCount: 5,
    level: 20,
    model: 'closed',
    elapsedS: 42,
    totalS: 100,
    p95Ms: 18.23,
    errorRate: 0,
  };

  it('reads as one compact line', () => {
    expect(formatProgress(base)).toBe('clean  level 3/5 (20 VUs)  0:42/1:40  p95 18.2 ms  errors 0.00%');
  });

  it('labels the open model, large latencies and errors', () => {
    expect(formatProgress({ ...base, model: 'open', p95Ms: 912.4, errorRate: 0.0042 })).toBe(
      'clean  level 3/5 (20 req/s)  0:42/1:40  p95 912 ms  errors 0.42%',
    );
  });

  it('shows dashes before the first response', () => {
    expect(formatProgress({ ...base, p95Ms: null, errorRate: null, elapsedS: 0 })).toBe(
      'clean  level 3/5 (20 VUs)  0:00/1:40  p95 —  errors —',
    );
  });

  it('keeps a hostile phase name on one harmless line', () => {
    const line = formatProgress({ ...base, phase: '::warning::x\r\n\u001b[31m' });
    for (const control of ['\r', '\n', '\u001b']) expect(line).not.toContain(control);
    expect(line.startsWith('::')).toBe(false);
  });
});

describe('sanitizeTerminal', () => {
  it('clips long names', () => {
    expect(sanitizeTerminal('x'.repeat(100))).toBe(`${'x'.repeat(31)}…`);
  });
});
