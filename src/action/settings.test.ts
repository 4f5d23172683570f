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
      segment: null,
      startAtMs: null,
      parts: [],
      segments: null,
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

  it('a distributed run: a runner has its segment and start, the merge its parts and runner count', () => {
    expect(readSettings(inputs({ segment: '2/3', 'start-at': '2026-12-01T10:00:00Z' }))).toMatchObject({
      segment: { index: 2, count: 3 },
      startAtMs: Date.UTC(2026, 11, 1, 10, 0, 0),
      parts: [],
    });
    expect(readSettings(inputs({ parts: 'parts/a\n  parts/b  \n\n', segments: '3' }))).toMatchObject({
      segment: null,
      parts: ['parts/a', 'parts/b'],
      segments: 3,
    });
    expect(() => readSettings(inputs({ segment: '4/3', 'start-at': 'soon', segments: '2' }))).toThrow(
      /segment: --segment 4\/3: write i\/N.*; start-at: --start-at soon: write an ISO 8601 time.*; segments: applies only with parts/,
    );
    expect(() => readSettings(inputs({ segment: '1/2', parts: 'parts' }))).toThrow(
      /a job is either one runner or the merge, not both/,
    );
  });

  it('paired mode: off turns it off, paired-rate fixes the rate', () => {
    expect(readSettings(inputs({ paired: 'OFF', 'paired-rate': '25' }))).toMatchObject({
      paired: false,
      pairedRate: 25,
    });
  });
});
