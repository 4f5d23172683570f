import { describe, expect, it } from 'vitest';
import { lognormalSamples, syntheticBaseline } from '../compare/testing.ts';
import { TrendSchema } from '../result/schema.ts';
import type { Baseline } from './schema.ts';
import { buildTrend } from './trend.ts';

/** A stored night: two levels of items and health, items' median `itemsMs` (its p95 follows). */
function night(day: number, itemsMs: number, options: { k6?: string; commit?: string } = {}): Baseline {
  const record = syntheticBaseline(
    [2, 8].flatMap((level) => [
      {
        level,
        request: 'items',
        samples: lognormalSamples(500, day * 10 + level, level === 8 ? itemsMs : 20),
      },
      { level, request: 'health', samples: lognormalSamples(500, day * 10 + level + 1, 2) },
    ]),
    {
      runId: `night-${day}`,
      replicates: 50,
      ...(options.k6 ? { comparability: { k6Version: options.k6 } } : {}),
    },
  );
  return {
    ...record,
    startedAt: `2026-11-${String(day).padStart(2, '0')}T03:00:00.000Z`,
    source: { commit: options.commit ?? null, ref: 'main' },
  };
}

describe('buildTrend', () => {
  it('charts p95 at the top level, oldest first, this run last', () => {
    // the store gives newest first
    const history = [night(3, 60), night(2, 55), night(1, 50)];
    const trend = buildTrend(history, night(4, 90), 'series main of branch loadgate-baselines');
    expect(trend).not.toBeNull();
    if (!trend) return;
    expect(TrendSchema.parse(trend)).toEqual(trend);
    expect(trend).toMatchObject({
      phase: 'clean',
      levelIndex: 1,
      level: 8,
      requests: ['items', 'health'],
      skipped: 0,
    });
    expect(trend.points.map((p) => p.runId)).toEqual(['night-1', 'night-2', 'night-3', 'night-4']);
    const items = trend.points.map((p) => p.p95Ms[0] as number);
    // the medians rose 50 → 55 → 60 → 90: so do the p95s
    for (let i = 1; i < items.length; i++) expect(items[i]).toBeGreaterThan(items[i - 1] as number);
    // 60 → 90: half again
    expect((items[3] as number) / (items[2] as number)).toBeGreaterThan(1.3);
    expect((items[3] as number) / (items[2] as number)).toBeLessThan(1.7);
  });

  it('leaves out runs it cannot compare with, and this run’s own stored record', () => {
    const current = night(4, 50);
    const trend = buildTrend([current, night(3, 50, { k6: '2.9.0' }), night(2, 50)], current, 's');
    expect(trend?.points.map((p) => p.runId)).toEqual(['night-2', 'night-4']);
    expect(trend?.skipped).toBe(1);
  });

  it('is no trend without an earlier comparable run', () => {
    expect(buildTrend([], night(4, 50), 's')).toBeNull();
    expect(buildTrend([night(3, 50, { k6: '2.9.0' })], night(4, 50), 's')).toBeNull();
  });

  it('keeps the newest runs up to the limit, and nulls where a run did not measure a request', () => {
    const history = [5, 4, 3, 2, 1].map((d) => night(d, 50));
    const without = {
      ...history[0],
      cells: history[0]?.cells.filter((c) => c.request !== 'health'),
    } as Baseline;
    const trend = buildTrend([without, ...history.slice(1)], night(6, 50), 's', 3);
    expect(trend?.points.map((p) => p.runId)).toEqual(['night-4', 'night-5', 'night-6']);
    expect(trend?.points[1]?.p95Ms[1]).toBeNull();
  });

  it('reports where the series changed level: a slower build taken as the baseline is named', () => {
    // items at 8 VUs 50 ms for four nights, then 75 ms from night 5 (commit abc5), this night too
    const history = [8, 7, 6, 5, 4, 3, 2, 1].map((d) =>
      night(d, d >= 5 ? 75 : 50, { commit: `abc${d}`.padEnd(12, '0') }),
    );
    const trend = buildTrend(history, night(9, 75), 's');
    expect(TrendSchema.parse(trend)).toEqual(trend);
    const items = trend?.changePoints?.filter((c) => c.request === 'items' && c.level === 8) ?? [];
    expect(items.map((c) => [c.metric, c.runId, c.commit])).toEqual([
      ['p50Ms', 'night-5', 'abc500000000'],
      ['p95Ms', 'night-5', 'abc500000000'],
    ]);
    expect(items[0]?.change).toBeGreaterThan(0.3);
    // health did not move
    expect(trend?.changePoints?.filter((c) => c.request === 'health')).toEqual([]);
    // a steady series has none
    expect(
      buildTrend(
        [3, 2, 1, 4, 5, 6].map((d) => night(d, 50)),
        night(7, 50),
        's',
      )?.changePoints,
    ).toEqual([]);
  });
});
