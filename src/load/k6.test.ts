import { describe, expect, it } from 'vitest';
import { InfraError } from '../errors.ts';
import { isSupportedK6Version, locateK6, parseK6Version } from './k6.ts';

describe('parseK6Version', () => {
  it('reads what `k6 version` prints', () => {
    // recorded from the pinned build
    expect(parseK6Version('k6 v2.2.0 (commit/devel, go1.26.8, linux/amd64)\n')).toBe('2.2.0');
    expect(parseK6Version('k6 v0.54.0 (go1.23.1, linux/amd64)\nExtensions:\n')).toBe('0.54.0');
    expect(parseK6Version('command not found')).toBeNull();
  });
});

describe('isSupportedK6Version', () => {
  it('accepts 2.x only', () => {
    expect(['2.0.0', '2.2.0', '2.99.1'].map(isSupportedK6Version)).toEqual([true, true, true]);
    expect(['1.7.1', '0.54.0', '3.0.0', 'nonsense'].map(isSupportedK6Version)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('locateK6', () => {
  it('says how to get k6 when there is none', async () => {
    const missing = locateK6({ PATH: '/nonexistent' });
    await expect(missing).rejects.toBeInstanceOf(InfraError);
    await expect(missing).rejects.toThrow(/k6 not found: install k6 2\.0\.0\.\.<3\.0\.0.*LOADGATE_K6/);
  });

  it('refuses a binary that is not k6', async () => {
    await expect(locateK6({ LOADGATE_K6: '/bin/false', PATH: '' })).rejects.toThrow(/did not run/);
  });
});
