// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${env.NAME} is the config's own reference syntax
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraError } from '../../src/errors.ts';
import { type K6Binary, type LadderProgress, locateK6, runLadder } from '../../src/load/k6.ts';
import { buildLadderPlan, type LadderPlanInput } from '../../src/load/plan.ts';
import { registerSecret, resetSecretsForTests } from '../../src/redact.ts';

// The real k6 (LOADGATE_K6 or PATH) against a server on 127.0.0.1: /fast answers in 5 ms,
// /hang never answers.
let server: Server;
let baseUrl: string;
let k6: K6Binary;
let outRoot: string;
const seenSecretRequests: { url: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  k6 = await locateK6();
  server = createServer((req, res) => {
    if (req.url === '/hang') return;
    if (req.url?.startsWith('/secret'))
      seenSecretRequests.push({ url: req.url, authorization: req.headers.authorization });
    setTimeout(() => res.end('ok'), 5);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  outRoot = await mkdtemp(join(tmpdir(), 'loadgate-k6-int-'));
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((done) => server?.close(done));
  if (outRoot) await rm(outRoot, { recursive: true, force: true });
});

const ladder = (): LadderPlanInput => ({
  baseUrl,
  model: 'closed',
  levels: [2, 4],
  levelDurationS: 2,
  warmupS: 1,
  requestTimeoutMs: 300,
  requests: [
    { name: 'fast', path: '/fast', weight: 3 },
    { name: 'hang', path: '/hang', weight: 1 },
  ],
});

describe('runLadder with the real k6', () => {
  it('measures each level, classifies timeouts, and reports progress while it runs', async () => {
    const plan = buildLadderPlan(ladder());
    const progress: LadderProgress[] = [];
    const run = await runLadder({
      k6,
      plan,
      outDir: join(outRoot, 'full'),
      onProgress: (p) => progress.push(p),
      pollIntervalMs: 500,
    });

    expect(run).toMatchObject({ cancelled: false, thresholdsCrossed: false, k6Version: k6.version });
    expect(run.levels.map((l) => [l.phase, l.level, l.durationS, l.droppedIterations])).toEqual([
      ['clean', 2, 2, 0],
      ['clean', 4, 2, 0],
    ]);
    for (const level of run.levels) {
      const [fast, hang] = level.requests;
      expect(fast).toMatchObject({ name: 'fast', errorRate: 0, timeoutRate: 0 });
      expect(fast?.count).toBeGreaterThan(0);
      expect(fast?.throughputRps).toBeCloseTo((fast?.count ?? 0) / 2, 9);
      expect(fast?.p99Ms).toBeGreaterThanOrEqual(5);
      expect(hang).toMatchObject({ name: 'hang', errorRate: 1, timeoutRate: 1, connectionErrorRate: 0 });
      expect(hang?.count).toBeGreaterThan(0);
    }

    const measured = progress.filter((p) => !p.warmup && p.p95Ms !== null);
    expect(measured.length).toBeGreaterThan(0);
    expect(new Set(progress.map((p) => p.levelIndex))).toEqual(new Set([0, 1]));
    for (const p of progress) {
      expect(p.totalS).toBe(plan.totalS);
      expect(p.elapsedS).toBeGreaterThanOrEqual(0);
      expect(p.elapsedS).toBeLessThanOrEqual(plan.totalS);
    }
    // a quarter of the requests hang for 300 ms: the live p95 sees them
    expect(Math.max(...measured.map((p) => p.p95Ms ?? 0))).toBeGreaterThanOrEqual(300);
    expect(measured.some((p) => (p.errorRate ?? 0) > 0)).toBe(true);

    expect(await readFile(run.files.log, 'utf8')).toContain('loadgate ladder');
  });

  it('stops gracefully when aborted and keeps what was measured', async () => {
    const plan = buildLadderPlan(ladder());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 2_000);
    const run = await runLadder({ k6, plan, outDir: join(outRoot, 'cancel'), signal: controller.signal });
    expect(run.cancelled).toBe(true);
    expect(run.levels).toHaveLength(2);
    expect(run.levels[1]?.requests[0]?.count).toBe(0);
  });

  it("a user script's own threshold crossed: k6 exits 99, a result naming the threshold", async () => {
    const script = join(outRoot, 'thresholds.js');
    await writeFile(
      script,
      [
        "import http from 'k6/http';",
        // the 5 ms answers cannot have a p95 under 1 µs; the request count must be above 0
        "export const options = { thresholds: { 'http_req_duration{req:fast}': ['p(95)<0.001'], http_reqs: ['count>0'] } };",
        "export default function () { http.get(__ENV.LOADGATE_BASE_URL + '/fast', { tags: { req: 'fast' } }); }",
        '',
      ].join('\n'),
    );
    const plan = buildLadderPlan({
      ...ladder(),
      levels: [2],
      requests: [],
      userScript: { requestNames: ['fast'] },
    });
    const run = await runLadder({ k6, plan, outDir: join(outRoot, 'thresholds'), userScriptPath: script });
    expect(run.thresholdsCrossed).toBe(true);
    expect(run.crossedThresholds).toEqual(['http_req_duration{req:fast}: p(95)<0.001']);
    expect(run.levels[0]?.requests[0]?.count).toBeGreaterThan(0);
  });

  it('k6 failing mid-run with another exit status: an InfraError with its status and log, not a result', async () => {
    const script = join(outRoot, 'aborts.js');
    await writeFile(
      script,
      [
        "import http from 'k6/http';",
        "import exec from 'k6/execution';",
        'export default function () {',
        "  http.get(__ENV.LOADGATE_BASE_URL + '/fast');",
        "  if (exec.instance.iterationsCompleted > 20) exec.test.abort('the script gave up');",
        '}',
        '',
      ].join('\n'),
    );
    const plan = buildLadderPlan({ ...ladder(), levels: [2], requests: [], userScript: {} });
    const run = runLadder({ k6, plan, outDir: join(outRoot, 'aborts'), userScriptPath: script });
    await expect(run).rejects.toBeInstanceOf(InfraError);
    // k6's exit status for a script that aborted the test (108), and k6's own words from its log
    await expect(run).rejects.toThrow(/k6 exited with 108[\s\S]*the script gave up/);
  });

  it('reads ${env.NAME} in requests from its environment, writing the value nowhere, and keeps k6 from the runner tokens', async () => {
    const secret = `key-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    registerSecret(secret);
    const saved = {
      INPUT_TOKEN: process.env.INPUT_TOKEN,
      ACTIONS_RUNTIME_TOKEN: process.env.ACTIONS_RUNTIME_TOKEN,
    };
    process.env.INPUT_TOKEN = 'ghs_not-for-k6';
    process.env.ACTIONS_RUNTIME_TOKEN = 'runtime-not-for-k6';
    const script = join(outRoot, 'secret.js');
    await writeFile(
      script,
      [
        "import http from 'k6/http';",
        'export function setup() {',
        // a script printing what it may read (and the secret, which the log must not keep)
        '  console.log(`env names: ${Object.keys(__ENV).sort().join(" ")}`);',
        '  console.log(`the key is ${__ENV.LG_TEST_KEY}`);',
        '}',
        "export default function () { http.get(__ENV.LOADGATE_BASE_URL + '/fast'); }",
        '',
      ].join('\n'),
    );
    try {
      const dir = join(outRoot, 'secret');
      const plan = buildLadderPlan({
        ...ladder(),
        levels: [1],
        requests: [
          {
            name: 'secret',
            path: '/secret?key=${env.LG_TEST_KEY}',
            headers: { Authorization: 'Bearer ${env.LG_TEST_KEY}' },
          },
        ],
      });
      const run = await runLadder({
        k6,
        plan,
        outDir: dir,
        samplesPath: join(dir, 'k6-samples.csv.gz'),
        secrets: { LG_TEST_KEY: secret },
      });
      expect(run.levels[0]?.requests[0]).toMatchObject({ name: 'secret', errorRate: 0 });
      expect(seenSecretRequests.length).toBeGreaterThan(0);
      expect(seenSecretRequests[0]).toEqual({
        url: `/secret?key=${secret}`,
        authorization: `Bearer ${secret}`,
      });
      // the plan keeps the reference; no file k6 or loadgate wrote holds the value
      expect(await readFile(run.files.plan, 'utf8')).toContain('Bearer ${env.LG_TEST_KEY}');
      for (const file of [run.files.plan, run.files.summary, run.files.log]) {
        expect(await readFile(file, 'utf8'), file).not.toContain(secret);
      }
      expect(gunzipSync(await readFile(join(dir, 'k6-samples.csv.gz'))).toString('utf8')).not.toContain(
        secret,
      );

      // a user's script: its printed environment has no runner token, and the log has no secret
      const scripted = await runLadder({
        k6,
        plan: buildLadderPlan({ ...ladder(), levels: [1], requests: [], userScript: {} }),
        outDir: join(outRoot, 'secret-script'),
        userScriptPath: script,
        secrets: { LG_TEST_KEY: secret },
      });
      const log = await readFile(scripted.files.log, 'utf8');
      expect(log).toContain('the key is ***');
      expect(log).not.toContain(secret);
      const names = /env names: ([^"]*)/.exec(log)?.[1]?.split(' ') ?? [];
      expect(names).toContain('LOADGATE_BASE_URL');
      expect(names).toContain('LG_TEST_KEY');
      expect(names).not.toContain('INPUT_TOKEN');
      expect(names).not.toContain('ACTIONS_RUNTIME_TOKEN');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      resetSecretsForTests();
    }
  });

  it('stops k6 at the hard time limit', async () => {
    const plan = buildLadderPlan(ladder());
    const run = runLadder({ k6, plan, outDir: join(outRoot, 'limit'), timeLimitS: 2 });
    await expect(run).rejects.toBeInstanceOf(InfraError);
    await expect(run).rejects.toThrow(/ran past its time limit of 2 s/);
  });
});
