import { describe, expect, it } from 'vitest';
import type { Trend } from '../result/schema.ts';
import { trendSection } from './trend.ts';

const trend = (points: Trend['points'], over: Partial<Trend> = {}): Trend => ({
  source: 'series main of branch loadgate-baselines of origin',
  phase: 'clean',
  levelIndex: 2,
  level: 8,
  requests: ['items', 'health'],
  points,
  skipped: 0,
  ...over,
});
const point = (day: number, items: number | null, health: number | null, commit: string | null = null) => ({
  runId: `night-${day}`,
  startedAt: `2026-11-${String(day).padStart(2, '0')}T03:00:00.000Z`,
  commit,
  p95Ms: [items, health],
});

describe('trendSection', () => {
  it('draws one line per request, dated, this run last, and says how this run compares', () => {
    const text = trendSection({
      loadModel: 'closed',
      trend: trend([
        point(20, 60, 2.1, 'a1b2c3d4e5f6'),
        point(21, 62, 2.2),
        point(22, 58, 2),
        point(23, 90, 2.1),
      ]),
    }).join('\n\n');
    expect(text).toContain('### Trend: p95 at 8 VUs (clean), the last 4 runs of series main');
    expect(text).toContain(
      'x-axis "run started (UTC)" ["11-20 03:00", "11-21 03:00", "11-22 03:00", "11-23 03:00"]',
    );
    expect(text).toContain('  line [60, 62, 58, 90]');
    expect(text).toContain('  line [2.1, 2.2, 2, 2.1]');
    expect(text).toContain(
      'Lines in order: 1. items (blue), 2. health (orange). The last point is this run.',
    );
    // 90 against the median of 58, 60, 62
    expect(text).toContain(
      'This run against the median of the 3 before it: items 90 ms (+50.0%); health 2.1 ms (+0.0%).',
    );
    expect(text).toMatch(/\| night-23 \(this run\) +\| 2026-11-23 03:00:00 +\| — /);
    expect(text).toContain('`a1b2c3d`');
  });

  it('leaves out a request some run did not measure, and says so and what was skipped', () => {
    const text = trendSection({
      loadModel: 'open',
      trend: trend([point(20, 60, null), point(21, 62, 2.2)], { skipped: 2 }),
    }).join('\n\n');
    expect(text).toContain('### Trend: p95 at 8 req/s');
    expect(text.match(/ {2}line \[/g)).toHaveLength(1);
    expect(text).toContain('Not drawn, not measured in every run: health.');
    expect(text).toContain('2 stored runs are left out: another load, k6 or runner.');
  });

  it('keeps a hostile request name, phase and commit out of the chart and inert around it', () => {
    const evil = '"]\n  line [1]\n```\n<img src=x onerror=alert(1)> @team';
    const text = trendSection({
      loadModel: 'closed',
      trend: trend([point(20, 60, 2, '`rm -rf /`'), point(21, 61, 2)], {
        requests: [evil, 'health'],
        phase: evil,
      }),
    }).join('\n\n');
    const chart = /```mermaid\n[\s\S]*?\n```/.exec(text)?.[0] ?? '';
    expect(chart).not.toContain('img');
    expect(chart.match(/ {2}line \[/g)).toHaveLength(2);
    expect(text).not.toContain('<img');
    expect(text).not.toContain('rm -rf');
    expect(text).not.toMatch(/(^|[^\\])@team/);
  });

  it('is nothing without a trend of two points', () => {
    expect(trendSection({ loadModel: 'closed' })).toEqual([]);
    expect(trendSection({ loadModel: 'closed', trend: trend([point(20, 60, 2)]) })).toEqual([]);
  });

  it('lists where the series changed level, commit and run named, hostile names inert', () => {
    const change = {
      phase: 'clean',
      levelIndex: 2,
      level: 8,
      request: 'items',
      metric: 'p95Ms' as const,
      runId: 'night-22',
      startedAt: '2026-11-22T03:00:00.000Z',
      commit: 'abc5def0123456',
      beforeMs: 60,
      afterMs: 90,
      change: 0.5,
      pValue: 0.0002,
    };
    const text = trendSection({
      loadModel: 'closed',
      trend: trend([point(20, 60, 2), point(21, 61, 2), point(22, 90, 2), point(23, 91, 2)], {
        changePoints: [
          change,
          { ...change, request: '<img src=x> @team', change: -0.2, beforeMs: 5, afterMs: 4 },
        ],
      }),
    }).join('\n\n');
    expect(text).toContain(
      'Where the series changed level (change points: E-divisive means, Hunter’s t test):',
    );
    expect(text).toContain(
      '- p95 of items at 8 VUs (clean): +50.0%, 60 → 90 ms from run night-22 (`abc5def`)',
    );
    expect(text).toContain('−20.0%, 5.0 → 4.0 ms from run night-22');
    expect(text).not.toContain('<img');
    expect(text).not.toMatch(/(^|[^\\])@team/);
  });
});
