import { describe, expect, it } from 'vitest';
import { noiseFromHistory } from './noise.ts';
import { seededRandom } from './stats.ts';
import { lognormalSamples, syntheticBaseline } from './testing.ts';

/** Runs of one service whose runner makes every latency of a run e^η slower, η ~ N(0, τ²). */
function history(runs: number, tau: number, seed: number) {
  const random = seededRandom(seed);
  return Array.from({ length: runs }, (_, r) => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const factor = Math.exp(tau * z);
    return syntheticBaseline(
      [2, 8].flatMap((level) =>
        ['a', 'b'].map((request) => ({
          level,
          request,
          samples: lognormalSamples(4000, seed * 1000 + r * 10 + level + request.length, 20 * factor),
        })),
      ),
      { runId: `r${r}`, replicates: 400 },
    );
  });
}

describe('noiseFromHistory', () => {
  it('finds the run-to-run noise beyond sampling error', () => {
    const noisy = noiseFromHistory(history(12, 0.05, 1));
    expect(noisy?.records).toBe(12);
    // √2 · 5% ≈ 7.1%, estimated from 12 runs
    for (const metric of ['p50Ms', 'p95Ms'] as const) {
      expect(noisy?.runNoise[metric]).toBeGreaterThan(0.04);
      expect(noisy?.runNoise[metric]).toBeLessThan(0.11);
    }
    const quiet = noiseFromHistory(history(12, 0, 2));
    expect(quiet?.runNoise.p50Ms).toBeLessThan(0.02);
  });

  it('needs three records', () => {
    expect(noiseFromHistory(history(2, 0.05, 3))).toBeNull();
    expect(noiseFromHistory([])).toBeNull();
  });
});
