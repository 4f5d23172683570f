import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reporter } from 'vitest/reporters';
import { RELIABILITY_COUNTS_ENV, type ReliabilityCounter, type ReliabilityLine } from './reliability.ts';

/**
 * Prints the reliability counts of the whole run once, after vitest's own summary. The test
 * workers inherit the counts file's path from this process's environment, set before they start.
 */
export default class ReliabilityReporter implements Reporter {
  private dir = '';

  onInit(): void {
    this.dir = mkdtempSync(join(tmpdir(), 'loadgate-reliability-'));
    process.env[RELIABILITY_COUNTS_ENV] = join(this.dir, 'counts.jsonl');
  }

  onTestRunEnd(): void {
    let text = '';
    try {
      text = readFileSync(join(this.dir, 'counts.jsonl'), 'utf8');
    } catch {
      // no reliability test ran
    }
    rmSync(this.dir, { recursive: true, force: true });
    const lines = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ReliabilityLine);
    if (lines.length > 0) console.log(`\n${formatReliabilityCounts(lines)}\n`);
  }
}

/** The summary: one line per counter, with what it counted. */
export function formatReliabilityCounts(lines: readonly ReliabilityLine[]): string {
  const total = (counter: ReliabilityCounter) =>
    lines.filter((l) => l.counter === counter).reduce((sum, l) => sum + l.n, 0);
  const parts = (counter: ReliabilityCounter) => {
    const byWhat = new Map<string, number>();
    for (const l of lines.filter((x) => x.counter === counter)) {
      byWhat.set(l.what, (byWhat.get(l.what) ?? 0) + l.n);
    }
    return [...byWhat].map(([what, n]) => `${n} ${what}`).join(', ');
  };
  const leaked = total('containersLeaked');
  return [
    'reliability (counted from the tests that ran):',
    `  cancellations tried   ${total('cancellations')}${total('cancellations') ? ` (${parts('cancellations')})` : ''}`,
    `  containers leaked     ${leaked}${leaked > 0 ? ' (MUST BE 0)' : ''}, in ${total('leakChecks')} runs the engine was asked about`,
    `  configs fuzzed        ${total('configsFuzzed')} (${total('configsRejected')} rejected, each with a path)`,
    `  hostile inputs tried  ${total('hostileInputs')}${total('hostileInputs') ? ` (${parts('hostileInputs')})` : ''}`,
    `  faults injected       ${total('faultsInjected')}${total('faultsInjected') ? ` (${parts('faultsInjected')})` : ''}`,
    `  files checked intact  ${total('filesIntact')}, byte for byte after a write over them failed or was refused`,
  ].join('\n');
}
