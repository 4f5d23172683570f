import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient, type GitHubClient } from '../../src/github/client.ts';
import {
  commentMarker,
  GITHUB_COMMENT_MAX_CHARS,
  postStickyComment,
  renderComment,
  upsertStickyComment,
} from '../../src/github/comment.ts';
import { renderReport } from '../../src/report/markdown.ts';
import { drainingLevels, drainingResult } from '../../src/report/testing/draining-pool.ts';
import { FakeGitHub, rateLimitAnswer } from './fakeGitHub.ts';

// The sticky comment against a local server that rejects whatever GitHub's OpenAPI description
// does not allow and answers only in documented shapes. Every test ends with no violation.

const PR = 7;
let gh: FakeGitHub;

function client(token = 'ghs-installation'): GitHubClient {
  return createGitHubClient({ token, repository: gh.repository, apiUrl: gh.url });
}

function body(jobKey: string, text: string): string {
  return `${commentMarker(jobKey)}\n${text}\n`;
}

beforeEach(async () => {
  gh = await new FakeGitHub().start();
  gh.addPull({ number: PR, headSha: 'a'.repeat(40), headRef: 'feature', headRepo: 'octo/app' });
});

afterEach(async () => {
  await gh.close();
  expect(gh.violations).toEqual([]);
});

describe('sticky comment against an OpenAPI-validating GitHub', () => {
  it('creates the comment when there is none, as github-actions[bot] (GET /user is 403 for GITHUB_TOKEN)', async () => {
    const outcome = await upsertStickyComment(client(), { issueNumber: PR, body: body('demo', 'first') });
    expect(outcome.action).toBe('created');
    expect(outcome.identity).toBe('github-actions[bot]');
    expect(gh.commentsOn(PR)).toHaveLength(1);
    expect(gh.commentsOn(PR)[0]?.body).toBe(body('demo', 'first'));
    expect(gh.requests.map((r) => `${r.operationId} ${r.status}`)).toEqual([
      'users/get-authenticated 403',
      'issues/list-comments 200',
      'issues/create-comment 201',
      'issues/list-comments 200',
    ]);
  });

  it('finds its comment on page 3 by following Link headers, and updates it in place', async () => {
    for (let i = 0; i < 230; i++)
      gh.addComment(PR, `chatter ${i}`, i % 2 ? 'octocat' : 'github-actions[bot]');
    // Someone else quoting the marker, and another job's comment, must not be taken.
    gh.addComment(PR, body('demo', 'forged by a person'), 'mallory');
    gh.addComment(PR, body('other-config', 'another job'), 'github-actions[bot]');
    const ours = gh.addComment(PR, body('demo', 'old numbers'), 'github-actions[bot]');
    expect(gh.commentsOn(PR).findIndex((c) => c.id === ours.id)).toBeGreaterThanOrEqual(200);

    const outcome = await upsertStickyComment(client(), {
      issueNumber: PR,
      body: body('demo', 'new numbers'),
    });
    expect(outcome).toMatchObject({ action: 'updated', commentId: ours.id, removed: [] });
    expect(gh.comments.find((c) => c.id === ours.id)?.body).toBe(body('demo', 'new numbers'));
    expect(gh.commentsOn(PR).find((c) => c.login === 'mallory')?.body).toBe(
      body('demo', 'forged by a person'),
    );
    const pages = gh.requests.filter((r) => r.operationId === 'issues/list-comments').map((r) => r.url);
    expect(pages).toHaveLength(3);
    expect(pages[2]).toContain('page=3');
    expect(gh.requests.at(-1)?.operationId).toBe('issues/update-comment');
  });

  it('skips the update when the body is unchanged', async () => {
    const ours = gh.addComment(PR, body('demo', 'same'), 'github-actions[bot]');
    const outcome = await upsertStickyComment(client(), { issueNumber: PR, body: body('demo', 'same') });
    expect(outcome).toMatchObject({ action: 'unchanged', commentId: ours.id });
    expect(gh.requests.some((r) => r.operationId === 'issues/update-comment')).toBe(false);
  });

  it('keeps the oldest of two marked comments and deletes the other', async () => {
    const oldest = gh.addComment(PR, body('demo', 'one'), 'github-actions[bot]');
    const newer = gh.addComment(PR, body('demo', 'two'), 'github-actions[bot]');
    const outcome = await upsertStickyComment(client(), { issueNumber: PR, body: body('demo', 'three') });
    expect(outcome).toMatchObject({ action: 'updated', commentId: oldest.id, removed: [newer.id] });
    expect(gh.commentsOn(PR).map((c) => c.body)).toEqual([body('demo', 'three')]);
  });

  it('uses the login of a personal token (GET /user works for it)', async () => {
    gh.addComment(PR, body('demo', 'by the bot'), 'github-actions[bot]');
    const outcome = await upsertStickyComment(client('ghp-user'), {
      issueNumber: PR,
      body: body('demo', 'mine'),
    });
    expect(outcome).toMatchObject({ action: 'created', identity: 'octocat' });
    expect(gh.commentsOn(PR).map((c) => c.login)).toEqual(['github-actions[bot]', 'octocat']);
  });

  it('two runs updating the same PR at once leave exactly one comment', async () => {
    // Both runs list before either creates: the race that makes two comments.
    gh.holdUntil('issues/list-comments', 2);
    const [a, b] = await Promise.all([
      upsertStickyComment(client(), { issueNumber: PR, body: body('demo', 'run A') }),
      upsertStickyComment(client(), { issueNumber: PR, body: body('demo', 'run B') }),
    ]);
    expect(gh.requests.filter((r) => r.operationId === 'issues/create-comment')).toHaveLength(2);
    const left = gh.commentsOn(PR);
    expect(left).toHaveLength(1);
    expect(a.commentId).toBe(left[0]?.id);
    expect(b.commentId).toBe(left[0]?.id);
    expect([body('demo', 'run A'), body('demo', 'run B')]).toContain(left[0]?.body);
    // Once more, later: still one, updated in place.
    const again = await upsertStickyComment(client(), { issueNumber: PR, body: body('demo', 'run C') });
    expect(again.action).toBe('updated');
    expect(gh.commentsOn(PR).map((c) => c.body)).toEqual([body('demo', 'run C')]);
  });

  it("a fork's read-only token: no failure, a notice pointing at the companion workflow", async () => {
    const outcome = await postStickyComment(client('ghs-fork-readonly'), {
      issueNumber: PR,
      body: body('demo', 'x'),
      reportPath: 'loadgate-out/report.md',
    });
    expect(outcome.status).toBe('skipped');
    expect(outcome.level).toBe('notice');
    expect(outcome.message).toContain('read-only token');
    expect(outcome.message).toContain('loadgate-out/report.md');
    expect(outcome.message).toContain('loadgate-comment.yml');
    expect(gh.commentsOn(PR)).toHaveLength(0);
    expect(gh.requests.at(-1)).toMatchObject({ operationId: 'issues/create-comment', status: 403 });
  });

  it('a deleted pull request (404): a warning, no failure', async () => {
    const outcome = await postStickyComment(client(), { issueNumber: 999, body: body('demo', 'x') });
    expect(outcome).toMatchObject({ status: 'skipped', level: 'warning' });
    expect(outcome.message).toContain('#999 was not found');
    expect(gh.requests.at(-1)).toMatchObject({ operationId: 'issues/list-comments', status: 404 });
  });

  it.each(['primary', 'secondary'] as const)(
    'a %s rate limit: a clear warning, nothing posted, no retry storm',
    async (kind) => {
      gh.intercept = (request) =>
        request.operationId === 'issues/list-comments' ? rateLimitAnswer(kind) : undefined;
      const outcome = await postStickyComment(client(), { issueNumber: PR, body: body('demo', 'x') });
      expect(outcome).toMatchObject({ status: 'skipped', level: 'warning' });
      expect(outcome.message).toContain('rate limit was reached');
      expect(outcome.message).toMatch(kind === 'secondary' ? /retry in 60 s/ : /retry in \d+ s/);
      expect(gh.requests.filter((r) => r.operationId === 'issues/list-comments')).toHaveLength(1);
      expect(gh.commentsOn(PR)).toHaveLength(0);
    },
  );

  it('a comment built from hostile strings is accepted by GitHub, inert, within the limit, marker first', async () => {
    const hostileName = `<img src=x onerror=alert(1)> @octocat \`rm -rf\` ${'x'.repeat(100_000)}`;
    const levels = drainingLevels().map((l) => ({
      ...l,
      requests: l.requests.map((r, i) => (i === 0 ? { ...r, name: hostileName } : r)),
    }));
    const result = drainingResult({ levels, summary: `p95 of ${hostileName} rose` });
    const text = renderComment({
      jobKey: '.github/loadgate.yml',
      result,
      reportMarkdown: renderReport(result),
      head: { ref: 'feat/`whoami`-@admin-<script>alert(1)</script>', sha: 'b'.repeat(40) },
      reproduce: { configPath: '.github/loadgate.yml', overrides: ['service.env.X=$(curl evil) `id` @team'] },
    });
    expect(text.length).toBeLessThanOrEqual(GITHUB_COMMENT_MAX_CHARS);
    expect(text.startsWith(`${commentMarker('.github/loadgate.yml')}\n`)).toBe(true);
    const outcome = await upsertStickyComment(client(), { issueNumber: PR, body: text });
    expect(outcome.action).toBe('created');
    expect(gh.commentsOn(PR)[0]?.body).toBe(text);
  });
});

describe('the fake GitHub itself', () => {
  it('rejects what the description does not allow and flags answers that do not fit', async () => {
    const call = (method: string, path: string, payload?: unknown) =>
      fetch(`${gh.url}${path}`, {
        method,
        headers: { authorization: 'token ghs-installation', 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      });
    expect((await call('POST', `/repos/octo/app/issues/${PR}/comments`, { text: 'x' })).status).toBe(400);
    expect((await call('GET', `/repos/octo/app/issues/${PR}/comments?per_page=abc`)).status).toBe(400);
    expect((await call('GET', `/repos/octo/app/issues/${PR}/comments?sort=asc`)).status).toBe(400);
    expect((await call('PUT', `/repos/octo/app/issues/${PR}/comments`, { body: 'x' })).status).toBe(400);
    expect((await call('GET', '/repos/octo/app/no-such-thing')).status).toBe(400);
    gh.intercept = () => ({ status: 200, body: [{ id: 'not a number' }] });
    await call('GET', `/repos/octo/app/issues/${PR}/comments`);
    expect(gh.violations).toHaveLength(6);
    expect(gh.violations.join('\n')).toMatch(/request body: .*must have required property 'body'/);
    expect(gh.violations.join('\n')).toMatch(/per_page="abc"/);
    expect(gh.violations.join('\n')).toMatch(/query parameter sort is not documented/);
    expect(gh.violations.join('\n')).toMatch(/issues\/list-comments 200 answer/);
    gh.violations.length = 0;
  });
});
