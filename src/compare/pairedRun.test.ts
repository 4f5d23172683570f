import { describe, expect, it } from 'vitest';
import type { Slot } from './paired.ts';
import { crossedBySide, pairedVerdict } from './pairedRun.ts';

const slot = (variant: Slot['variant'], crossedThresholds?: string[]): Slot => ({
  block: 0,
  position: 0,
  variant,
  requests: [],
  canary: null,
  droppedIterations: 0,
  ...(crossedThresholds ? { crossedThresholds } : {}),
});

describe("a user script's thresholds in paired mode", () => {
  it('are gathered per side, and fail the run only when the candidate crossed one', () => {
    const slots = [
      slot('base', ['checks: rate>0.99']),
      slot('candidate'),
      slot('candidate', ['http_req_failed: rate<0.01']),
      slot('base', ['checks: rate>0.99']),
    ];
    const crossed = crossedBySide(slots);
    expect(crossed).toEqual({ base: ['checks: rate>0.99'], candidate: ['http_req_failed: rate<0.01'] });
    expect(pairedVerdict('pass', crossed)).toBe('fail');
    expect(pairedVerdict('inconclusive', { ...crossed, candidate: [] })).toBe('inconclusive');
    expect(crossedBySide([slot('base'), slot('candidate')])).toEqual({ base: [], candidate: [] });
  });
});
