import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBaselines } from '../compare/compare.ts';
import { syntheticBaseline } from '../compare/testing.ts';
import { formatMs } from '../report/format.ts';
import { renderReport } from '../report/markdown.ts';
import { drainingLevels, drainingResult } from '../report/testing/draining-pool.ts';
import type { Result } from '../result/schema.ts';
import { classifyGitHubError } from './client.ts';
import {
  COMMENT_MAX_CHARS,
  commentMarker,
  extractCharts,
  GITHUB_COMMENT_MAX_CHARS,
  isSameAuthor,
  renderComment,
  reproduceCommand,
} from './comment.ts';
import { releaseTarballUrl } from './release.ts';
import { shellQuote } from './shell.ts';
import {
  BASE_RUN,
  comparedResult,
  ladderCells,
  levelsOfCells,
  pairedResult,
  resultWithComparison,
  SLOWER_RUN,
} from './testing/compared.ts';

const HOSTILE_BRANCH = 'feat/`whoami`-@admin-<script>alert(1)</script>-#12';
const HUGE_NAME = `<img src=x onerror=alert(1)> @octocat/team \`rm -rf /\` [x](javascript:alert(1)) ${'y'.repeat(100_000)}`;

function hostileResult(): Result {
  const levels = drainingLevels().map((l) => ({
    ...l,
    requests: l.requests.map((r, i) => (i === 0 ? { ...r, name: HUGE_NAME } : r)),
  }));
  return drainingResult({
    verdict: 'fail',
    levels,
    summary: `1 gate breach: p95 of ${HUGE_NAME} rose`,
    gate: {
      checked: 10,
      breaches: [
        {
          metric: 'p95Ms',
          phase: 'clean',
          level: 32,
          request: HUGE_NAME,
          limit: 800,
          actual: 912.4,
          reason: `p95 of ${HUGE_NAME} at 32 VUs: 912 ms > 800 ms`,
        },
      ],
    },
  });
}

/**
 * The text GitHub would interpret: the body without fenced code blocks and code spans (whose
 * content GitHub shows literally) and without loadgate's own few tags.
 */
function interpreted(body: string): string {
  return body
    .replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '')
    .replace(/`[^`\n]+`/g, '')
    .replace(/^<!-- loadgate:[A-Za-z0-9._/:+=_-]+ -->$/m, '')
    .replace(/<\/?details>|<\/?summary>/g, '');
}

describe('renderComment', () => {
  const result = drainingResult({
    verdict: 'fail',
    summary: '1 gate breach: p95 of items at 32 VUs (clean): 912 ms > 800 ms limit',
    gate: {
      checked: 10,
      breaches: [
        {
          metric: 'p95',
          phase: 'clean',
          level: 32,
          request: 'items',
          limit: 800,
          actual: 912.4,
          reason: 'p95 of items at 32 VUs (clean): 912 ms > 800 ms limit',
        },
      ],
    },
  });
  const input = {
    jobKey: '.github/loadgate.yml',
    result,
    reportMarkdown: renderReport(result),
    links: {
      runUrl: 'https://github.com/octo/app/actions/runs/42',
      artifactUrl: 'https://github.com/octo/app/actions/runs/42/artifacts/7',
    },
    reproduce: { configPath: '.github/loadgate.yml', overrides: ['service.env.POOL_SIZE=5'] },
    head: { ref: 'feature', sha: 'c'.repeat(40) },
  };

  it('starts with the marker, then the verdict line; then findings, chart, links, command, folded report', () => {
    const body = renderComment(input);
    const lines = body.split('\n');
    expect(lines[0]).toBe('<!-- loadgate:.github/loadgate.yml -->');
    expect(lines[2]).toBe(
      '❌ **loadgate: FAIL** — 1 gate breach: p95 of items at 32 VUs (clean): 912 ms &gt; 800 ms limit',
    );
    // no comparison: no base or change columns
    expect(body).toMatch(/^\| +\| Phase \| Level \(VUs\) \| Request \| Metric \| This run \| +Limit \|$/m);
    expect(body).toMatch(/^\| ⛔ gate breach \| clean \| +32 \| items +\| p95 +\| +912 ms \| 800 ms \|$/m);
    expect(body).toContain('```mermaid\n');
    expect(body).toContain('[the run](https://github.com/octo/app/actions/runs/42)');
    expect(body).toContain('[the full report](https://github.com/octo/app/actions/runs/42/artifacts/7)');
    expect(body).toContain(
      '```sh\nnpx loadgate run --config .github/loadgate.yml --set service.env.POOL_SIZE=5\n```',
    );
    expect(body).toContain('<details><summary>Full report</summary>\n\n## loadgate: FAIL');
    const order = ['❌', '| ⛔', '```mermaid', '[the run]', '```sh', '<details>'].map((s) => body.indexOf(s));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('says so when nothing regressed or breached', () => {
    const passing = drainingResult();
    expect(renderComment({ jobKey: 'k', result: passing, reportMarkdown: renderReport(passing) })).toContain(
      'No gate breach. (No baseline was compared: regressions are not judged.)',
    );
  });

  it('is deterministic', () => {
    expect(renderComment(input)).toBe(renderComment(input));
  });

  it('hostile strings render inert and stay within the limit, marker intact', () => {
    const hostile = hostileResult();
    const body = renderComment({
      jobKey: '.github/loadgate.yml --> <b>x</b>',
      result: hostile,
      reportMarkdown: renderReport(hostile),
      head: { ref: HOSTILE_BRANCH, sha: 'd'.repeat(40) },
      reproduce: {
        configPath: 'cfg `id`.yml',
        overrides: [`service.env.X=$(curl x) \`id\` @team\n::set-output`],
      },
    });
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_MAX_CHARS);
    expect(body.split('\n')[0]).toBe('<!-- loadgate:.github/loadgate.yml_-___b_x_/b_ -->');
    const live = interpreted(body);
    expect(live).not.toMatch(/<[A-Za-z/!]/); // no HTML tag, comment or declaration
    expect(live).not.toMatch(/@[A-Za-z0-9]/); // no mention (a zero-width joiner follows every @)
    expect(live).not.toMatch(/(^|[^&])#\d/); // no issue reference (&#96; is a character reference)
    expect(live).not.toContain('`'); // no code span left open
    expect(live).not.toMatch(/(^|[^\\])\]\(javascript:/); // no link (an escaped \\] is text)
    // the reproduce command is one line inside a fence it cannot close
    const fenced = /^(`{3,})sh\n(.*)\n\1$/m.exec(body);
    expect(fenced?.[2]).toBe(
      `npx loadgate run --config 'cfg \`id\`.yml' --set $'service.env.X=$(curl x) \`id\` @team\\x0a::set-output'`,
    );
  });

  it('a report too long for a comment is shortened section by section with a note, never cut inside', () => {
    const many = drainingResult({
      levels: Array.from({ length: 12 }, (_, p) => drainingLevels(`phase-${p}`)).flat(),
      phases: Array.from({ length: 12 }, (_, p) => ({ name: `phase-${p}`, recoverySeconds: null })),
    });
    const report = renderReport(many);
    const body = renderComment({ jobKey: 'k', result: many, reportMarkdown: report }, 6_000);
    expect(body.length).toBeLessThanOrEqual(6_000);
    expect(body).toMatch(
      /The report is \d+ characters, more than a comment holds: \d+ of \d+ sections are shown/,
    );
    expect(body.match(/<details>/g)).toHaveLength(1);
    expect(body.match(/<\/details>/g)).toHaveLength(1);
    expect((body.match(/^```/gm) ?? []).length % 2).toBe(0);
    // every table row in the body has the header's column count: no row was cut
    for (const line of body.split('\n').filter((l) => l.startsWith('|')))
      expect(line.endsWith('|')).toBe(true);
  });

  it('property: any strings, any limit from 2,000 up: within it, marker first, fences balanced', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 3000 }),
        fc.string(),
        fc.integer({ min: 2_000, max: COMMENT_MAX_CHARS }),
        (name, ref, max) => {
          const r = drainingResult({
            summary: name,
            levels: drainingLevels().map((l) => ({
              ...l,
              requests: l.requests.map((q) => ({ ...q, name: name || 'x' })),
            })),
          });
          const body = renderComment(
            { jobKey: ref, result: r, reportMarkdown: renderReport(r), head: { ref } },
            max,
          );
          expect(body.length).toBeLessThanOrEqual(max);
          expect(body.startsWith(commentMarker(ref))).toBe(true);
          expect((body.match(/^```/gm) ?? []).length % 2).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('extractCharts keeps each Mermaid block with its caption', () => {
    const charts = extractCharts(renderReport(drainingResult()));
    expect(charts.startsWith('```mermaid\n')).toBe(true);
    expect(charts).toMatch(/```\n\nLines in order: 1\. items \(blue\), 2\. health \(orange\)\.$/);
  });
});

describe('renderComment with a comparison', () => {
  const regressed = comparedResult();
  const comparison = regressed.comparison as NonNullable<typeof regressed.comparison>;
  const input = {
    jobKey: '.github/loadgate.yml',
    result: regressed,
    reportMarkdown: renderReport(regressed),
    links: { runUrl: 'https://github.com/octo/app/actions/runs/42' },
    reproduce: { configPath: '.github/loadgate.yml', overrides: [] },
    head: { ref: 'feature', sha: 'c'.repeat(40) },
  };
  const body = renderComment(input);
  const p95Of = (level: number) =>
    comparison.metrics.find((m) => m.metric === 'p95Ms' && m.request === 'items' && m.level === level);

  it('first line: regressed, slower and less reliable than the base, and where; then the knee', () => {
    const lines = body.split('\n');
    expect(lines[0]).toBe('<!-- loadgate:.github/loadgate.yml -->');
    expect(lines[2]).toMatch(
      /^❌ \*\*loadgate: REGRESSED\*\* — slower than the base: items at 80 VUs \(p50 \+\d+\.\d%, p95 \+\d+\.\d%, p99 \+\d+\.\d%\); items at 160 VUs \(.*\); less reliable: items at 160 VUs \(error rate \+15\.00 pp, timeout rate \+15\.00 pp\)$/,
    );
    expect(lines[4]).toBe(
      '📉 **The knee moved from 80 VUs to 40 VUs**: this run saturates at a lower level.',
    );
    expect(lines[6]).toBe(
      'Config `.github/loadgate.yml` · branch feature · commit cccccccccccc · run run-1 · against base run base-run',
    );
  });

  it('a table of what regressed, improved or is inconclusive: base, this run, change and its interval', () => {
    expect(body).toMatch(
      /^\| +\| Phase \| Level \(VUs\) \| Request \| Metric +\| +Base \| This run \| +Change \(interval\) \|$/m,
    );
    const m = p95Of(80);
    if (!m || m.baseline === null || m.candidate === null || m.change === null) throw new Error('p95 at 80');
    const pct = (x: number | null) => `+${((x ?? 0) * 100).toFixed(1)}%`;
    const row = `| 🔺 regressed   | clean |          80 | items   | p95          |  ${formatMs(m.baseline)} ms |    ${formatMs(m.candidate)} ms |`;
    expect(body).toContain(row);
    expect(body).toContain(`${pct(m.change)} (${pct(m.changeLow)} … ${pct(m.changeHigh)}) |`);
    const rows = body.split('\n').filter((l) => /^\| (🔺|⛔|❔|🟢)/.test(l));
    expect(rows.filter((r) => r.includes('🔺 regressed'))).toHaveLength(comparison.counts.regressed);
    expect(rows.filter((r) => r.includes('❔ inconclusive'))).toHaveLength(comparison.counts.inconclusive);
    // regressions first
    expect(rows[0]).toContain('🔺 regressed');
    expect(body).not.toContain('| Limit');
  });

  it('how it was judged, folded: the base, the tests, every regression’s reason', () => {
    const judged = /<details><summary>How this was judged<\/summary>\n\n([\s\S]*?)\n\n<\/details>/.exec(
      body,
    )?.[1];
    expect(judged).toContain(
      'Against run base-run (git branch loadgate-baselines, main; loadgate 0.1.0), a stored baseline.',
    );
    expect(judged).toContain(`${comparison.checks} one-sided tests at α = 0.05, Holm-corrected`);
    expect(judged).toContain('- p95 of items at 80 VUs (clean): +');
  });

  it('charts p95 per level of the base (the comparison’s values) and of this run (its levels)', () => {
    const chart = (values: readonly (number | null | undefined)[]) =>
      `  line [${values.map((v) => String(Math.round((v ?? Number.NaN) * 10) / 10)).join(', ')}]`;
    const base = [10, 20, 40, 80, 160].map((l) => p95Of(l)?.baseline);
    const run = regressed.levels.map((l) => l.requests.find((r) => r.name === 'items')?.p95Ms);
    expect(body).toContain('  title "p95 per level: base (light) and this run (dark)"');
    expect(body).toContain('  x-axis "VUs" ["10", "20", "40", "80", "160"]');
    expect(body).toContain(`${chart(base)}\n${chart(run)}\n`);
    expect(body).toContain(
      'Lines in order: 1. items, base (light blue), 2. items, this run (blue), 3. health, base (light orange), 4. health, this run (orange).',
    );
    const order = [
      '❌',
      '📉',
      '| 🔺',
      'How this was judged',
      '```mermaid',
      '[the run]',
      '```sh',
      'Full report',
    ].map((s) => body.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('a run failing both the gate and the comparison says which, in the first line and the table', () => {
    const both = comparedResult(BASE_RUN, SLOWER_RUN, {
      breaches: [
        {
          metric: 'p95',
          phase: 'clean',
          level: 160,
          request: 'items',
          limit: 150,
          actual: 190.4,
          reason: 'p95 of items at 160 VUs (clean): 190 ms > 150 ms limit',
        },
      ],
    });
    const text = renderComment({ jobKey: 'k', result: both, reportMarkdown: renderReport(both) });
    expect(text.split('\n')[2]).toMatch(
      /^❌ \*\*loadgate: FAIL\*\* — fails the absolute gate \(1 breach: p95 of items at 160 VUs 190 ms\); and regressed, slower than the base: /,
    );
    expect(text).toMatch(/\| +Base \| This run \| +Change \(interval\) \| +Limit \|$/m);
    expect(text).toMatch(
      /^\| ⛔ gate breach +\| clean \| +160 \| items +\| p95 +\| +— \| +190 ms \| +— \| 150 ms \|$/m,
    );
    expect(text).toMatch(/^\| 🔺 regressed .*\| +— \|$/m);
  });

  it('not comparable: says why, no verdict table, the report’s own chart', () => {
    const other = comparedResult(BASE_RUN, SLOWER_RUN, {
      baseOptions: { comparability: { k6Version: '1.0.0', cpuCount: 4 } as never },
    });
    const text = renderComment({ jobKey: 'k', result: other, reportMarkdown: renderReport(other) });
    expect(text.split('\n')[2]).toBe(
      '⚠️ **loadgate: NOT COMPARABLE** — not compared with the base, so no verdict on regressions: k6 differs: 1.0.0 in the baseline, 2.2.0 here',
    );
    expect(text).toContain(
      'The base and this run cannot be compared, so no metric was judged:\n- k6 differs: 1.0.0 in the baseline, 2.2.0 here',
    );
    expect(text).toContain('\n\nNo gate breach.\n\n');
    expect(text).not.toContain('| Base');
    expect(text).not.toContain('How this was judged');
    expect(text).not.toContain('base (light)');
    expect(text).toContain('  title "p95 latency per level"');
  });

  it('paired: one rate, so p50, p95 and p99 of each side are charted; no knee', () => {
    const paired = pairedResult();
    const text = renderComment({ jobKey: 'k', result: paired, reportMarkdown: renderReport(paired) });
    expect(text.split('\n')[2]).toMatch(
      /^❌ \*\*loadgate: REGRESSED\*\* — slower than the base revision: items at 40 req\/s \(p50 \+/,
    );
    expect(text.split('\n')[4]).toBe(
      'Config `k` · run run-1 · paired with the base revision (commit bbbbbbbbbbbb)',
    );
    expect(text).toMatch(/^\| 🔺 regressed \| paired \| +40 \| items +\| p95 +\|/m);
    expect(text).toContain('  x-axis "percentile" ["p50", "p95", "p99"]');
    expect(text).toContain('Paired runs at 40 req/s: base and this run alternated on the same runner');
    expect(text).toContain('Base: base revision main, commit bbbbbbbbbbbb (loadgate 0.1.0), paired runs');
    expect(text).not.toContain('knee moved');
  });

  it('hostile names in a comparison (request, phases, base source) render inert, within the limit, marker intact', () => {
    const PHASE = '<script>x</script> @team #1 `id`';
    const run = (r: typeof BASE_RUN, phase: string) => ladderCells({ ...r, itemsName: HUGE_NAME, phase });
    const cells = (r: typeof BASE_RUN) => [...run(r, 'clean'), ...run({ ...r, seed: r.seed + 10 }, PHASE)];
    const hostileComparison = compareBaselines(
      syntheticBaseline(cells(BASE_RUN), { runId: `base ${HOSTILE_BRANCH}` }),
      syntheticBaseline(cells(SLOWER_RUN)),
      { baselineSource: `git branch ${HOSTILE_BRANCH}` },
    );
    const hostile = resultWithComparison(levelsOfCells(cells(SLOWER_RUN)), hostileComparison, {
      breaches: hostileResult().gate.breaches,
    });
    expect(hostile.verdict).toBe('fail');
    expect(hostile.comparison?.counts.regressed).toBeGreaterThan(0);
    const text = renderComment({
      jobKey: '.github/loadgate.yml --> <b>x</b>',
      result: hostile,
      reportMarkdown: renderReport(hostile),
      head: { ref: HOSTILE_BRANCH, sha: 'd'.repeat(40) },
    });
    expect(text.length).toBeLessThanOrEqual(GITHUB_COMMENT_MAX_CHARS);
    expect(text.split('\n')[0]).toBe('<!-- loadgate:.github/loadgate.yml_-___b_x_/b_ -->');
    expect(text).toContain('| 🔺 regressed');
    expect(text).toContain('How this was judged');
    expect(text).toContain('```mermaid');
    expect(text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const live = interpreted(text);
    expect(live).not.toMatch(/<[A-Za-z/!]/);
    expect(live).not.toMatch(/@[A-Za-z0-9]/);
    expect(live).not.toMatch(/(^|[^&])#\d/);
    expect(live).not.toContain('`');
    expect(live).not.toMatch(/(^|[^\\])\]\(javascript:/);
    // nothing from the run inside a chart: only our words, numbers and colours
    for (const block of text.match(/```mermaid\n[\s\S]*?\n```/g) ?? []) {
      expect(block).not.toContain('img');
      expect(block).not.toContain('script');
    }
  });

  it('short of room: the report goes first, then the chart, the judgement and rows; marker and verdict stay', () => {
    for (const max of [2_500, 4_000, 8_000]) {
      const text = renderComment(input, max);
      expect(text.length).toBeLessThanOrEqual(max);
      expect(text.split('\n')[0]).toBe('<!-- loadgate:.github/loadgate.yml -->');
      expect(text.split('\n')[2]).toMatch(/^❌ \*\*loadgate: REGRESSED\*\* — slower than the base/);
      expect(text).toContain('| 🔺 regressed');
      expect((text.match(/^```/gm) ?? []).length % 2).toBe(0);
      expect((text.match(/<details>/g) ?? []).length).toBe((text.match(/<\/details>/g) ?? []).length);
    }
    const tight = renderComment(input, 2_500);
    expect(tight).not.toContain('```mermaid');
    expect(tight).not.toContain('How this was judged');
    expect(tight).toMatch(/The report is \d+ characters, more than a comment holds/);
    const roomy = renderComment(input, 8_000);
    expect(roomy).toContain('```mermaid');
    expect(roomy).toContain('How this was judged');
  });

  it('property: a comparison with any names, any limit from 2,000 up: within it, marker first, fences balanced', () => {
    const rename = (name: string, to: string) => (name === 'items' ? to : name);
    fc.assert(
      fc.property(
        fc.string({ maxLength: 3000 }),
        fc.integer({ min: 2_000, max: COMMENT_MAX_CHARS }),
        (name, max) => {
          const to = name || 'x';
          const r = structuredClone(regressed);
          for (const l of r.levels) for (const q of l.requests) q.name = rename(q.name, to);
          for (const m of r.comparison?.metrics ?? []) {
            m.request = rename(m.request, to);
            m.reason = `${m.reason} ${name}`;
          }
          const text = renderComment({ jobKey: name, result: r, reportMarkdown: renderReport(r) }, max);
          expect(text.length).toBeLessThanOrEqual(max);
          expect(text.startsWith(commentMarker(name))).toBe(true);
          expect((text.match(/^```/gm) ?? []).length % 2).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('commentMarker', () => {
  it('cannot be closed or forged by a job key', () => {
    expect(commentMarker('a --> <script>')).toBe('<!-- loadgate:a_-___script_ -->');
    expect(commentMarker('')).toBe('<!-- loadgate:default -->');
  });
});

describe('isSameAuthor', () => {
  it('matches github-actions and github-actions[bot], and nothing else', () => {
    expect(isSameAuthor('github-actions[bot]', 'github-actions[bot]')).toBe(true);
    expect(isSameAuthor('github-actions', 'github-actions[bot]')).toBe(true);
    expect(isSameAuthor('GitHub-Actions[bot]', 'github-actions[bot]')).toBe(true);
    expect(isSameAuthor('github-actions-fake', 'github-actions[bot]')).toBe(false);
    expect(isSameAuthor('', 'github-actions[bot]')).toBe(false);
  });
});

describe('shellQuote', () => {
  it('bash reads every quoted word back exactly', () => {
    const words = [
      'plain',
      '',
      "it's",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, on purpose
      '$(touch /tmp/pwned) `id` ${HOME} $HOME',
      'line1\nline2\r\t\u0007',
      '~root',
      '=cmd',
      '*.yml',
      'a b',
      '-x',
      'ünïcode ✓',
      '\\',
      "'\\''",
    ];
    const script = `printf '%s\\0' ${words.map(shellQuote).join(' ')}`;
    const out = execFileSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(words);
  });

  it('property: any string round-trips through bash', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\0', '')),
          { maxLength: 5 },
        ),
        (words) => {
          const out = execFileSync('bash', ['-c', `printf '%s\\0' ${words.map(shellQuote).join(' ')} ''`], {
            encoding: 'utf8',
          });
          expect(out.split('\0').slice(0, -2)).toEqual(words);
        },
      ),
      { numRuns: 40 },
    );
    // 40 bash processes: seconds on a busy 2-core machine
  }, 60_000);

  it("reproduceCommand runs the action's release tarball through npx when given one", () => {
    const packageSpec = releaseTarballUrl('https://github.com', 'acme/loadgate-fork', '1.2.3');
    expect(packageSpec).toBe(
      'https://github.com/acme/loadgate-fork/releases/download/v1.2.3/loadgate-1.2.3.tgz',
    );
    expect(releaseTarballUrl('https://github.com/', undefined, '1.2.3')).toBe(
      'https://github.com/loadgate/loadgate/releases/download/v1.2.3/loadgate-1.2.3.tgz',
    );
    expect(releaseTarballUrl('https://github.com', 'x; rm -rf /', '1.2.3')).toMatch(/\/loadgate\/loadgate\//);
    expect(reproduceCommand({ configPath: 'a.yml', overrides: ['x=y'], packageSpec })).toBe(
      `npx --yes --package=${packageSpec} -- loadgate run --config a.yml --set x=y`,
    );
  });

  it('reproduceCommand keeps plain values bare and quotes the rest', () => {
    expect(reproduceCommand({ configPath: 'a.yml', overrides: ['load.levels=[1,2]', 'x=y'] })).toBe(
      "npx loadgate run --config a.yml --set 'load.levels=[1,2]' --set x=y",
    );
  });
});

describe('classifyGitHubError', () => {
  const err = (status: number, headers: Record<string, string> = {}, message = 'x') => ({
    status,
    message,
    response: { headers, data: { message } },
  });

  it('tells rate limits from missing permissions', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(
      classifyGitHubError(
        err(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 90) }),
        'w',
        now,
      ),
    ).toMatchObject({ kind: 'rate-limited', retryAfterS: 90 });
    expect(classifyGitHubError(err(429, { 'retry-after': '60' }), 'w')).toMatchObject({
      kind: 'rate-limited',
      retryAfterS: 60,
    });
    expect(classifyGitHubError(err(403, {}, 'You have exceeded a secondary rate limit'), 'w').kind).toBe(
      'rate-limited',
    );
    expect(
      classifyGitHubError(
        err(403, { 'x-ratelimit-remaining': '4999' }, 'Resource not accessible by integration'),
        'w',
      ).kind,
    ).toBe('forbidden');
    expect(classifyGitHubError(err(404), 'w').kind).toBe('not-found');
    expect(classifyGitHubError(new TypeError('fetch failed'), 'w').kind).toBe('network');
  });
});
