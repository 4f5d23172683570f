import { describe, expect, it } from 'vitest';
import type { Merged } from '../result/schema.ts';
import { renderReport } from './markdown.ts';
import { mergedSection } from './merged.ts';
import { drainingResult } from './testing/draining-pool.ts';

const merged: Merged = {
  segments: 3,
  method: 'union-of-samples',
  maxSkewS: 2,
  skewS: 0.04,
  parts: [
    {
      segment: '1/3',
      where: 'parts/1/part.json',
      runId: 'a',
      startedAt: '2026-12-01T10:00:00.000Z',
      used: true,
      note: null,
    },
    {
      segment: '3/3',
      where: 'parts/<b>3</b>/part.json',
      runId: 'c',
      startedAt: '2026-12-01T10:00:14.000Z',
      used: false,
      note: 'started 14.0 s after the others (at most 2 s allowed), so its load did not overlap theirs',
    },
  ],
  missing: ['2/3'],
  partialReasons: [
    'segment 2/3 is missing: no part of it was given or readable',
    'segment 3/3 started 14.0 s after the others',
  ],
};

describe('a merged run in report.md', () => {
  it('says how many runners, how the figures were made, and what became of each part, escaped', () => {
    const [text] = mergedSection(merged);
    expect(text).toContain(
      '**Merged** from 1 of 3 runners (k6 execution segments; started within 0.04 s, at most 2 s allowed)',
    );
    expect(text).toContain("percentiles are k6's own over the union of every runner's samples");
    expect(text).toContain('- segment 2/3: missing');
    expect(text).toMatch(
      /- segment 3\/3 \(parts\/.*3.*\/part\.json\): left out; started 14\.0 s after the others/,
    );
    // a path from a part's files is data, never markup
    expect(text).not.toContain('<b>');
  });

  it('names the reasons a merged run is partial where a cancelled run says it was cancelled', () => {
    const report = renderReport({ ...drainingResult(), partial: true, verdict: 'error', merged });
    expect(report).toContain(
      '**Partial run:** segment 2/3 is missing: no part of it was given or readable; segment 3/3 started 14.0 s after the others; it is never used as a baseline.',
    );
    expect(renderReport({ ...drainingResult(), partial: true, verdict: 'error' })).toContain(
      '**Partial run:** cancelled or failed part-way',
    );
  });
});
