import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { k6Segment, parseSegmentArg, segmentInSequence } from './segments.ts';

describe('execution segments', () => {
  it("are k6-operator's, character for character (its pkg/segmentation test: index 1 of 4)", () => {
    expect(k6Segment({ index: 1, count: 4 })).toEqual({
      executionSegment: '0:1/4',
      executionSegmentSequence: '0,1/4,2/4,3/4,1',
    });
    expect(k6Segment({ index: 2, count: 3 }).executionSegment).toBe('1/3:2/3');
    expect(k6Segment({ index: 3, count: 3 }).executionSegment).toBe('2/3:1');
    expect(k6Segment({ index: 1, count: 1 })).toEqual({
      executionSegment: '0:1',
      executionSegmentSequence: '0,1',
    });
  });

  it('tile 0..1: each runner finds its own place in the shared sequence', () => {
    for (const count of [1, 2, 3, 7]) {
      for (let index = 1; index <= count; index++) {
        const { executionSegment, executionSegmentSequence } = k6Segment({ index, count });
        expect(segmentInSequence(executionSegment, executionSegmentSequence)).toEqual({ index, count });
      }
    }
  });

  it('read the other ways k6 writes a point: decimals, percentages, whole numbers', () => {
    expect(segmentInSequence('0.5:1', '0,50%,1')).toEqual({ index: 2, count: 2 });
    expect(segmentInSequence('1/4:2/4', '0,0.25,1/2,1')).toEqual({ index: 2, count: 3 });
    expect(segmentInSequence('1/3:1', '0,1/3,2/3,1')).toMatch(/is not one of the sequence/);
    expect(segmentInSequence('0:1/2', '0,1/2')).toMatch(/does not run from 0 to 1/);
    expect(segmentInSequence('x', '0,1')).toMatch(/is not k6's/);
  });

  it('--segment i/N takes runner numbers from 1 to N', () => {
    expect(parseSegmentArg('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseSegmentArg(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/3', '4/3', '3', '1/0', 'a/b', '1/1001', '-1/2']) {
      expect(() => parseSegmentArg(bad), bad).toThrow(ConfigError);
    }
    expect(() => parseSegmentArg('4/3')).toThrow(/write i\/N, this runner's number i from 1 to N/);
  });
});
