import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExpositionError, parseExposition, parseValue } from './exposition.ts';
import { countSum, histogramValue, indexFamilies } from './series.ts';

// Every fixture was recorded from the real library by scripts/record-prometheus-fixtures/.
const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'prometheus');
const read = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const families = (name: string) => indexFamilies(parseExposition(read(name)));

describe('parseExposition on recorded output', () => {
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.txt'));

  it('has a fixture from each library', () => {
    expect(files.sort()).toEqual([
      'go-sql-dbstats.txt',
      'hikaricp-micrometer-histogram.openmetrics.txt',
      'hikaricp-micrometer-histogram.txt',
      'hikaricp-micrometer.txt',
      'hikaricp-simpleclient-histogram.txt',
      'node-postgres-exporter.txt',
      'python-demo-sqlalchemy.before.txt',
      'python-demo-sqlalchemy.txt',
    ]);
  });

  for (const file of files) {
    it(`${file}: every sample lands in a typed family, every histogram is whole`, () => {
      const parsed = parseExposition(read(file));
      expect(parsed.length).toBeGreaterThan(0);
      expect(parsed.some((family) => family.samples.length > 0)).toBe(true);
      for (const family of parsed) {
        if (family.type !== 'histogram') continue;
        const series = new Set(
          family.samples.map((s) => JSON.stringify(Object.entries(s.labels).filter(([k]) => k !== 'le'))),
        );
        for (const key of series) {
          const labels = Object.fromEntries(JSON.parse(key) as [string, string][]);
          const h = histogramValue(family, labels);
          expect(h, `${family.name} ${key}`).not.toBeNull();
          const counts = h?.buckets.map((b) => b.count) ?? [];
          expect(counts).toEqual([...counts].sort((a, b) => a - b));
          expect(h?.buckets.at(-1)?.count).toBe(h?.count);
        }
      }
      // No family is a stray suffix of a declared one (x_bucket, x_count, x_total on their own).
      const names = new Set(parsed.map((f) => f.name));
      for (const family of parsed.filter((f) => f.type === 'untyped')) {
        const base = family.name.replace(/_(bucket|count|sum|total|created)$/, '');
        expect(base === family.name || !names.has(base), family.name).toBe(true);
      }
    });
  }

  it("reads prometheus_client's histogram, its counter with _total, and its _created gauges apart", () => {
    const demo = families('python-demo-sqlalchemy.txt');
    const wait = demo.get('demo_pool_checkout_wait_seconds');
    expect(wait?.type).toBe('histogram');
    expect(countSum(wait as NonNullable<typeof wait>)).toEqual({ count: 200, sum: 13.041832662003344 });
    expect(demo.get('demo_pool_checkout_timeouts_total')?.samples).toEqual([
      { name: 'demo_pool_checkout_timeouts_total', labels: {}, value: 22 },
    ]);
    expect(demo.get('demo_pool_checkout_wait_seconds_created')?.type).toBe('gauge');
    const requests = demo.get('demo_request_duration_seconds');
    expect(
      histogramValue(requests as NonNullable<typeof requests>, { endpoint: '/items' })?.count,
    ).toBeGreaterThan(0);
  });

  it("reads the Java simpleclient's trailing comma and Micrometer's OpenMetrics with # EOF", () => {
    const simple = families('hikaricp-simpleclient-histogram.txt');
    const acquired = simple.get('hikaricp_connection_acquired_nanos');
    expect(acquired?.type).toBe('histogram');
    expect(acquired?.samples[0]?.labels.pool).toBe('simpleclient');
    const open = families('hikaricp-micrometer-histogram.openmetrics.txt');
    expect(open.get('hikaricp_connections_acquire_seconds')?.type).toBe('histogram');
  });
});

describe('parseExposition on the format’s corners', () => {
  it('unescapes label values and skips exemplars and timestamps', () => {
    const [family] = parseExposition(
      [
        '# TYPE t counter',
        't_total{path="C:\\\\DIR\\\\F.TXT",err="say \\"hi\\"\\n"} 3 1395066363000',
        't_created 1.7e9',
        't_total{path="x"} 1.0 # {trace_id="abc"} 0.5 1.2',
      ].join('\n'),
    );
    expect(family?.samples).toEqual([
      { name: 't_total', labels: { path: 'C:\\DIR\\F.TXT', err: 'say "hi"\n' }, value: 3 },
      { name: 't_created', labels: {}, value: 1.7e9 },
      { name: 't_total', labels: { path: 'x' }, value: 1 },
    ]);
  });

  it('reads NaN and infinities as Go does, and rejects other words', () => {
    expect(parseValue('NaN')).toBeNaN();
    expect(parseValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseValue('1.0E-4')).toBe(1e-4);
    expect(parseValue('0x10')).toBeUndefined();
    expect(parseValue('')).toBeUndefined();
  });

  it('names the line of a malformed sample', () => {
    expect(() => parseExposition('# TYPE a gauge\na{b="1" 2\n')).toThrow(ExpositionError);
    expect(() => parseExposition('a 1\nb{x=1} 2\n')).toThrow(/^line 2: expected a quoted value/);
    expect(() => parseExposition('a one\n')).toThrow(/"one" is not a number/);
  });

  it('stops at # EOF', () => {
    expect(parseExposition('a 1\n# EOF\nthis is not parsed').map((f) => f.name)).toEqual(['a']);
  });
});
