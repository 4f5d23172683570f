import { describe, expect, it } from 'vitest';
import { classifyGitFailure, gitAuthEnv } from './gitRemote.ts';

// git 2.39's own words for a race lost against a file remote and an HTTP one (recorded from the
// gitStore integration tests), and GitHub's documented refusals (GH013 rulesets, GH006 branch
// protection, a token without contents: write).
const raceFetchFirst = ` ! [rejected]        abc -> race (fetch first)
error: failed to push some refs to '/tmp/x/origin.git'
hint: Updates were rejected because the remote contains work that you do
hint: not have locally.`;
const raceLockRef = ` ! [remote rejected] abc -> race (cannot lock ref 'refs/heads/race': is at 1 but expected 2)`;
const ruleset = `remote: error: GH013: Repository rule violations found for refs/heads/loadgate-baselines.
remote: Review all repository rules at https://github.com/o/r/rules?ref=refs%2Fheads%2Floadgate-baselines
remote:
remote: - Cannot update this protected ref.
To https://github.com/o/r
 ! [remote rejected] abc -> loadgate-baselines (push declined due to repository rule violations)
error: failed to push some refs to 'https://github.com/o/r'`;
const protectedBranch = `remote: error: GH006: Protected branch update failed for refs/heads/loadgate-baselines.
remote: error: Changes must be made through a pull request.
 ! [remote rejected] abc -> loadgate-baselines (protected branch hook declined)`;
const forbidden = `remote: Permission to o/r.git denied to github-actions[bot].
fatal: unable to access 'https://github.com/o/r/': The requested URL returned error: 403`;
const noCredentials = `fatal: could not read Username for 'https://github.com': terminal prompts disabled`;
const hook = `remote: refused by policy
To http://127.0.0.1:4000/origin.git
 ! [remote rejected] abc -> locked (pre-receive hook declined)`;

describe('classifyGitFailure', () => {
  it('retries only a lost race', () => {
    expect(classifyGitFailure(raceFetchFirst, 'race').kind).toBe('race');
    expect(classifyGitFailure(raceLockRef, 'race').kind).toBe('race');
    expect(classifyGitFailure('fatal: something else', 'b').kind).toBe('other');
  });

  it('names a refusal at once, with its fix', () => {
    const cases: [string, RegExp, RegExp][] = [
      [ruleset, /repository ruleset/, /bypass list/],
      [protectedBranch, /branch protection/, /protection rule/],
      [forbidden, /may not push .*403/, /contents: write/],
      [noCredentials, /credentials/, /token input/],
      [hook, /hook on the remote/, /allow pushes/],
    ];
    for (const [stderr, why, fix] of cases) {
      const failure = classifyGitFailure(stderr, 'loadgate-baselines');
      expect(failure.kind).toBe('refused');
      if (failure.kind !== 'refused') continue;
      expect(failure.why).toMatch(why);
      expect(failure.fix).toMatch(fix);
    }
  });
});

describe('gitAuthEnv', () => {
  it('sends the token as a header for the server only, after clearing a persisted one', () => {
    const env = gitAuthEnv({ token: 'tok', serverUrl: 'https://github.com/' }, {});
    expect(env).toEqual({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_0: '',
      GIT_CONFIG_KEY_1: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_1: `AUTHORIZATION: basic ${Buffer.from('x-access-token:tok').toString('base64')}`,
    });
  });

  it('keeps settings already given through GIT_CONFIG_COUNT, and adds nothing without a token', () => {
    const env = gitAuthEnv({ token: 't', serverUrl: 'https://ghe.example' }, { GIT_CONFIG_COUNT: '1' });
    expect(env.GIT_CONFIG_COUNT).toBe('3');
    expect(env.GIT_CONFIG_KEY_2).toBe('http.https://ghe.example/.extraheader');
    expect(gitAuthEnv(undefined, {})).toEqual({});
    expect(gitAuthEnv({ token: '', serverUrl: 'https://github.com' }, {})).toEqual({});
  });
});
