import { decideVerdict } from '../gate/verdict.ts';
import { renderReport } from '../report/markdown.ts';
import type { Result } from '../result/schema.ts';
import { comparisonOutcome } from './compare.ts';
import { kneeLevelsOfResult, kneesOf } from './knee.ts';
import { DEFAULT_POLICY } from './policy.ts';
import type { Comparison, Policy } from './schema.ts';

/**
 * A pull request's paired comparison joined to its ladder run: the rate paired mode drives at,
 * chosen from the ladder, and the run's result with the paired comparison as its comparison.
 */

/** Share of the knee's throughput that paired slots run at: well below it, where latency is flat. */
export const PAIRED_RATE_SHARE = 0.6;

export type PairedRate = { rate: number; why: string } | { rate: null; why: string };

/**
 * The arrival rate for paired slots: a share of the throughput the first phase reached at its
 * knee (every level within the knee limits: its highest). null, with the reason, when the ladder
 * gives none: the lowest level is already past the knee, or nothing was measured.
 */
export function pairedRateFromLadder(
  result: Pick<Result, 'levels' | 'loadModel'>,
  limits: Policy['knee'] = DEFAULT_POLICY.knee,
  share = PAIRED_RATE_SHARE,
): PairedRate {
  const knee = kneesOf(kneeLevelsOfResult(result.levels), limits)[0];
  if (!knee) return { rate: null, why: 'the run measured no level' };
  if (knee.level === null) {
    return {
      rate: null,
      why: `the lowest level of phase ${knee.phase} is already past the knee (errors over ${limits.maxErrorRate * 100}%): paired mode needs a rate below it; set paired-rate`,
    };
  }
  const level = result.levels.find((l) => l.phase === knee.phase && l.level === knee.level);
  const throughput = level?.requests.reduce((sum, r) => sum + r.throughputRps, 0) ?? 0;
  if (!(throughput > 0)) return { rate: null, why: `no throughput was measured at the knee (${knee.level})` };
  const rate = Math.max(1, Math.round(throughput * share));
  const unit = result.loadModel === 'open' ? 'req/s' : 'VUs';
  return {
    rate,
    why: `${Math.round(share * 100)}% of the ${throughput.toFixed(1)} req/s measured at the knee (${knee.level} ${unit}${knee.beyondTop ? ', the highest level' : ''})`,
  };
}

/**
 * The run's result with the paired comparison in place of a stored-baseline one (whose knee
 * comparison is kept: paired slots run one level, a knee needs the ladder), the verdict decided
 * again from the gate and the paired comparison, and report.md's text to match. A partial or
 * failed run is returned as it was.
 */
export function withPairedComparison(
  result: Result,
  paired: Comparison,
): { result: Result; reportMarkdown: string } {
  if (result.partial || result.verdict === 'error') return { result, reportMarkdown: renderReport(result) };
  const comparison: Comparison = { ...paired, knees: result.comparison?.knees ?? paired.knees };
  const decided = decideVerdict({ gate: result.gate, comparison: comparisonOutcome(comparison) });
  const next: Result = { ...result, comparison, verdict: decided.verdict, summary: decided.summary };
  return { result: next, reportMarkdown: renderReport(next) };
}
