import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { defaultJobKey, readSettings } from './settings.ts';

const inputs = (values: Record<string, string>) => (name: string) => values[name] ?? '';

describe('readSettings', () => {
  it('defaults: pr mode, comment on, fail-on-regression off, job key = config path', () => {
    expect(readSettings(inputs({}))).toEqual({
      mode: 'pr',
      configPath: '.github/loadgate.yml',
      outDir: 'loadgate-out',
      overrides: [],
      token: '',
      comment: true,
      failOnRegression: false,
      jobKey: '.github/loadgate.yml',
      commentAuthor: '',
      artifactName: 'loadgate-report',
      runId: null,
      paired: true,
      pairedRate: null,
      baseline: '',
    });
  });

  it('a matrix entry gets its own job key', () => {
    const a = readSettings(inputs({ set: 'service.env.POOL_SIZE=5' })).jobKey;
    const b = readSettings(inputs({ set: 'service.env.POOL_SIZE=10' })).jobKey;
    expect(a).toMatch(/^\.github\/loadgate\.yml\+[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(defaultJobKey('x.yml', [])).toBe('x.yml');
  });

  it('reports every bad input at once', () => {
    try {
      readSettings(
        inputs({
          mode: 'weekly',
          comment: 'maybe',
          'run-id': '12a',
          paired: 'always',
          'paired-rate': '-3',
          baseline: 'git:..x',
        }),
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        'mode: "weekly" is not one of pr, nightly, release, comment-from-artifact',
        'run-id: "12a" is not a run id',
        'paired: "always" is not auto or off',
        'paired-rate: "-3" is not a positive number of requests per second',
        "baseline: 'git:..x': '..x' is not a branch name",
        'comment: "maybe" is not true or false',
      ]);
    }
  });

  it('paired mode: off turns it off, paired-rate fixes the rate', () => {
    expect(readSettings(inputs({ paired: 'OFF', 'paired-rate': '25' }))).toMatchObject({
      paired: false,
      pairedRate: 25,
    });
  });
});
