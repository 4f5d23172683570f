import { appendFileSync } from 'node:fs';

/**
 * The reliability tests' counts, summed over the whole test run and printed once at its end by
 * test/helpers/reliabilityReporter.ts (issue 9: cancellations tried, containers leaked, configs
 * fuzzed, hostile inputs tried; issue 16: faults injected, files checked intact). Each call records what actually ran; outside a run with that
 * reporter it records nothing.
 */
export type ReliabilityCounter =
  /** runs stopped by the runner's signals or killed outright */
  | 'cancellations'
  /** times the engine was asked what a run left behind */
  | 'leakChecks'
  /** containers it said were left (must stay 0) */
  | 'containersLeaked'
  | 'configsFuzzed'
  | 'configsRejected'
  /** inputs made to break loadgate: generated strings, bad configs, failing services, scripts */
  | 'hostileInputs'
  /** faults made on purpose: a full disk, an engine or API that never answers, a failing cleanup */
  | 'faultsInjected'
  /** files checked byte for byte after something tried to write over them (must all be intact) */
  | 'filesIntact';

/** Where the reporter collects counts: one JSON line per call (appends are atomic at this size). */
export const RELIABILITY_COUNTS_ENV = 'LOADGATE_RELIABILITY_COUNTS';

export interface ReliabilityLine {
  counter: ReliabilityCounter;
  n: number;
  /** what was counted, e.g. "bad configs through the CLI" */
  what: string;
}

export function countReliability(counter: ReliabilityCounter, n: number, what: string): void {
  const file = process.env[RELIABILITY_COUNTS_ENV];
  if (!file || n === 0) return;
  appendFileSync(file, `${JSON.stringify({ counter, n, what } satisfies ReliabilityLine)}\n`);
}
