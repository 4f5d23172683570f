import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExposition } from './exposition.ts';
import { levelDbFigures, levelPoolFigures, levelWindows, type ScrapeRecord } from './levels.ts';
import { POOL_PRESETS } from './presets.ts';
import { indexFamilies } from './series.ts';

// The demo, scraped before and after a burst of 8 × 25 requests against a pool of 2 with a
// 100 ms checkout timeout (scripts/record-prometheus-fixtures/record.sh demo).
const scrape = (name: string) =>
  indexFamilies(
    parseExposition(
      readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'prometheus', name), 'utf8'),
    ),
  );
const before = scrape('python-demo-sqlalchemy.before.txt');
const after = scrape('python-demo-sqlalchemy.txt');
const demo = POOL_PRESETS['loadgate-demo'].metrics;
const window = { phase: 'clean', levelIndex: 1, level: 8, startS: 4, endS: 7 };

describe('levelPoolFigures', () => {
  it('differences the scrapes at the level’s own start and end, not the others', () => {
    const timeline: ScrapeRecord[] = [
      { targetS: 1, atS: 1.01, families: after }, // an earlier level's: ignored
      { targetS: 4, atS: 4.02, families: before },
      { targetS: 7, atS: 7.03, families: after },
    ];
    const f = levelPoolFigures(window, timeline, demo);
    expect(f.waits).toBe(200);
    expect(f.waitMeanMs).toBeCloseTo((13.041832662003344 / 200) * 1000, 9);
    expect(f.timeouts).toBe(22);
    // 22 of 200 waits timed out at 100 ms: the p95 is in the (0.1 s, 0.2 s] bucket
    expect(f.waitP95Ms).toBeGreaterThan(100);
    expect(f.waitP95Ms).toBeLessThanOrEqual(200);
  });

  it('is not measured when a boundary scrape failed, while gauges still count', () => {
    const timeline: ScrapeRecord[] = [
      { targetS: 4, atS: 4, families: before },
      { targetS: 5, atS: 5, families: after },
      { targetS: 7, atS: 7.2, families: null },
    ];
    const f = levelPoolFigures(window, timeline, demo);
    expect(f).toMatchObject({ waitP95Ms: null, waitMeanMs: null, waits: null, timeouts: null });
    expect(f.peakInUse).not.toBeNull();
  });

  it('takes the peak and mean of the gauges sampled during the level', () => {
    const timeline: ScrapeRecord[] = [2, 0, 1, 1].map((inUse, i) => ({
      targetS: 4 + i,
      atS: 4 + i,
      families: new Map([
        [
          'demo_pool_checked_out',
          {
            name: 'demo_pool_checked_out',
            type: 'gauge',
            help: '',
            samples: [{ name: 'demo_pool_checked_out', labels: {}, value: inUse }],
          },
        ],
      ]),
    }));
    expect(levelPoolFigures(window, timeline, demo)).toMatchObject({ peakInUse: 2, meanInUse: 1 });
  });
});

describe('levelDbFigures', () => {
  it('keeps the peaks of the samples inside the level', () => {
    const samples = [
      { atS: 3.9, connections: 9, lockWaits: 9, idleInTransaction: 9 },
      { atS: 4.1, connections: 2, lockWaits: 0, idleInTransaction: 1 },
      { atS: 6.9, connections: 3, lockWaits: 1, idleInTransaction: 0 },
    ];
    expect(levelDbFigures(window, samples, 4)).toEqual({
      peakConnections: 3,
      peakLockWaits: 1,
      peakIdleInTransaction: 1,
      refusedConnections: 4,
    });
    expect(levelDbFigures(window, [], null).peakConnections).toBeNull();
  });
});

describe('levelWindows', () => {
  it('keeps the measured scenarios, ends rounded to the millisecond', () => {
    expect(
      levelWindows([
        { phase: 'clean', levelIndex: 0, level: 1, measured: false, startS: 0, durationS: 1 },
        { phase: 'clean', levelIndex: 0, level: 1, measured: true, startS: 1, durationS: 2.1 },
      ]),
    ).toEqual([{ phase: 'clean', levelIndex: 0, level: 1, startS: 1, endS: 3.1 }]);
  });
});
