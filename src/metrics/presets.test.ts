import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MetricFamily, parseExposition } from './exposition.ts';
import { type LevelWindow, levelPoolFigures, type ScrapeRecord } from './levels.ts';
import { detectPreset, POOL_PRESETS, type PoolPresetName, poolMetricNames } from './presets.ts';
import { type Families, findFamily, indexFamilies } from './series.ts';

// Exposition text recorded from each real library (scripts/record-prometheus-fixtures/): a pool
// of 2 after a burst of 6 workers × 20 checkouts holding a connection 30 ms each (the demo: 8 ×
// 25 requests against a pool of 2, each holding its connection over a 30 ms upstream call).
const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'prometheus');
const scrape = (name: string) => indexFamilies(parseExposition(readFileSync(join(fixtures, name), 'utf8')));

/** The same page as a freshly started pool shows it: every counter and histogram at 0. */
function atRest(families: Families): Families {
  const zero = (family: MetricFamily): MetricFamily =>
    family.type === 'gauge'
      ? family
      : { ...family, samples: family.samples.map((s) => ({ ...s, value: 0 })) };
  return new Map([...families].map(([name, family]) => [name, zero(family)]));
}

const window: LevelWindow = { phase: 'clean', levelIndex: 0, level: 6, startS: 0, endS: 10 };
/** A level that began with the pool at rest and ended at the recorded page. */
function figures(file: string, preset: PoolPresetName, labels: Record<string, string> = {}) {
  const end = scrape(file);
  const timeline: ScrapeRecord[] = [
    { targetS: 0, atS: 0, families: atRest(end) },
    { targetS: 5, atS: 5, families: end },
    { targetS: 10, atS: 10, families: end },
  ];
  return levelPoolFigures(window, timeline, POOL_PRESETS[preset].metrics, labels);
}

describe('presets against recorded exposition', () => {
  const cases: [string, PoolPresetName][] = [
    ['python-demo-sqlalchemy.txt', 'loadgate-demo'],
    ['hikaricp-micrometer.txt', 'hikaricp'],
    ['hikaricp-micrometer-histogram.txt', 'hikaricp'],
    ['hikaricp-micrometer-histogram.openmetrics.txt', 'hikaricp'],
    ['hikaricp-simpleclient-histogram.txt', 'hikaricp-simpleclient'],
    ['go-sql-dbstats.txt', 'go-sql'],
    ['node-postgres-exporter.txt', 'node-postgres'],
  ];
  for (const [file, preset] of cases) {
    it(`${file} is recognized as ${preset}, and exposes every metric the preset reads`, () => {
      const families = scrape(file);
      expect(detectPreset(new Set(families.keys()))).toBe(preset);
      for (const name of poolMetricNames(POOL_PRESETS[preset].metrics)) {
        expect(findFamily(families, name), name).toBeDefined();
      }
    });
  }

  it('HikariCP through Micrometer by default: a summary, so a mean and no p95', () => {
    const f = figures('hikaricp-micrometer.txt', 'hikaricp');
    expect(f.waits).toBe(120);
    expect(f.waitMeanMs).toBeCloseTo((5.914906666 / 120) * 1000, 9);
    expect(f.waitP95Ms).toBeNull();
    expect(f.timeouts).toBe(7);
    expect(f).toMatchObject({ peakWaiting: 0, peakInUse: 0, peakOpen: 2 });
  });

  it('HikariCP through Micrometer with percentiles-histogram: a p95 too, alike in both formats', () => {
    const f = figures('hikaricp-micrometer-histogram.txt', 'hikaricp');
    const open = figures('hikaricp-micrometer-histogram.openmetrics.txt', 'hikaricp');
    expect(open).toEqual(f);
    expect(f.waits).toBe(120);
    // The slowest wait was the 250 ms connection timeout: p95 lies above the mean, below that.
    expect(f.waitP95Ms).toBeGreaterThan(f.waitMeanMs as number);
    expect(f.waitP95Ms).toBeLessThanOrEqual(
      1000 *
        (scrape('hikaricp-micrometer-histogram.txt').get('hikaricp_connections_acquire_seconds_max')
          ?.samples[0]?.value as number) *
        1.5,
    );
    expect(f.timeouts).toBeGreaterThan(0);
  });

  it("HikariCP's own simpleclient histogram: nanoseconds, and buckets that stop at about 1 ms", () => {
    const f = figures('hikaricp-simpleclient-histogram.txt', 'hikaricp-simpleclient');
    expect(f.waits).toBe(120);
    // the same burst as the Micrometer pools: a mean of tens of milliseconds, not of seconds
    expect(f.waitMeanMs).toBeCloseTo((5.941627798e9 / 120) * 1e-6, 9);
    // 45 of 120 waits are above the highest bucket (1 024 000 ns): the p95 is not measurable
    expect(f.waitP95Ms).toBeNull();
    expect(f.waitP95BeyondMs).toBeCloseTo(1.024, 12);
    expect(f.timeouts).toBeGreaterThan(0);
    expect(f.peakOpen).toBe(2);
  });

  it("Go's database/sql: a sum and a count of waits, so a mean per wait and no p95 nor timeouts", () => {
    const f = figures('go-sql-dbstats.txt', 'go-sql');
    expect(f.waits).toBe(117);
    expect(f.waitMeanMs).toBeCloseTo((6.873976673 / 117) * 1000, 9);
    expect(f.waitP95Ms).toBeNull();
    expect(f.timeouts).toBeNull();
    expect(f).toMatchObject({ peakInUse: 0, peakOpen: 2, peakWaiting: null });
  });

  it('node-postgres: no wait time at all, only how many callers wait', () => {
    const f = figures('node-postgres-exporter.txt', 'node-postgres');
    expect(f).toMatchObject({ waitP95Ms: null, waitMeanMs: null, waits: null, timeouts: null });
    expect(f).toMatchObject({ peakWaiting: 2, peakInUse: 2, peakOpen: 2 });
  });

  it('a label filter that matches no series measures nothing', () => {
    const f = figures('hikaricp-micrometer.txt', 'hikaricp', { pool: 'another' });
    expect(f).toMatchObject({ waitMeanMs: null, timeouts: null, peakOpen: null });
    expect(figures('hikaricp-micrometer.txt', 'hikaricp', { pool: 'micrometer' }).waits).toBe(120);
  });
});
