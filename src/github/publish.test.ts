import { describe, expect, it } from 'vitest';
import { MODES } from '../action/inputs.ts';
import { compareBaselines } from '../compare/compare.ts';
import { DEFAULT_POLICY } from '../compare/policy.ts';
import { lognormalSamples, syntheticBaseline } from '../compare/testing.ts';
import { renderReport } from '../report/markdown.ts';
import { drainingResult } from '../report/testing/draining-pool.ts';
import type { Breach, Result, Verdict } from '../result/schema.ts';
import { githubContextFrom } from './context.ts';
import { type ActionSink, failsJob, MAX_ANNOTATIONS, publishRun } from './publish.ts';
import { BASE_RUN, comparedResult, SLOWER_RUN } from './testing/compared.ts';

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
      baseline: '',
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

  it('a compared run: its regressions, improvements and inconclusive metrics are counted and the regressions annotated', async () => {
    const cells = (seed: number, scale: number) =>
      ['list', 'item'].map((request, i) => ({
        level: 8,
        request,
        samples: lognormalSamples(4000, seed * 10 + i, request === 'item' ? 20 * scale : 20),
      }));
    const comparison = compareBaselines(syntheticBaseline(cells(1, 1)), syntheticBaseline(cells(2, 1.3)), {
      baselineSource: 'git:loadgate-baselines',
      policy: {
        ...DEFAULT_POLICY,
        runNoise: { p50Ms: 0, p95Ms: 0, p99Ms: 0 },
        runNoiseMs: { p50Ms: 0, p95Ms: 0, p99Ms: 0 },
        runNoiseSource: 'calibrated',
      },
    });
    const regressed = drainingResult({ verdict: 'regressed', summary: 'regressed', comparison });
    const { sink, events, outputs } = collectingSink();
    const outcome = await publishRun(sink, {
      ...base,
      result: regressed,
      reportMarkdown: renderReport(regressed),
      mode: 'pr',
      failOnRegression: true,
    });
    expect(outcome.failed).toBe(true);
    const count = (verdict: string) => comparison.metrics.filter((m) => m.verdict === verdict).length;
    expect(count('regressed')).toBeGreaterThan(0);
    expect(outputs).toMatchObject({
      regressions: String(count('regressed')),
      improvements: String(count('improved')),
      inconclusive: String(count('inconclusive')),
    });
    const annotations = events.filter((e) => e.title === 'loadgate: regression');
    expect(annotations).toHaveLength(count('regressed'));
    expect(annotations[0]?.kind).toBe('error');
    expect(annotations[0]?.text).toMatch(
      /^p\d\d of item at 8 VUs \(clean\): \+\d+(\.\d)?% .*slower beyond the (\d+%|\d+ ms) floor/,
    );
  });

  /** A recorder that remembers what it was asked to save. */
  function recorder(fails = false) {
    const saved: string[] = [];
    return {
      saved,
      recorder: {
        description: 'branch loadgate-baselines of origin',
        record: async (r: Result) => {
          if (fails) throw new Error('push rejected');
          saved.push(r.runId);
          return { ref: `loadgate-baselines:baselines/main/${r.runId}.json@abc` };
        },
      },
    };
  }
  const passing = drainingResult();
  const passingRun = { ...base, result: passing, reportMarkdown: renderReport(passing) };
  const pushToMain = githubContextFrom(
    { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main' },
    { repository: { default_branch: 'main' } },
  );

  it('nightly: a passing, complete run is recorded as the baseline; the output says where', async () => {
    const { sink, events, outputs } = collectingSink();
    const r = recorder();
    const outcome = await publishRun(sink, { ...passingRun, mode: 'nightly', baseline: r.recorder });
    expect(r.saved).toEqual([passing.runId]);
    expect(outcome.failed).toBe(false);
    expect(outputs.baseline).toBe(`loadgate-baselines:baselines/main/${passing.runId}.json@abc`);
    expect(events).toContainEqual({
      kind: 'info',
      text: `nightly: recorded this run as the baseline loadgate-baselines:baselines/main/${passing.runId}.json@abc`,
    });
  });

  it('nightly: a failed, regressed or partial run is never recorded, and the job does not fail for it', async () => {
    for (const changed of [
      { verdict: 'fail' as const },
      { verdict: 'regressed' as const },
      { verdict: 'error' as const },
      { partial: true },
    ]) {
      const result = { ...passing, ...changed };
      const { sink, events, outputs } = collectingSink();
      const r = recorder();
      await publishRun(sink, { ...passingRun, result, mode: 'nightly', baseline: r.recorder });
      expect(r.saved, JSON.stringify(changed)).toEqual([]);
      expect(outputs.baseline).toBe('');
      expect(
        events.some((e) => /never recorded|not recorded as the baseline/.test(e.text)),
        JSON.stringify(changed),
      ).toBe(true);
    }
  });

  it('nightly without a baseline input says plainly that nothing was recorded', async () => {
    const { sink, events } = collectingSink();
    await publishRun(sink, { ...passingRun, mode: 'nightly' });
    expect(events.find((e) => e.kind === 'notice')?.text).toMatch(/^nightly: no baseline input/);
  });

  it('a push to the default branch records in any mode; a pull request or another branch never does', async () => {
    const onMain = recorder();
    await publishRun(collectingSink().sink, {
      ...passingRun,
      mode: 'pr',
      context: pushToMain,
      baseline: onMain.recorder,
    });
    expect(onMain.saved).toEqual([passing.runId]);
    for (const other of [
      githubContextFrom(
        { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/feature' },
        { repository: { default_branch: 'main' } },
      ),
      githubContextFrom(
        { GITHUB_EVENT_NAME: 'pull_request', GITHUB_REF: 'refs/pull/5/merge' },
        { repository: { default_branch: 'main' }, pull_request: { number: 5 } },
      ),
      githubContextFrom(
        { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1.0.0' },
        { repository: { default_branch: 'main' } },
      ),
    ]) {
      const r = recorder();
      const { sink, outputs } = collectingSink();
      await publishRun(sink, { ...passingRun, mode: 'release', context: other, baseline: r.recorder });
      expect(r.saved, other.ref ?? '').toEqual([]);
      expect(outputs.baseline).toBe('');
    }
  });

  it('a store that cannot be written fails the job with an error annotation', async () => {
    const { sink, events } = collectingSink();
    const outcome = await publishRun(sink, {
      ...passingRun,
      mode: 'nightly',
      baseline: recorder(true).recorder,
    });
    expect(outcome.failed).toBe(true);
    expect(events).toContainEqual({
      kind: 'error',
      text: 'nightly: recording the baseline in branch loadgate-baselines of origin failed: push rejected',
      title: 'loadgate: baseline not recorded',
    });
  });

  describe('with a comparison', () => {
    const regressed = comparedResult();
    const comparison = regressed.comparison as NonNullable<typeof regressed.comparison>;
    const compared = { ...base, result: regressed, reportMarkdown: renderReport(regressed) };

    it('outputs count the comparison’s verdicts; an annotation per regression, with its reason', async () => {
      const { sink, events, outputs } = collectingSink();
      const outcome = await publishRun(sink, { ...compared, mode: 'pr', failOnRegression: true });
      expect(outcome.failed).toBe(true);
      expect(outputs).toMatchObject({
        verdict: 'regressed',
        breaches: '0',
        regressions: String(comparison.counts.regressed),
        improvements: String(comparison.counts.improved),
        inconclusive: String(comparison.counts.inconclusive),
      });
      expect(comparison.counts.regressed).toBeGreaterThan(0);
      const errors = events.filter((e) => e.kind === 'error');
      const reasons = comparison.metrics.filter((m) => m.verdict === 'regressed').map((m) => m.reason);
      expect(errors).toEqual(
        reasons
          .slice(0, MAX_ANNOTATIONS)
          .map((text) => ({ kind: 'error', text, title: 'loadgate: regression' })),
      );
    });

    it('the job summary: the verdict, the table and the chart above the whole report', async () => {
      const { sink, summaries } = collectingSink();
      await publishRun(sink, { ...compared, mode: 'pr' });
      const summary = summaries[0] ?? '';
      expect(summary.startsWith('❌ **loadgate: REGRESSED** — slower than the base: items at 80 VUs')).toBe(
        true,
      );
      expect(summary).toContain('📉 **The knee moved from 80 VUs to 40 VUs**');
      expect(summary).toContain('| 🔺 regressed');
      expect(summary).toContain('base (light)');
      expect(summary).not.toContain('<!-- loadgate:');
      expect(summary.endsWith(renderReport(regressed))).toBe(true);
    });

    it('breaches and regressions both annotated, each titled for what it is', async () => {
      const both = comparedResult(BASE_RUN, SLOWER_RUN, { breaches: [breach(160)] });
      const { sink, events, outputs } = collectingSink();
      await publishRun(sink, { ...base, result: both, reportMarkdown: renderReport(both), mode: 'release' });
      expect(outputs.breaches).toBe('1');
      expect(outputs.regressions).toBe(String(both.comparison?.counts.regressed));
      const titles = events.filter((e) => e.kind === 'error').map((e) => e.title);
      expect(titles).toContain('loadgate: gate breach');
      expect(titles).toContain('loadgate: regression');
    });

    it('not comparable: a warning saying why, no counts', async () => {
      const other = comparedResult(BASE_RUN, SLOWER_RUN, {
        baseOptions: { comparability: { k6Version: '1.0.0' } },
      });
      const { sink, events, outputs } = collectingSink();
      await publishRun(sink, { ...base, result: other, reportMarkdown: renderReport(other), mode: 'pr' });
      expect(outputs).toMatchObject({ verdict: 'not-comparable', regressions: '0', inconclusive: '0' });
      expect(events.filter((e) => e.kind === 'warning')).toEqual([
        {
          kind: 'warning',
          text: 'not compared with the baseline, so regressions were not judged: k6 differs: 1.0.0 in the baseline, 2.2.0 here',
          title: 'loadgate: not comparable',
        },
      ]);
    });
  });
});
