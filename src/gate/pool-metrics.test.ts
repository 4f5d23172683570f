import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.ts';
import { level, request } from '../report/testing/draining-pool.ts';
import type { LevelResult } from '../result/schema.ts';
import { checkThresholds, evaluateGate } from './evaluate.ts';

// A pool of 2 draining: the wait rises with the level; level 1 had no metrics endpoint answer.
const pooled = (lvl: number, pool: Partial<LevelResult['pool']>): LevelResult =>
  level({
    level: lvl,
    requests: [request({ name: 'items' }), request({ name: 'health' })],
    pool: { waitP95Ms: null, waitMeanMs: null, timeouts: null, peakDbConnections: null, ...pool },
  });
const levels = [
  pooled(1, {}),
  pooled(4, { waitP95Ms: 3.2, waitMeanMs: 1.1, timeouts: 0, peakDbConnections: 2 }),
  pooled(8, { waitP95Ms: 240, waitMeanMs: 80.5, timeouts: 3, peakDbConnections: 2 }),
];

describe('gate on pool and database metrics (per level, not per request)', () => {
  it('checks each measured level once, skips levels where nothing was measured', () => {
    const gate = evaluateGate(
      levels,
      [
        { metric: 'poolWaitP95', maxMs: 100 },
        { metric: 'poolTimeouts', maxCount: 0 },
        { metric: 'peakDbConnections', maxCount: 2 },
      ],
      'closed',
    );
    expect(gate.checked).toBe(6);
    expect(gate.breaches.map((b) => b.reason)).toEqual([
      'pool wait p95 at 8 VUs (clean): 240 ms > 100 ms limit',
      'pool timeouts at 8 VUs (clean): 3 > 0 limit',
    ]);
    expect(gate.breaches[0]).toMatchObject({ metric: 'poolWaitP95', level: 8, request: '', actual: 240 });
    expect(gate.unmatched).toEqual([]);
  });

  it('says so when a pool threshold found nothing measured', () => {
    const gate = evaluateGate(levels, [{ metric: 'poolWaitMean', maxMs: 50, level: 1 }], 'closed');
    expect(gate.checked).toBe(0);
    expect(gate.unmatched).toEqual([
      'gate threshold pool wait mean ≤ 50 ms for level 1 VU matched nothing measured, so it checked nothing',
    ]);
  });

  it('rejects a request filter or a wrong limit on a level metric', () => {
    expect(checkThresholds([{ metric: 'poolWaitP95', maxMs: 5, request: 'items' }])).toEqual([
      'thresholds[0].request: poolWaitP95 is measured per level, not per request',
    ]);
    expect(checkThresholds([{ metric: 'poolTimeouts', maxMs: 5 }])).toEqual([
      'thresholds[0].maxCount: poolTimeouts needs maxCount, a finite number ≥ 0',
      'thresholds[0].maxMs: does not apply to poolTimeouts (use maxCount)',
    ]);
  });

  it('reads pool thresholds from the config with units', () => {
    const result = validateConfig({
      version: 1,
      service: { image: 'app:1', port: 8000 },
      load: { levels: [1, 2], requests: [{ name: 'items', path: '/items' }] },
      gate: {
        thresholds: [
          { metric: 'poolWaitP95', max: '50ms', level: 2 },
          { metric: 'peakDbConnections', max: 20 },
        ],
      },
    });
    expect(result.errors).toEqual([]);
    expect(result.config?.gate.thresholds).toEqual([
      { metric: 'poolWaitP95', maxMs: 50, level: 2 },
      { metric: 'peakDbConnections', maxCount: 20 },
    ]);
    const bad = validateConfig({
      version: 1,
      service: { image: 'app:1', port: 8000 },
      load: { levels: [1], requests: [{ name: 'items', path: '/items' }] },
      gate: { thresholds: [{ metric: 'poolTimeouts', max: 1.5, request: 'items' }] },
    });
    expect(bad.errors.join('\n')).toMatch(/gate\.thresholds\[0\]/);
  });
});
