/**
 * What the git store needs from the remote beside git itself: credentials for its fetch and push
 * that do not depend on what actions/checkout left in the clone, and a reading of a refused push.
 */

/** A token for the remote, sent as actions/checkout sends it, for URLs under serverUrl only. */
export interface GitAuth {
  token: string;
  /** e.g. https://github.com (GITHUB_SERVER_URL); the header goes to this server and no other */
  serverUrl: string;
}

/**
 * Environment for a git command that authenticates with `auth`: an `http.<server>/.extraheader`
 * given through GIT_CONFIG_COUNT/KEY/VALUE (git >= 2.31), so the token is in no command line, no
 * URL and no file. An empty value first clears the header actions/checkout may have persisted for
 * the same server (two Authorization headers are refused).
 */
export function gitAuthEnv(auth: GitAuth | undefined, env: NodeJS.ProcessEnv): Record<string, string> {
  if (!auth?.token) return {};
  const start = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10) || 0;
  const key = `http.${auth.serverUrl.replace(/\/+$/, '')}/.extraheader`;
  const basic = Buffer.from(`x-access-token:${auth.token}`, 'utf8').toString('base64');
  return {
    GIT_CONFIG_COUNT: String(start + 2),
    [`GIT_CONFIG_KEY_${start}`]: key,
    [`GIT_CONFIG_VALUE_${start}`]: '',
    [`GIT_CONFIG_KEY_${start + 1}`]: key,
    [`GIT_CONFIG_VALUE_${start + 1}`]: `AUTHORIZATION: basic ${basic}`,
  };
}

/** Why a push or fetch failed, as far as its stderr says. */
export type GitFailure =
  /** another job pushed first: fetch again and retry */
  | { kind: 'race' }
  /** the remote will never take it as things are: say why and how to fix it, do not retry */
  | { kind: 'refused'; why: string; fix: string }
  | { kind: 'other' };

/**
 * Reads git's stderr. Refusals come first: a ruleset's or a hook's refusal is also printed as
 * "[remote rejected]", which must not be taken for a lost race and retried ten times.
 */
export function classifyGitFailure(stderr: string, branch: string): GitFailure {
  const onAnother = `or keep baselines on a branch nothing protects (baseline: git:<another-branch>)`;
  if (/GH013|repository rule violations/i.test(stderr)) {
    return {
      kind: 'refused',
      why: `a repository ruleset refused the push to ${branch}`,
      fix: `exclude ${branch} from the ruleset's target branches, or add GitHub Actions (or the token's app) to its bypass list, ${onAnother}`,
    };
  }
  if (/GH006|protected branch hook declined|protected branch update failed/i.test(stderr)) {
    return {
      kind: 'refused',
      why: `branch protection refused the push to ${branch}`,
      fix: `remove the protection rule that matches ${branch} (records are only ever added, never force-pushed), ${onAnother}`,
    };
  }
  if (
    /permission to \S+ denied|returned error: 403|write access to repository not granted|\b403 Forbidden/i.test(
      stderr,
    )
  ) {
    return {
      kind: 'refused',
      why: `the token may not push to ${branch} (HTTP 403)`,
      fix: "give the job `permissions: contents: write` (the token input defaults to the workflow's GITHUB_TOKEN), or pass a token that may write through the token input",
    };
  }
  if (
    /could not read Username|Authentication failed|returned error: 401|terminal prompts disabled/i.test(
      stderr,
    )
  ) {
    return {
      kind: 'refused',
      why: 'the remote asked for credentials and got none',
      fix: 'loadgate sends its token input (default github.token) to the remote; set the token input, or check out with persisted credentials',
    };
  }
  if (/pre-receive hook declined|hook declined|\[remote rejected\][^\n]*\(pre-receive/i.test(stderr)) {
    return {
      kind: 'refused',
      why: `a hook on the remote refused the push to ${branch}`,
      fix: `allow pushes that add files to ${branch} on the remote, ${onAnother}`,
    };
  }
  if (
    /non-fast-forward|fetch first|stale info|cannot lock ref|failed to update ref|incorrect old value|\[rejected\]/i.test(
      stderr,
    )
  ) {
    return { kind: 'race' };
  }
  return { kind: 'other' };
}
