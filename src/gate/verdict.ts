import { clip, toOneLine } from '../report/format.ts';
import type { Breach, Verdict } from '../result/schema.ts';

/** What a comparison with a baseline found; absent until there is a baseline to compare with. */
export interface ComparisonOutcome {
  /** (phase, level, request, metric) cells that got significantly worse */
  regressions: number;
  /** cells where the runs could not tell better from worse */
  inconclusive: number;
  /** the baseline cannot be compared at all (other config, other load model, partial baseline) */
  notComparable: boolean;
  /** one line saying why, when not comparable */
  notComparableReason?: string;
}

export interface VerdictInput {
  /** the absolute gate's outcome, as evaluateGate returns it and result.json stores it */
  gate: {
    checked: number;
    breaches: readonly Breach[];
    scriptThresholdsCrossed?: readonly string[] | undefined;
  };
  comparison?: ComparisonOutcome;
  /** the run failed or was cancelled: this message wins over everything measured */
  error?: string;
}

export interface VerdictDecision {
  verdict: Verdict;
  /** one line saying why the verdict is what it is */
  summary: string;
}

/** Breach reasons quoted in a summary before "and N more". */
const QUOTED_BREACHES = 3;
const MAX_SUMMARY_CHARS = 1000;

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function gateLine(checked: number): string {
  if (checked === 0) return 'no gate threshold checked anything';
  return checked === 1 ? 'the 1 gate check passed' : `all ${checked} gate checks passed`;
}

/**
 * The run's verdict and a one-line summary. Precedence: error, then fail (a user script's k6
 * thresholds crossed, then an absolute gate breach), then not-comparable, regressed, inconclusive, and pass. A failing summary quotes the
 * first breach reasons; whatever the comparison found is appended so nothing is hidden.
 */
export function decideVerdict(input: VerdictInput): VerdictDecision {
  const { gate, comparison, error } = input;
  const decision = decide(gate, comparison, error);
  return { verdict: decision.verdict, summary: clip(toOneLine(decision.summary), MAX_SUMMARY_CHARS) };
}

function decide(
  gate: VerdictInput['gate'],
  comparison: ComparisonOutcome | undefined,
  error: string | undefined,
): VerdictDecision {
  if (error !== undefined) return { verdict: 'error', summary: `run failed: ${error}` };
  const crossed = gate.scriptThresholdsCrossed ?? [];
  if (crossed.length > 0) {
    return {
      verdict: 'fail',
      summary: `the script's thresholds were crossed: ${crossed.join('; ')} (k6 exit 99; see k6.log)`,
    };
  }

  const { breaches, checked } = gate;
  if (breaches.length > 0) {
    const quoted = breaches.slice(0, QUOTED_BREACHES).map((b) => b.reason);
    const more = breaches.length - quoted.length;
    if (more > 0) quoted.push(`and ${more} more`);
    const head = `${count(breaches.length, 'gate breach', 'gate breaches')}: ${quoted.join('; ')}`;
    const notable = comparison !== undefined && comparedBadly(comparison);
    return { verdict: 'fail', summary: notable ? `${head} (also ${describeComparison(comparison)})` : head };
  }

  const gateNote = gateLine(checked);
  if (comparison === undefined) return { verdict: 'pass', summary: gateNote };
  const verdict: Verdict = comparison.notComparable
    ? 'not-comparable'
    : comparison.regressions > 0
      ? 'regressed'
      : comparison.inconclusive > 0
        ? 'inconclusive'
        : 'pass';
  return { verdict, summary: `${describeComparison(comparison)}; ${gateNote}` };
}

function comparedBadly(c: ComparisonOutcome): boolean {
  return c.notComparable || c.regressions > 0 || c.inconclusive > 0;
}

function describeComparison(c: ComparisonOutcome): string {
  if (c.notComparable) {
    return c.notComparableReason === undefined
      ? 'not comparable with the baseline'
      : `not comparable with the baseline: ${c.notComparableReason}`;
  }
  const parts: string[] = [];
  if (c.regressions > 0)
    parts.push(`${count(c.regressions, 'regression', 'regressions')} against the baseline`);
  if (c.inconclusive > 0) parts.push(`${count(c.inconclusive, 'comparison', 'comparisons')} inconclusive`);
  return parts.length > 0 ? parts.join(', ') : 'no regression against the baseline';
}
