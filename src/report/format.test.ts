import { describe, expect, it } from 'vitest';
import { clip, formatClock, formatLevel, formatMs, formatRate, formatRateCell, formatRps } from './format.ts';

describe('formatting', () => {
  it('prints ms as integers from 10 and with one decimal below', () => {
    expect(formatMs(912.4)).toBe('912');
    expect(formatMs(10)).toBe('10');
    expect(formatMs(9.96)).toBe('10');
    expect(formatMs(8.44)).toBe('8.4');
    expect(formatMs(0)).toBe('0.0');
    expect(formatMs(800.4, 1)).toBe('800.4');
    expect(formatMs(800, 1)).toBe('800');
  });

  it('prints rates as percentages with up to two decimals', () => {
    expect(formatRate(0.0042)).toBe('0.42%');
    expect(formatRate(0.001)).toBe('0.1%');
    expect(formatRate(0)).toBe('0%');
    expect(formatRate(1)).toBe('100%');
    expect(formatRate(0.12345, 4)).toBe('12.345%');
  });

  it('never rounds a table rate to nothing or to everything', () => {
    expect(formatRateCell(0)).toBe('0%');
    expect(formatRateCell(0.00001)).toBe('<0.01%');
    expect(formatRateCell(0.0042)).toBe('0.42%');
    expect(formatRateCell(0.99999)).toBe('>99.99%');
    expect(formatRateCell(1)).toBe('100.00%');
  });

  it('prints throughput with precision that fits its size', () => {
    expect(formatRps(412.3)).toBe('412');
    expect(formatRps(38.21)).toBe('38.2');
    expect(formatRps(0.754)).toBe('0.75');
  });

  it('labels levels by load model', () => {
    expect(formatLevel(20, 'closed')).toBe('20 VUs');
    expect(formatLevel(1, 'closed')).toBe('1 VU');
    expect(formatLevel(20, 'open')).toBe('20 req/s');
    expect(formatLevel(0.5, 'open')).toBe('0.5 req/s');
  });

  it('prints clocks', () => {
    expect(formatClock(42)).toBe('0:42');
    expect(formatClock(100)).toBe('1:40');
    expect(formatClock(3723)).toBe('1:02:03');
    expect(formatClock(-5)).toBe('0:00');
    expect(formatClock(Number.NaN)).toBe('0:00');
  });

  it('clips by code points', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcd', 3)).toBe('ab…');
    expect(clip('😀😀😀😀', 3)).toBe('😀😀…');
    expect(clip('😀😀😀', 3)).toBe('😀😀😀');
  });
});
