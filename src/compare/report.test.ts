import { describe, expect, it } from 'vitest';
import { compareBaselines } from './compare.ts';
import { renderComparison } from './report.ts';
import { lognormalSamples, syntheticBaseline } from './testing.ts';

describe('renderComparison', () => {
  const base = syntheticBaseline([{ level: 8, request: 'items', samples: lognormalSamples(2000, 1, 60) }]);
  const run = syntheticBaseline([{ level: 8, request: 'items', samples: lognormalSamples(2000, 2, 60) }]);

  it('lists the findings and the change points of the series, escaped', () => {
    const comparison = {
      ...compareBaselines(base, run, { baselineSource: 'git:loadgate-baselines' }),
      findings: [
        'the candidate costs more CPU: the canary was 30% slower beside it in every block (3 blocks)',
      ],
      changePoints: [
        {
          phase: 'clean',
          levelIndex: 0,
          level: 8,
          request: '<script>x</script>',
          metric: 'p50Ms' as const,
          runId: 'night-5',
          startedAt: '2026-01-05T00:00:00.000Z',
          commit: 'abcdef0123456789',
          beforeMs: 60,
          afterMs: 84,
          change: 0.4,
          pValue: 0.0001,
        },
      ],
    };
    const text = renderComparison(comparison, 'closed').join('\n\n');
    expect(text).toContain(
      '- the candidate costs more CPU: the canary was 30% slower beside it in every block (3 blocks)',
    );
    expect(text).toContain(
      "Change points in the stored series (E-divisive means, Hunter's t test at p ≤ 0.002 over all the series searched)",
    );
    expect(text).toMatch(/moved \+40% \(60 → 84 ms\) at run night-5 \(commit abcdef012345\), p = 0\.00010/);
    expect(text).not.toContain('<script>');
  });

  it('says nothing of findings or change points when there are none', () => {
    const text = renderComparison(compareBaselines(base, run, { baselineSource: 'x' }), 'closed').join(
      '\n\n',
    );
    expect(text).not.toContain('Change points');
    expect(text).not.toContain('costs more CPU');
  });
});
