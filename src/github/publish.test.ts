import { describe, expect, it } from 'vitest';
import { MODES } from '../action/inputs.ts';
import { renderReport } from '../report/markdown.ts';
import { drainingResult } from '../report/testing/draining-pool.ts';
import type { Breach, Verdict } from '../result/schema.ts';
import { githubContextFrom } from './context.ts';
import { type ActionSink, failsJob, MAX_ANNOTATIONS, publishRun } from './publish.ts';

function collectingSink() {
  const events: { kind: string; text: string; title?: string }[] = [];
  const outputs: Record<string, string> = {};
  const summaries: string[] = [];
  const sink: ActionSink = {
    info: (text) => events.push({ kind: 'info', text }),
    untrusted: (text) => events.push({ kind: 'untrusted', text }),
    notice: (text, title) => events.push({ kind: 'notice', text, ...(title ? { title } : {}) }),
    warning: (text, title) => events.push({ kind: 'warning', text, ...(title ? { title } : {}) }),
    error: (text, title) => events.push({ kind: 'error', text, ...(title ? { title } : {}) }),
    setOutput: (name, value) => {
      outputs[name] = value;
    },
    writeSummary: async (markdown) => {
      summaries.push(markdown);
    },
  };
  return { sink, events, outputs, summaries };
}

const breach = (level: number): Breach => ({
  metric: 'p95Ms',
  phase: 'clean',
  level,
  request: 'items',
  limit: 800,
  actual: 900 + level,
  reason: `p95 of items at ${level} VUs (clean): ${900 + level} ms > 800 ms limit`,
});

const context = githubContextFrom({}, {});

describe('failsJob', () => {
  it('release fails on any breach; pr only when asked; nightly never on the verdict; error always', () => {
    const table = Object.fromEntries(
      MODES.map((mode) => [
        mode,
        (['pass', 'fail', 'regressed', 'inconclusive', 'not-comparable', 'error'] as Verdict[])
          .filter((v) => failsJob(mode, v, false))
          .join(','),
      ]),
    );
    expect(table).toEqual({
      pr: 'error',
      nightly: 'error',
      release: 'fail,regressed,error',
      'comment-from-artifact': 'error',
    });
    expect(failsJob('pr', 'regressed', true)).toBe(true);
    expect(failsJob('pr', 'fail', true)).toBe(true);
    expect(failsJob('pr', 'inconclusive', true)).toBe(false);
  });
});

describe('publishRun', () => {
  const result = drainingResult({
    verdict: 'fail',
    summary: '12 gate breaches',
    gate: { checked: 20, breaches: Array.from({ length: 12 }, (_, i) => breach(i + 1)) },
  });
  const base = {
    failOnRegression: false,
    result,
    reportMarkdown: renderReport(result),
    resultPath: 'out/result.json',
    reportPath: 'out/report.md',
    context,
    comment: null,
  };

  it('release: outputs, the same report as job summary, error annotations capped with a remainder', async () => {
    const { sink, events, outputs, summaries } = collectingSink();
    const outcome = await publishRun(sink, { ...base, mode: 'release' });
    expect(outcome.failed).toBe(true);
    expect(outputs).toEqual({
      verdict: 'fail',
      summary: '12 gate breaches',
      'result-path': 'out/result.json',
      'report-path': 'out/report.md',
      breaches: '12',
      regressions: '0',
      improvements: '0',
      inconclusive: '0',
      comment: 'off',
      'comment-url': '',
    });
    expect(summaries).toEqual([renderReport(result)]);
    const errors = events.filter((e) => e.kind === 'error');
    expect(errors).toHaveLength(MAX_ANNOTATIONS + 1);
    expect(errors[0]).toEqual({ kind: 'error', text: breach(1).reason, title: 'loadgate: gate breach' });
    expect(errors.at(-1)?.text).toBe('and 2 more: see the job summary');
  });

  it('pr without fail-on-regression: the same breaches are warnings and the job passes', async () => {
    const { sink, events } = collectingSink();
    const outcome = await publishRun(sink, { ...base, mode: 'pr' });
    expect(outcome.failed).toBe(false);
    expect(events.filter((e) => e.kind === 'warning')).toHaveLength(MAX_ANNOTATIONS + 1);
    expect(events.some((e) => e.kind === 'error')).toBe(false);
  });

  it('nightly: says plainly that no baseline was recorded without a recorder, and uses one when given', async () => {
    const passing = drainingResult();
    const plain = collectingSink();
    await publishRun(plain.sink, {
      ...base,
      result: passing,
      reportMarkdown: renderReport(passing),
      mode: 'nightly',
    });
    expect(plain.events.find((e) => e.kind === 'notice')?.text).toMatch(/not available in this version yet/);
    const recorded = collectingSink();
    await publishRun(recorded.sink, {
      ...base,
      result: passing,
      reportMarkdown: renderReport(passing),
      mode: 'nightly',
      baseline: { record: async (r) => `baseline ${r.runId} recorded` },
    });
    expect(recorded.events.find((e) => e.kind === 'info')?.text).toBe('baseline run-1 recorded');
  });
});
