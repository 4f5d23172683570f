import { describe, expect, it } from 'vitest';
import { mergeThresholds } from '../../k6-scripts/contract.ts';
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

  it('runs the whole ladder once per phase, in order, the next after the last has drained', () => {
    const plan = buildLadderPlan({ ...input, phases: ['clean', 'latency'], warmupS: 0 });
    expect(plan.scenarios.map((s) => [s.name, s.phase, s.level, s.startS])).toEqual([
      ['clean__L0', 'clean', 5, 0],
      ['clean__L1', 'clean', 10, 20],
      // 2 s timeout + 0.5 s: the drain of clean__L1, during which nothing runs
      ['latency__L0', 'latency', 5, 42.5],
      ['latency__L1', 'latency', 10, 62.5],
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

describe('buildLadderPlan: probe and timelines', () => {
  const probed: LadderPlanInput = {
    ...input,
    phases: ['clean', 'degraded', 'recovery'],
    levels: [5],
    probe: { path: '/health', ratePerS: 5, idleS: 3 },
    timelinePhases: ['recovery'],
  };

  it('runs an idle probe first, then a probe beside every measured level', () => {
    const plan = buildLadderPlan(probed);
    expect(plan.probe?.url).toBe('http://127.0.0.1:8080/health');
    expect(plan.probe?.ratePerS).toBe(5);
    // enough VUs for 5/s while each may wait out the 2 s timeout
    expect(plan.probe?.maxVUs).toBe(11);
    expect(plan.probe?.scenarios.map((p) => [p.name, p.phase, p.levelIndex, p.startS, p.durationS])).toEqual([
      ['idle__P', null, null, 0, 3],
      ['clean__P0', 'clean', 0, 8, 20],
      ['degraded__P0', 'degraded', 0, 35.5, 20],
      ['recovery__P0', 'recovery', 0, 63, 20],
    ]);
    // the ladder moves back by the idle probe
    expect(plan.scenarios.map((s) => [s.name, s.startS])).toEqual([
      ['clean__W0', 3],
      ['clean__L0', 8],
      ['degraded__W0', 30.5],
      ['degraded__L0', 35.5],
      ['recovery__W0', 58],
      ['recovery__L0', 63],
    ]);
    expect(plan.totalS).toBe(85.5);
  });

  it('knows when each phase runs and slices the timeline phases', () => {
    const plan = buildLadderPlan({ ...probed, timelineBucketS: 2 });
    expect(plan.phaseWindows).toEqual([
      { phase: 'clean', startS: 3, endS: 28 },
      { phase: 'degraded', startS: 30.5, endS: 55.5 },
      { phase: 'recovery', startS: 58, endS: 83 },
    ]);
    expect(plan.timelines).toEqual([{ phase: 'recovery', startS: 58, bucketS: 2, buckets: 13 }]);
  });

  it('without a probe: none, and no idle time', () => {
    const plan = buildLadderPlan(input);
    expect(plan.probe).toBeNull();
    expect(plan.timelines).toEqual([]);
    expect(plan.scenarios[0]?.startS).toBe(0);
    expect(
      buildLadderPlan({ ...probed, probe: { path: '/h', ratePerS: 1, idleS: 0 } }).scenarios[0]?.startS,
    ).toBe(0);
  });

  it('checks the probe and the timeline phases', () => {
    expect(
      problemsOf({
        ...probed,
        probe: { path: 'health', ratePerS: 0, idleS: -1 },
        timelinePhases: ['later'],
        timelineBucketS: 0,
      }),
    ).toEqual([
      "probe.path: must start with '/' or be an http(s) URL",
      'probe.ratePerS: must be a positive number',
      'probe.idleS: must be 0 or more',
      "timelinePhases[0]: 'later' is not one of the phases",
      'timelineBucketS: must be a positive number',
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
  it("runs the user's functions under the ladder's options, the user's thresholds added", () => {
    const text = renderUserScriptWrapper('file:///x/k6-scripts/ladder.ts', 'file:///work/my test.js');
    expect(text).toContain('import * as user from "file:///work/my test.js";');
    expect(text).toContain('export { handleSummary, probe } from "file:///x/k6-scripts/ladder.ts";');
    expect(text).toContain('export const options = optionsWithUserThresholds(user.options);');
    // each of the user's iterations is tagged with its time slice first
    expect(text).toContain('  markTimeBucket();\n  return user.default(data);');
  });
});

describe('mergeThresholds', () => {
  const ladder = { 'http_reqs{scenario:clean__L0}': ['count>=0'], http_req_failed: ['rate>=0'] };

  it("keeps the ladder's thresholds and adds the user's, joined where both name a metric", () => {
    const user = {
      http_req_failed: ['rate<0.01'],
      http_req_duration: ['p(95)<200', { threshold: 'p(99)<500', abortOnFail: true }],
      checks: 'rate>0.9',
    };
    expect(mergeThresholds<unknown>(ladder, user)).toEqual({
      'http_reqs{scenario:clean__L0}': ['count>=0'],
      http_req_failed: ['rate>=0', 'rate<0.01'],
      http_req_duration: ['p(95)<200', { threshold: 'p(99)<500', abortOnFail: true }],
      checks: ['rate>0.9'],
    });
    expect(ladder.http_req_failed).toEqual(['rate>=0']); // not changed in place
  });

  it('adds nothing for a script without thresholds', () => {
    for (const user of [undefined, null, 'p(95)<1', ['p(95)<1']]) {
      expect(mergeThresholds<unknown>(ladder, user)).toEqual(ladder);
    }
  });
});
