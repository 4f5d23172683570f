import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Result, ResultSchema } from '../result/schema.ts';
import { explainKnee, type KneeLevel, kneeLevelsOfResult, kneesOf } from './knee.ts';
import { DEFAULT_POLICY } from './policy.ts';

const limits = DEFAULT_POLICY.knee;

function recorded(name: string): Result {
  const path = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'results', `${name}.result.json`);
  return ResultSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

function kneeOfResult(result: Result) {
  return kneesOf(kneeLevelsOfResult(result.levels), limits)[0];
}

/** A ladder of one phase: per level, [throughput req/s, p95 ms] per request, 10 s each. */
function ladder(
  levels: number[],
  requests: Record<string, [number, number][]>,
  errors: number[] = [],
): KneeLevel[] {
  return levels.map((level, i) => ({
    phase: 'clean',
    levelIndex: i,
    level,
    requests: Object.entries(requests).map(([request, points]) => {
      const [rps, p95] = points[i] as [number, number];
      return {
        request,
        throughputRps: rps,
        p95Ms: p95,
        count: rps * 10,
        errors: (errors[i] ?? 0) * rps * 10,
      };
    }),
  }));
}

describe('kneesOf', () => {
  it("the issue's demo run: throughput nearly linear to 8 VUs, flat at 12; health's jitter does not set it", () => {
    // 16, 31, 56, 107, 120 req/s of items; /health's p95 2.0 → 5.1 ms by 4 VUs
    const knee = kneesOf(
      ladder([1, 2, 4, 8, 12], {
        items: [
          [16, 63],
          [31, 66],
          [56, 81],
          [107, 90],
          [120, 130],
        ],
        health: [
          [4, 2.0],
          [8, 2.4],
          [14, 5.1],
          [27, 6],
          [30, 9],
        ],
      }),
      limits,
    )[0];
    expect(knee).toMatchObject({ level: 8, next: 12, beyondTop: false, sure: true, request: 'items' });
    expect(explainKnee(knee as never, 'closed')).toBe(
      '8 VUs: beyond 8 VUs throughput grew at most 4.0 req/s per added VU (20.0 per VU at 1 VU) while items p95 rose 63 → 130 ms',
    );
  });

  it('recorded demo ladders (FastAPI, one worker, 2 cores): the knee is where throughput flattens', () => {
    // 21, 39, 70, 120, 140 req/s at 1, 2, 4, 8, 16 VUs
    expect(kneeOfResult(recorded('demo-closed'))).toMatchObject({ level: 8, next: 16, sure: true });
    // 19, 37, 66, 123, 126 req/s at 1, 2, 4, 8, 12 VUs
    expect(kneeOfResult(recorded('demo-plain-a'))).toMatchObject({ level: 8, next: 12, sure: true });
    // the same code again, on a quieter machine: 12 VUs still gained (161 req/s), so no knee measured
    expect(kneeOfResult(recorded('demo-plain-b'))).toMatchObject({ level: 12, beyondTop: true });
  });

  it('the same code run twice: the knees lie within one level of each other', () => {
    const position = (result: Result) => {
      const knee = kneeOfResult(result);
      const ladder = result.levels.map((l) => l.level);
      return knee?.level === null || knee === undefined ? -1 : ladder.indexOf(knee.level);
    };
    // 8 VUs (index 3) and beyond 12 VUs (the top, index 4)
    expect(
      Math.abs(position(recorded('demo-plain-a')) - position(recorded('demo-plain-b'))),
    ).toBeLessThanOrEqual(1);
  });

  it('throughput that bends but does not flatten puts the knee between two levels', () => {
    const knee = kneesOf(
      ladder([1, 2, 4, 8], {
        a: [
          [10, 20],
          [20, 20],
          [40, 21],
          [52, 60],
        ],
      }),
      limits,
    )[0];
    // 3 req/s per added VU against 10 per VU: under half, not under a quarter
    expect(knee).toMatchObject({ level: 4, next: 8, sure: false });
    expect(explainKnee(knee as never, 'closed')).toMatch(
      /^between 4 and 8 VUs: beyond 4 VUs throughput grew at most 3.0/,
    );
  });

  it('one slow level that later levels outgrow is noise, not a knee', () => {
    const knee = kneesOf(
      ladder([1, 2, 4, 8], {
        a: [
          [10, 20],
          [20, 20],
          [22, 60],
          [80, 25],
        ],
      }),
      limits,
    )[0];
    expect(knee).toMatchObject({ level: 8, beyondTop: true });
  });

  it('flat throughput with flat latency is not a knee (the latency must rise too)', () => {
    const flat: [number, number][] = [
      [100, 10],
      [100, 10],
      [100, 10.5],
    ];
    expect(kneesOf(ladder([1, 2, 4], { a: flat }), limits)[0]).toMatchObject({ beyondTop: true });
  });

  it('errors reaching the limit set the knee; errors at the lowest level put it below', () => {
    const points: [number, number][] = [
      [10, 20],
      [20, 20],
      [40, 20],
    ];
    expect(kneesOf(ladder([1, 2, 4], { a: points }, [0, 0, 0.05]), limits)[0]).toMatchObject({
      level: 2,
      next: 4,
      evidence: { kind: 'errors' },
    });
    const below = kneesOf(ladder([1, 2, 4], { a: points }, [0.5, 0, 0]), limits)[0];
    expect(below).toMatchObject({ level: null });
    expect(explainKnee(below as never, 'closed')).toBe(
      'below the lowest level: errors reached 50.0% at 1 VU',
    );
  });

  it('the open model: gain per offered req/s', () => {
    const knee = kneesOf(
      ladder([50, 100, 200], {
        a: [
          [50, 10],
          [100, 11],
          [110, 400],
        ],
      }),
      limits,
    )[0];
    expect(explainKnee(knee as never, 'open')).toBe(
      '100 req/s: beyond 100 req/s throughput grew at most 0.10 req/s per added offered req/s (1.0 per offered req/s at 50 req/s) while a p95 rose 10 → 400 ms',
    );
  });

  it('a recorded articles run (gunicorn threads): the pool’s timeouts set the knee by errors', () => {
    const result = recorded('articles-pool-timeouts');
    const knee = kneeOfResult(result);
    expect(knee).toMatchObject({ level: 1, next: 10, evidence: { kind: 'errors' } });
    expect(explainKnee(knee as never, 'closed')).toMatch(/^1 VU: errors reached \d+\.\d% at 10 VUs$/);
  });
});
