import { describe, expect, it } from 'vitest';
import type { LoadProgress } from '../progress.ts';
import { consoleProgress } from './progress.ts';

const update = (levelIndex: number, elapsedS: number, p95Ms: number | null): LoadProgress => ({
  phase: 'clean',
  levelIndex,
  levelCount: 3,
  level: [1, 4, 8][levelIndex] ?? 1,
  model: 'closed',
  elapsedS,
  totalS: 60,
  p95Ms,
  errorRate: 0.001,
});

function capture(isTty: boolean) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), isTty } };
}

describe('console progress', () => {
  it('on a terminal rewrites one live line with level, elapsed, p95 and errors', () => {
    const { out, io } = capture(true);
    const progress = consoleProgress(io, true);
    progress.load(update(0, 3, 12.5));
    progress.load(update(0, 5, 14.1));
    expect(out).toHaveLength(2);
    for (const line of out) expect(line.startsWith('\r\x1b[2K')).toBe(true);
    expect(out[1]).toContain('level 1/3');
    expect(out[1]).toContain('0:05/1:00');
    expect(out[1]).toContain('p95 14.1 ms');
    expect(out[1]).toContain('errors 0.10%');
    // A step clears the live line before printing, so the two never mix.
    progress.step('removing 3 containers and the network');
    expect(out.at(-2)).toBe('\r\x1b[2K');
    expect(out.at(-1)).toBe('removing 3 containers and the network\n');
  });

  it('in CI logs prints one line per level with its last figures, never carriage returns', () => {
    const { out, io } = capture(false);
    const progress = consoleProgress(io, false);
    // the first poll of a level may come before its first response
    progress.load(update(0, 3, null));
    progress.load(update(0, 5, 13));
    progress.load(update(1, 15, 20));
    expect(out).toHaveLength(1);
    expect(out[0]).toContain('level 1/3');
    expect(out[0]).toContain('p95 13.0 ms');
    // the last level comes out with the next step
    progress.step('removing 3 containers and the network');
    expect(out).toHaveLength(3);
    expect(out[1]).toContain('level 2/3 (4 VUs)');
    expect(out[1]).toContain('p95 20.0 ms');
    expect(out[2]).toBe('removing 3 containers and the network\n');
    expect(out.join('')).not.toContain('\r');
  });

  it('warnings go to stderr', () => {
    const { out, err, io } = capture(false);
    consoleProgress(io, false).warn('level duration is short');
    expect(out).toHaveLength(0);
    expect(err).toEqual(['warning: level duration is short\n']);
  });
});
