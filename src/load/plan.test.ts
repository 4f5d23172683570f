import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { buildLadderPlan, type LadderPlanInput, renderUserScriptWrapper, scenarioAt } from './plan.ts';

const input: LadderPlanInput = {
  baseUrl: 'http://127.0.0.1:8080/',
  model: 'closed',
  levels: [5, 10],
  levelDurationS: 20,
  warmupS: 5,
  requestTimeoutMs: 2000,
  requests: [
    { name: 'list', path: '/items', weight: 3 },
    {
      name: 'create',
      method: 'post',
      path: '/items',
      body: '{}',
      headers: { 'content-type': 'application/json' },
      expectStatus: 201,
    },
    { name: 'side', path: 'http://127.0.0.1:9090/health' },
  ],
};

function problemsOf(bad: LadderPlanInput): readonly string[] {
  try {
    buildLadderPlan(bad);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('buildLadderPlan', () => {
  it('schedules a cut-off warm-up then a measured level, back to back, per level', () => {
    const plan = buildLadderPlan(input);
    expect(plan.scenarios.map((s) => [s.name, s.measured, s.startS, s.durationS, s.gracefulStopS])).toEqual([
      ['clean__W0', false, 0, 5, 0],
      ['clean__L0', true, 5, 20, 2.5],
      ['clean__W1', false, 25, 5, 0],
      ['clean__L1', true, 30, 20, 2.5],
    ]);
    // the last level's end plus the time its requests in flight may take
    expect(plan.totalS).toBe(52.5);
  });

  it('runs the whole ladder once per phase, in order', () => {
    const plan = buildLadderPlan({ ...input, phases: ['clean', 'latency'], warmupS: 0 });
    expect(plan.scenarios.map((s) => [s.name, s.phase, s.level, s.startS])).toEqual([
      ['clean__L0', 'clean', 5, 0],
      ['clean__L1', 'clean', 10, 20],
      ['latency__L0', 'latency', 5, 40],
      ['latency__L1', 'latency', 10, 60],
    ]);
  });

  it('fills request defaults and resolves URLs', () => {
    const plan = buildLadderPlan(input);
    expect(plan.baseUrl).toBe('http://127.0.0.1:8080');
    expect(plan.requests).toEqual([
      {
        name: 'list',
        method: 'GET',
        url: 'http://127.0.0.1:8080/items',
        weight: 3,
        headers: {},
        body: null,
        expectStatus: null,
      },
      {
        name: 'create',
        method: 'POST',
        url: 'http://127.0.0.1:8080/items',
        weight: 1,
        headers: { 'content-type': 'application/json' },
        body: '{}',
        expectStatus: 201,
      },
      {
        name: 'side',
        method: 'GET',
        url: 'http://127.0.0.1:9090/health',
        weight: 1,
        headers: {},
        body: null,
        expectStatus: null,
      },
    ]);
    expect(plan.requestNames).toEqual(['list', 'create', 'side']);
    expect(plan.script).toBe('builtin');
  });

  it('open model: VUs per level from maxVUs, or enough to wait out the timeout', () => {
    expect(buildLadderPlan({ ...input, model: 'open', maxVUs: 7 }).scenarios.map((s) => s.maxVUs)).toEqual([
      7, 7, 7, 7,
    ]);
    expect(buildLadderPlan({ ...input, model: 'open' }).scenarios.map((s) => s.maxVUs)).toEqual([
      10, 10, 20, 20,
    ]);
    expect(buildLadderPlan(input).scenarios.every((s) => s.maxVUs === null)).toBe(true);
  });

  it('user script: no built-in requests, slices by the names it tags', () => {
    const plan = buildLadderPlan({ ...input, requests: [], userScript: { requestNames: ['home'] } });
    expect(plan).toMatchObject({ script: 'user', requests: [], requestNames: ['home'] });
    expect(buildLadderPlan({ ...input, userScript: {} }).requestNames).toEqual([]);
  });

  it('lists every problem with its path', () => {
    const problems = problemsOf({
      ...input,
      baseUrl: 'localhost:8080',
      levels: [0, 2.5],
      levelDurationS: 0,
      warmupS: -1,
      requestTimeoutMs: Number.NaN,
      phases: ['a__b', 'x,y'],
      requests: [
        { name: 'a b', path: 'items', weight: 0 },
        { name: 'ok', path: '/', expectStatus: 99 },
        { name: 'ok', path: '/' },
      ],
    });
    expect(problems).toEqual([
      'baseUrl: must be an http:// or https:// URL',
      'levels[0]: must be a positive integer',
      'levels[1]: must be a positive integer',
      'levelDurationS: must be a positive number',
      'warmupS: must be 0 or more',
      'requestTimeoutMs: must be a positive number',
      "phases[0]: 'a__b' may not contain '__'",
      "phases[1]: 'x,y' may hold only letters, digits, '_', '.', '-'",
      "requests[0]: 'a b' may hold only letters, digits, '_', '.', '-'",
      "requests[2]: 'ok' appears twice",
      "requests[0].path: must start with '/' or be an http(s) URL",
      'requests[0].weight: must be a positive number',
      'requests[1].expectStatus: must be an HTTP status (100..599)',
    ]);
    expect(problemsOf({ ...input, levels: [], requests: [] })).toEqual([
      'levels: at least one level is needed',
      'requests: at least one request is needed',
    ]);
  });
});

describe('scenarioAt', () => {
  const plan = buildLadderPlan(input);
  it('finds the scenario running at a moment of the ladder', () => {
    expect(scenarioAt(plan, 0)?.name).toBe('clean__W0');
    expect(scenarioAt(plan, 5)?.name).toBe('clean__L0');
    expect(scenarioAt(plan, 29.9)?.name).toBe('clean__W1');
    expect(scenarioAt(plan, 500)?.name).toBe('clean__L1');
    expect(scenarioAt(plan, -1)).toBeUndefined();
  });
});

describe('renderUserScriptWrapper', () => {
  it("re-exports the ladder's options and handleSummary around the user's functions", () => {
    const text = renderUserScriptWrapper('file:///x/k6-scripts/ladder.ts', 'file:///work/my test.js');
    expect(text).toContain('import * as user from "file:///work/my test.js";');
    expect(text).toContain('export { options, handleSummary } from "file:///x/k6-scripts/ladder.ts";');
    expect(text).toContain('return user.default(data);');
  });
});
