import { describe, expect, it } from 'vitest';
import type { PartManifest } from '../../k6-scripts/contract.ts';
import { buildLadderPlan } from '../load/plan.ts';
import { checkParts, defaultMaxSkewS } from './check.ts';
import { k6Segment } from './segments.ts';

const plan = buildLadderPlan({
  baseUrl: 'http://127.0.0.1:8000',
  model: 'open',
  levels: [10, 20],
  levelDurationS: 20,
  warmupS: 2,
  requestTimeoutMs: 1000,
  requests: [{ name: 'items', path: '/items' }],
});
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);

function part(index: number, count: number, extra: Partial<PartManifest> = {}) {
  const manifest: PartManifest = {
    partVersion: 1,
    configHash: 'cafe',
    plan,
    ...k6Segment({ index, count }),
    startedAtMs: T0 + index * 100,
    k6Version: '2.2.0',
    runId: `run-${index}`,
    partial: false,
    problem: null,
    files: { summary: 'k6-summary.json', samples: 'k6-samples.csv.gz' },
    ...extra,
  };
  return { where: `parts/${index}/part.json`, manifest };
}

const options = { configHash: 'cafe', maxSkewS: 2 };

describe('checkParts', () => {
  it('takes every segment once, in order, as a complete run', () => {
    const check = checkParts([part(3, 3), part(1, 3), part(2, 3)], [], options);
    expect(check.refused).toEqual([]);
    expect(check.partialReasons).toEqual([]);
    expect(check.count).toBe(3);
    expect(check.used.map((u) => u.segment.index)).toEqual([1, 2, 3]);
    expect(check.skewS).toBeCloseTo(0.2, 6);
    expect(check.plan).toBe(plan);
  });

  it('makes the run partial, with the reason, when a segment is missing, unreadable or unfinished', () => {
    const check = checkParts(
      [
        part(1, 3),
        part(3, 3, { partial: true, problem: 'its runner was cancelled before its ladder ended' }),
      ],
      [{ where: 'parts/2', problem: 'holds no part.json (did its runner fail before it finished?)' }],
      options,
    );
    expect(check.refused).toEqual([]);
    expect(check.missing).toEqual([{ index: 2, count: 3 }]);
    expect(check.partialReasons).toEqual([
      'parts/2 holds no part.json (did its runner fail before it finished?)',
      'segment 2/3 is missing: no part of it was given or readable',
      'segment 3/3 is partial: its runner was cancelled before its ladder ended',
    ]);
    // a part that ran is counted, partial or not: the run says it is partial
    expect(check.used.map((u) => u.segment.index)).toEqual([1, 3]);
  });

  it('knows from --segments that the last segment is missing when its runner wrote nothing at all', () => {
    const check = checkParts([part(1, 3), part(2, 3)], [], { ...options, expectedCount: 3 });
    expect(check.partialReasons).toEqual(['segment 3/3 is missing: no part of it was given or readable']);
    const wrong = checkParts([part(1, 2), part(2, 2)], [], { ...options, expectedCount: 3 });
    expect(wrong.refused).toEqual(['the parts are segments of 2 runners, not of 3 (--segments)']);
  });

  it('leaves out a part that started further from the others than the skew allows', () => {
    const late = part(2, 3, { startedAtMs: T0 + 14_300 });
    const check = checkParts([part(1, 3), late, part(3, 3)], [], options);
    expect(check.used.map((u) => u.segment.index)).toEqual([1, 3]);
    expect(check.leftOut.map((l) => l.segment.index)).toEqual([2]);
    expect(check.partialReasons).toEqual([
      'segment 2/3 started 14.0 s after the others (at most 2 s allowed), so its load did not overlap theirs: left out',
    ]);
    const never = checkParts([part(1, 2), part(2, 2, { startedAtMs: null })], [], options);
    expect(never.partialReasons).toEqual(['segment 2/2 never started its ladder']);
    expect(never.used).toHaveLength(1);
  });

  it('refuses parts of another config or plan, a segment twice, or segments of different runs', () => {
    const other = checkParts([part(1, 2), part(2, 2, { configHash: 'beef' })], [], options);
    expect(other.refused).toEqual([
      expect.stringMatching(
        /^parts\/2\/part\.json was made from another config \(hash beef, this one's cafe\)/,
      ),
    ]);
    const replanned = checkParts([part(1, 2), part(2, 2, { plan: { ...plan, levels: [10] } })], [], options);
    expect(replanned.refused).toEqual([expect.stringMatching(/ran another plan than parts\/1\/part\.json/)]);
    const twice = checkParts([part(1, 2), { ...part(1, 2), where: 'again/part.json' }], [], options);
    expect(twice.refused).toEqual([
      "segment 1/2 was given twice (parts/1/part.json and again/part.json): give each runner's part once",
    ]);
    const mixed = checkParts([part(1, 2), part(2, 3)], [], options);
    expect(mixed.refused).toEqual([expect.stringMatching(/^the parts split the load differently/)]);
    expect(checkParts([], [], options).refused).toEqual([
      'no part was given: name the folders the runners wrote',
    ]);
  });

  it('takes a run of one k6 without segments as the whole', () => {
    const whole = part(1, 1, { executionSegment: null, executionSegmentSequence: null });
    expect(checkParts([whole], [], options).used).toHaveLength(1);
  });

  it('allows a tenth of a level by default, at least a second', () => {
    expect(defaultMaxSkewS(20)).toBe(2);
    expect(defaultMaxSkewS(3)).toBe(1);
  });
});
