import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
import { shellQuote } from './shell.ts';

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
          metric: 'p95Ms',
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
    expect(body).toMatch(
      /^\| ⛔ gate breach \| clean \| +32 \| items +\| p95Ms +\| +— \| +912 ms \| 800 ms \|$/m,
    );
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
      'No regression, gate breach or inconclusive result.',
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
