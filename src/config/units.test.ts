import { describe, expect, it } from 'vitest';
import { durationProblem, parseDurationMs, parseRate, rateProblem } from './units.ts';

describe('parseDurationMs', () => {
  it.each([
    ['900ms', 900],
    ['20s', 20_000],
    ['1.5s', 1500],
    ['1.1s', 1100],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['0s', 0],
    ['0.5ms', 0.5],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['20', '', 's', '1.s', '-1s', ' 1s', '1 s', '1sec', '1d', '1S', '.5s'])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });

  it('shows the fix for a bare number', () => {
    expect(durationProblem(20)).toBe('20 is not a duration (a number needs a unit); write "20s" or "20ms"');
    expect(durationProblem('20')).toBe(
      '"20" is not a duration (a number needs a unit); write "20s" or "20ms"',
    );
    expect(durationProblem('soon')).toContain('"900ms", "20s", "1.5s", "2m"');
  });
});

describe('parseRate', () => {
  it.each([
    [0, 0],
    [1, 1],
    [0.001, 0.001],
    ['0.1%', 0.001],
    ['10%', 0.1],
    ['100%', 1],
    ['0%', 0],
    ['12.5%', 0.125],
  ])('%j is %d', (value, rate) => {
    expect(parseRate(value)).toBe(rate);
  });

  it.each([1.5, -0.1, Number.NaN, '0.1', '101%', '%', '-1%', ' 1%', null, true])('rejects %j', (value) => {
    expect(parseRate(value)).toBeUndefined();
  });

  it('suggests a percentage for a number above 1', () => {
    expect(rateProblem(5)).toContain('did you mean "5%"');
    expect(rateProblem('0.5')).toContain('write "0.5%"');
  });
});
