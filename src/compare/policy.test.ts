import { describe, expect, it } from 'vitest';
import { countReliability } from '../../test/helpers/reliability.ts';
import { ConfigError } from '../errors.ts';
import { applyFloorSettings, DEFAULT_POLICY } from './policy.ts';

describe('--floor', () => {
  it('sets the floors it names', () => {
    const policy = applyFloorSettings(DEFAULT_POLICY, ['p95=8%', 'errorRate=0.2%', 'timeoutRate.ratio=3']);
    expect(policy.floors.p95Ms).toBe(0.08);
    expect(policy.floors.errorRate.absolute).toBe(0.002);
    expect(policy.floors.timeoutRate.ratio).toBe(3);
  });

  it.each([
    'constructor=5%',
    'toString=5%',
    'valueOf=5%',
    'hasOwnProperty=5%',
    '__proto__=5%',
    '__proto__.ratio=2',
    'constructor.ratio=2',
  ])('refuses %s, which names no metric, and changes nothing', (setting) => {
    countReliability('hostileInputs', 1, '--floor names of Object.prototype');
    let error: unknown;
    try {
      applyFloorSettings(DEFAULT_POLICY, [setting]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `--floor ${setting}: expected p50|p95|p99|errorRate|timeoutRate=<percent>, e.g. p95=10%, or latency=<ms>`,
    ]);
  });
});
