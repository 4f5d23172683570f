import { normalCdf, normalQuantile } from './stats.ts';

/**
 * Paired mode looks at its blocks more than once: after the first `blocks`, and again after each
 * block it adds while a test is undecided, up to `maxBlocks`. Testing every look at the full α
 * would raise the false-alarm rate (each look is another chance). So α is spent over the looks
 * (Lan–DeMets): a spending function α(t) of the information fraction t = blocks run / maxBlocks,
 * and the look after k blocks tests at the increment α(k/K) − α((k−1)/K) (the first look at
 * α(first/K)). The increments add up to α, so by the union bound the chance of a false alarm at
 * any look, whatever rule decides to stop, is at most α. The union bound ignores how strongly
 * the looks are correlated (they share blocks), so it is conservative: the price of holding for
 * any stopping rule and for the t tests' small degrees of freedom, where exact group-sequential
 * boundaries are not tabulated.
 *
 * - `pocock`: α(t) = α·ln(1 + (e − 1)·t), spends much of α at the first look (a clear change is
 *   decided early, so checks stay short);
 * - `obrien-fleming`: α(t) = 2 − 2Φ(z₁₋α/₂ / √t), keeps most of α for the last look (more power
 *   there, at the cost of more blocks for a change the first look would have called).
 */
export type Spending = 'pocock' | 'obrien-fleming';

export const SPENDINGS: readonly Spending[] = ['pocock', 'obrien-fleming'];

/** The blocks a paired run plans: always `blocks`, more while undecided, up to `maxBlocks`. */
export interface LookPlan {
  blocks: number;
  maxBlocks: number;
  spending: Spending;
}

/** α spent up to information fraction t (0..1). */
export function spentAlpha(alpha: number, t: number, spending: Spending): number {
  const f = Math.min(1, Math.max(0, t));
  if (f === 0) return 0;
  if (spending === 'pocock') return alpha * Math.log1p((Math.E - 1) * f);
  return 2 - 2 * normalCdf(normalQuantile(1 - alpha / 2) / Math.sqrt(f));
}

/**
 * The α of the look after `blocksRun` blocks: the first look (at `plan.blocks` or fewer) spends
 * α(blocks/K); each later one the increment. A plan of one look (blocks = maxBlocks) gives α.
 */
export function lookAlpha(alpha: number, blocksRun: number, plan: LookPlan): number {
  const max = Math.max(plan.blocks, plan.maxBlocks);
  const first = Math.min(plan.blocks, max);
  if (first >= max) return alpha;
  const k = Math.min(Math.max(blocksRun, first), max);
  const now = spentAlpha(alpha, k / max, plan.spending);
  if (k === first) return now;
  return now - spentAlpha(alpha, (k - 1) / max, plan.spending);
}

/** The look's number (1-based) and how many there can be, for the report. */
export function lookOf(blocksRun: number, plan: LookPlan): { look: number; looks: number } {
  const max = Math.max(plan.blocks, plan.maxBlocks);
  const first = Math.min(plan.blocks, max);
  return { look: Math.min(max, Math.max(blocksRun, first)) - first + 1, looks: max - first + 1 };
}
