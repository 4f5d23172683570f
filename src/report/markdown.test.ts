import { describe, expect, it } from 'vitest';
import type { Breach, Result } from '../result/schema.ts';
import { renderReport } from './markdown.ts';
import { DRAINING_LEVELS, drainingLevels, drainingResult, level, request } from './testing/draining-pool.ts';

const breach = (over: Partial<Breach> = {}): Breach => ({
  metric: 'p95',
  phase: 'clean',
  level: 32,
  request: 'items',
  limit: 800,
  actual: 912.4,
  reason: 'p95 of items at 32 VUs (clean): 912 ms > 800 ms limit',
  ...over,
});

/** Table lines (those starting with a pipe), grouped into tables. */
function tables(markdown: string): string[][] {
  const groups: string[][] = [];
  let current: string[] | null = null;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('|')) {
      if (current === null) {
        current = [];
        groups.push(current);
      }
      current.push(line);
    } else current = null;
  }
  return groups;
}

/** A GFM row's cells: split on pipes not escaped by a backslash. */
function cells(row: string): string[] {
  return row
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** The content of every ```mermaid block. */
function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1] ?? '');
}

describe('renderReport', () => {
  const failing = drainingResult({
    verdict: 'fail',
    summary: '1 gate breach: p95 of items at 32 VUs (clean): 912 ms > 800 ms limit',
    gate: { checked: 10, breaches: [breach()] },
  });

  it('opens with the verdict heading and the run facts', () => {
    const lines = renderReport(drainingResult()).split('\n');
    expect(lines[0]).toBe('## loadgate: PASS — 5 levels, 2 requests, 0 gate breaches');
    const facts = lines.find((l) => l.startsWith('Closed model'));
    expect(facts).toBe(
      'Closed model (a fixed number of VUs per level) · 10 s per level · k6 v1.0.0 · idle probe p95 1.8 ms · run run-1',
    );
    expect(renderReport(failing).split('\n')[0]).toBe(
      '## loadgate: FAIL — 5 levels, 2 requests, 1 gate breach',
    );
  });

  it('has one table row per level × request, in the order they ran, numbers formatted', () => {
    const [table, ...others] = tables(renderReport(failing));
    expect(others).toEqual([]);
    const [header, delimiter, ...rows] = table ?? [];
    expect(cells(header ?? '')).toEqual([
      'Level (VUs)',
      'Request',
      'Throughput (req/s)',
      'p50 (ms)',
      'p90 (ms)',
      'p95 (ms)',
      'p99 (ms)',
      'max (ms)',
      'Errors',
      'Timeouts',
      'Conn. errors',
      '5xx',
      '4xx',
    ]);
    expect(rows).toHaveLength(DRAINING_LEVELS.length * 2);
    expect(rows.map((r) => cells(r).slice(0, 2).join(' '))).toEqual(
      DRAINING_LEVELS.flatMap((l) => [`${l} items`, `${l} health`]),
    );
    for (const row of rows) expect(cells(row)).toHaveLength(13);
    expect(cells(rows[8] ?? '')).toEqual([
      '32',
      'items',
      '35.1',
      '456',
      '821',
      '912',
      '1186',
      '1825',
      '0.42%',
      '0.42%',
      '0%',
      '0%',
      '0%',
    ]);
    expect(cells(rows[1] ?? '').slice(3, 6)).toEqual(['1.1', '1.9', '2.1']);
    // Numbers right-aligned, the request name left-aligned.
    expect(
      cells(delimiter ?? '').map((c) => (c.startsWith(':') ? 'l' : c.endsWith(':') ? 'r' : '?')),
    ).toEqual(['r', 'l', ...Array(11).fill('r')]);
  });

  it('lists the gate breaches with their reasons', () => {
    const report = renderReport(failing);
    expect(report).toContain(
      '### Gate: 1 breach in 10 checks\n\n- p95 of items at 32 VUs (clean): 912 ms &gt; 800 ms limit\n',
    );
    expect(renderReport(drainingResult())).toContain('### Gate\n\n10 gate checks, no breach.\n');
    expect(renderReport(drainingResult({ gate: { checked: 0, breaches: [] } }))).toContain(
      'No gate check was made: no threshold is configured, or none matched a measured level.',
    );
  });

  it('lists at most maxBreaches and counts the rest', () => {
    const breaches = Array.from({ length: 7 }, (_, i) => breach({ reason: `reason ${i}` }));
    const report = renderReport(drainingResult({ verdict: 'fail', gate: { checked: 10, breaches } }), {
      maxBreaches: 5,
    });
    expect(report).toContain('- reason 4\n- and 2 more (see result.json)\n');
    expect(report).not.toContain('reason 5');
  });

  it('shows null as a dash', () => {
    const result = drainingResult({
      levels: [
        level({
          level: 64,
          requests: [
            request({
              name: 'items',
              count: 0,
              throughputRps: 0,
              p50Ms: null,
              p90Ms: null,
              p95Ms: null,
              p99Ms: null,
              maxMs: null,
            }),
          ],
        }),
      ],
    });
    const [table] = tables(renderReport(result));
    expect(cells(table?.[2] ?? '').slice(2, 8)).toEqual(['0.00', '—', '—', '—', '—', '—']);
  });

  it('labels an open model and shows dropped iterations', () => {
    const levels = drainingLevels().map((l, i) => ({ ...l, droppedIterations: i * 3 }));
    const report = renderReport(drainingResult({ loadModel: 'open', levels }));
    expect(report).toContain('Open model (a fixed arrival rate per level)');
    const [[header, , ...rows] = []] = tables(report);
    expect(cells(header ?? '')[0]).toBe('Level (req/s)');
    expect(cells(header ?? '').at(-1)).toBe('Dropped (iterations)');
    expect(rows.map((r) => cells(r).at(-1))).toEqual(['0', '0', '3', '3', '6', '6', '9', '9', '12', '12']);
    expect(mermaidBlocks(report)[0]).toContain('x-axis "req/s" ["1", "4", "8", "16", "32"]');
  });

  it('renders a table and a chart per phase, with recovery', () => {
    const result = drainingResult({
      phases: [
        { name: 'clean', recoverySeconds: null },
        { name: 'latency', recoverySeconds: 4 },
      ],
      levels: [...drainingLevels('clean'), ...drainingLevels('latency')],
    });
    const report = renderReport(result);
    expect(report.split('\n')[0]).toBe('## loadgate: PASS — 2 phases, 5 levels, 2 requests, 0 gate breaches');
    expect(tables(report)).toHaveLength(2);
    expect(mermaidBlocks(report)).toHaveLength(2);
    expect(report).toContain('### Phase: latency\n\nRecovery: 4 s.');
    expect(report.indexOf('### Phase: clean')).toBeLessThan(report.indexOf('### Phase: latency'));
  });

  it('marks a partial run', () => {
    const report = renderReport(drainingResult({ partial: true, verdict: 'error' }));
    expect(report.split('\n')[0]).toBe(
      '## loadgate: ERROR (partial run) — 5 levels, 2 requests, 0 gate breaches',
    );
    expect(report).toContain('**Partial run:**');
  });

  it('is deterministic', () => {
    expect(renderReport(failing)).toBe(renderReport(structuredClone(failing)));
  });
});

describe('the p95 chart', () => {
  it('is a well-formed xychart with one value per level per request', () => {
    const report = renderReport(drainingResult());
    expect(report.match(/^```/gm)).toHaveLength(2);
    const [block] = mermaidBlocks(report);
    const lines = (block ?? '').split('\n');
    // Front matter first, closed, then the diagram type.
    expect(lines[0]).toBe('---');
    const close = lines.indexOf('---', 1);
    expect(close).toBeGreaterThan(0);
    expect(lines[close + 1]).toBe('xychart-beta');
    for (const line of lines) expect((line.match(/"/g) ?? []).length % 2).toBe(0);

    const axis = lines.find((l) => l.trim().startsWith('x-axis')) ?? '';
    const categories = axis.slice(axis.indexOf('[') + 1, axis.lastIndexOf(']')).split(', ');
    expect(categories).toEqual(DRAINING_LEVELS.map((l) => `"${l}"`));

    const series = lines.filter((l) => l.trim().startsWith('line ['));
    expect(series).toHaveLength(2);
    for (const s of series) {
      expect(s.trim()).toMatch(/^line \[[^\]]*\]$/);
      const values = s.slice(s.indexOf('[') + 1, s.lastIndexOf(']')).split(', ');
      expect(values).toHaveLength(DRAINING_LEVELS.length);
      for (const v of values) expect(Number.isFinite(Number(v))).toBe(true);
    }
    expect(series[0]?.trim()).toBe('line [22.4, 24.1, 31.7, 180.2, 912.4]');
    expect(report).toContain('Lines in order: 1. items (blue), 2. health (orange).');
  });

  it('keeps config and service text out of the Mermaid block', () => {
    const levels = drainingLevels('ph"ase').map((l) => ({
      ...l,
      requests: l.requests.map((r) => ({ ...r, name: `${r.name}"]\nline [1` })),
    }));
    const [block] = mermaidBlocks(
      renderReport(drainingResult({ phases: [{ name: 'ph"ase', recoverySeconds: null }], levels })),
    );
    expect(block).not.toContain('items');
    expect(block).not.toContain('ph"ase');
    expect(block?.split('\n').filter((l) => l.trim().startsWith('line ['))).toHaveLength(2);
  });

  it('leaves out a request without p95 at some level, and says so', () => {
    const levels = drainingLevels().map((l, i) => ({
      ...l,
      requests: l.requests.map((r) => (r.name === 'items' && i === 4 ? { ...r, p95Ms: null } : r)),
    }));
    const report = renderReport(drainingResult({ levels }));
    const [block] = mermaidBlocks(report);
    expect(block?.split('\n').filter((l) => l.trim().startsWith('line ['))).toEqual([
      '  line [2.1, 2.3, 2.5, 2.7, 2.9]',
    ]);
    expect(report).toContain('Lines in order: 1. health (blue). Not drawn, no p95 at some level: items.');
  });
});

describe('hostile strings', () => {
  const evil = '`<script>alert(1)</script>` | @octocat [x](javascript:alert(1))\n# heading';
  const huge = 'A'.repeat(100_000);
  const hostile: Result = drainingResult({
    verdict: 'fail',
    summary: `1 gate breach: ${evil}`,
    k6Version: '<img src=x onerror=alert(1)>',
    runId: '@admin',
    phases: [{ name: evil, recoverySeconds: null }],
    levels: drainingLevels(evil).map((l) => ({
      ...l,
      requests: [
        { ...(l.requests[0] ?? request({ name: '' })), name: evil },
        { ...(l.requests[1] ?? request({ name: '' })), name: huge },
      ],
    })),
    gate: {
      checked: 10,
      breaches: [breach({ phase: evil, request: evil, reason: `p95 of ${evil}: 912 ms > 800 ms` })],
    },
  });
  const report = renderReport(hostile);

  it('contains no raw HTML', () => {
    expect(report).not.toMatch(/<[a-z/!]/i);
  });

  it('breaks no table row', () => {
    const [table] = tables(report);
    expect(table).toHaveLength(2 + 10);
    for (const row of table ?? []) expect(cells(row)).toHaveLength(13);
  });

  it('mentions nobody and links nowhere', () => {
    expect(report).not.toMatch(/@[A-Za-z0-9]/);
    expect(report).not.toMatch(/(?<!\\)\](?=\()/);
  });

  it('has backticks only in its code fences', () => {
    for (const line of report.split('\n')) {
      if (!line.startsWith('```')) expect(line).not.toContain('`');
    }
  });

  it('starts no heading of its own', () => {
    const headings = report.split('\n').filter((l) => l.startsWith('#'));
    expect(headings.map((h) => h.split(' ')[0])).toEqual(['##', '###', '###']);
  });

  it('clips a 100 kB name to a sane cell', () => {
    expect(report.length).toBeLessThan(20_000);
    expect(report).toContain(`${'A'.repeat(79)}…`);
    expect(report).not.toContain('A'.repeat(81));
  });
});

describe('renderReport: what the slow levels most likely mean', () => {
  it('one line per slow level: the cause in bold, then the facts behind it, most telling first', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ResultSchema } = await import('../result/schema.ts');
    const path = join(
      import.meta.dirname,
      '..',
      '..',
      'test',
      'fixtures',
      'results',
      'demo-faults-blocking.result.json',
    );
    const report = renderReport(ResultSchema.parse(JSON.parse(readFileSync(path, 'utf8'))));
    expect(report).toMatch(
      /- 10 VUs: \*\*something blocks the request path \(event loop or all workers\)\*\*: probe p95 56 ms \(7\.7× idle\); service CPU 0\.19 cores, runner 76% busy; 5\.6 ms of CPU per request; requests' p95 406 ms \(2\.5× the lowest level\)\./,
    );
    expect(report).toMatch(
      /- 1 VU: \*\*a slow or failing upstream \(this phase’s fault\)\*\*: faults: upstream: latency/,
    );
  });
});
