// Records test/fixtures/k6/*: real k6 runs of the ladder against a local server, through the
// same runner loadgate uses (src/load/k6.ts), so the parser's tests read what k6 really writes.
//
//   node --experimental-transform-types scripts/record-k6-fixtures.mjs [name ...]
//
// Needs a supported k6 (LOADGATE_K6 or PATH). Loads 127.0.0.1 only; each run takes seconds.
// Each fixture is <name>.plan.json (the plan) and <name>.summary.json (handleSummary's data,
// re-indented). Timing-dependent numbers differ between recordings; their shape does not.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateK6, runLadder } from '../src/load/k6.ts';
import { buildLadderPlan } from '../src/load/plan.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'test/fixtures/k6');

/**
 * A small HTTP server: /fast, /slow (200 ms), /hang (never answers), /status/<code>, /flaky (500,
 * 429, 200, 200, ... in turn).
 */
export async function startFixtureServer() {
  let flaky = 0;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const reply = (status, delayMs = 0) =>
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end('ok\n');
      }, delayMs);
    if (path === '/fast') return reply(200, 2);
    if (path === '/slow') return reply(200, 200);
    if (path === '/hang') return undefined;
    if (path.startsWith('/status/')) return reply(Number(path.slice('/status/'.length)) || 500);
    if (path === '/flaky') {
      flaky += 1;
      return reply(flaky % 4 === 1 ? 500 : flaky % 4 === 2 ? 429 : 200);
    }
    return reply(404);
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(done);
      }),
  };
}

/** A port nothing listens on: bound, read, released. */
async function closedPort() {
  const probe = createServer();
  await new Promise((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address();
  await new Promise((done) => probe.close(done));
  return port;
}

const short = { levelDurationS: 2, warmupS: 1 };

const recordings = {
  // closed model, 3 levels, two weighted requests against a fast server
  'closed-3-levels': (url) => ({
    baseUrl: url,
    model: 'closed',
    levels: [1, 2, 4],
    ...short,
    requestTimeoutMs: 1000,
    requests: [
      { name: 'list', path: '/fast', weight: 3 },
      { name: 'item', path: '/fast?id=1', weight: 1 },
    ],
  }),
  // open model: 200 ms responses and 2 VUs can serve 10/s at most, so k6 drops iterations
  'open-dropped': (url) => ({
    baseUrl: url,
    model: 'open',
    levels: [5, 30],
    ...short,
    requestTimeoutMs: 1000,
    maxVUs: 2,
    requests: [{ name: 'slow', path: '/slow' }],
  }),
  // one request hangs: every one of it must be a timeout, the other none
  timeouts: (url) => ({
    baseUrl: url,
    model: 'closed',
    levels: [2, 4],
    ...short,
    requestTimeoutMs: 300,
    requests: [
      { name: 'fast', path: '/fast', weight: 3 },
      { name: 'hang', path: '/hang', weight: 1 },
    ],
  }),
  // 5xx, 4xx, a mix of both, and a refused connection
  errors: (url, refusedUrl) => ({
    baseUrl: url,
    model: 'closed',
    levels: [2, 4],
    ...short,
    requestTimeoutMs: 1000,
    requests: [
      { name: 'ok', path: '/fast', weight: 2 },
      { name: 'unavailable', path: '/status/503' },
      { name: 'missing', path: '/status/404' },
      { name: 'created', path: '/status/201', expectStatus: 201 },
      { name: 'flaky', path: '/flaky', weight: 2 },
      { name: 'refused', path: `${refusedUrl}/`, weight: 1 },
    ],
  }),
  // a user's own script, tagging its requests `req`; classified from k6's built-in metrics
  'user-script': (url) => ({
    baseUrl: url,
    model: 'closed',
    levels: [2, 3],
    ...short,
    requestTimeoutMs: 300,
    requests: [],
    userScript: { requestNames: ['home', 'broken', 'stuck'] },
  }),
  // the same script, results per level only
  'user-script-untagged': (url) => ({
    baseUrl: url,
    model: 'closed',
    levels: [2],
    ...short,
    requestTimeoutMs: 300,
    requests: [],
    userScript: {},
  }),
  // a user's script with thresholds of its own: one crossed (k6 exits 99), one held
  'user-script-thresholds': (url) => ({
    baseUrl: url,
    model: 'closed',
    levels: [2],
    ...short,
    requestTimeoutMs: 300,
    requests: [],
    userScript: { requestNames: ['home', 'broken', 'stuck'] },
  }),
  // the blocking detector's probe (idle and per level) and a recovery timeline, hanging requests included
  'probe-timeline': (url) => ({
    baseUrl: url,
    model: 'closed',
    levels: [1, 2],
    ...short,
    requestTimeoutMs: 300,
    phases: ['clean', 'recovery'],
    probe: { path: '/fast', ratePerS: 10, idleS: 1 },
    timelinePhases: ['recovery'],
    requests: [
      { name: 'fast', path: '/fast', weight: 3 },
      { name: 'hang', path: '/hang', weight: 1 },
    ],
  }),
  // the same through a user's own script: its iterations carry the time slice too
  'user-script-timeline': (url) => ({
    baseUrl: url,
    model: 'closed',
    levels: [2],
    ...short,
    requestTimeoutMs: 300,
    phases: ['clean', 'recovery'],
    probe: { path: '/fast', ratePerS: 10, idleS: 1 },
    timelinePhases: ['recovery'],
    requests: [],
    userScript: { requestNames: ['home', 'broken', 'stuck'] },
  }),
};

const USER_SCRIPT = `import http from 'k6/http';
const base = __ENV.FIXTURE_BASE_URL;
export default function () {
  http.get(base + '/fast', { tags: { req: 'home' } });
  if (Math.random() < 0.5) http.get(base + '/flaky', { tags: { req: 'broken' } });
  if (Math.random() < 0.2) http.get(base + '/hang', { tags: { req: 'stuck' }, timeout: '300ms' });
}
`;

// The same requests, with thresholds: the slow one can only be crossed, the other only held.
const USER_SCRIPT_THRESHOLDS = `${USER_SCRIPT}export const options = {
  thresholds: { 'http_req_duration{req:home}': ['p(95)<0.001'], http_reqs: ['count>0'] },
};
`;
const SCRIPTS = { 'user-script-thresholds': USER_SCRIPT_THRESHOLDS };

async function record(name, k6, server) {
  const input = recordings[name](server.url, `http://127.0.0.1:${await closedPort()}`);
  const plan = buildLadderPlan(input);
  const outDir = await mkdtemp(join(tmpdir(), `loadgate-fixture-${name}-`));
  try {
    let userScriptPath;
    if (input.userScript) {
      userScriptPath = join(outDir, 'user-script.js');
      await writeFile(userScriptPath, SCRIPTS[name] ?? USER_SCRIPT);
      process.env.FIXTURE_BASE_URL = server.url;
    }
    const run = await runLadder({ k6, plan, outDir, userScriptPath });
    const summary = JSON.parse(await readFile(run.files.summary, 'utf8'));
    await writeFile(join(fixtures, `${name}.plan.json`), `${JSON.stringify(plan, null, 2)}\n`);
    await writeFile(join(fixtures, `${name}.summary.json`), `${JSON.stringify(summary, null, 1)}\n`);
    const levels = run.levels.map(
      (l) => `L${l.level}: ${l.requests.map((r) => `${r.name}=${r.count}`).join(' ')}`,
    );
    console.log(`${name}: ${levels.join(' | ')}`);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(recordings);
const k6 = await locateK6();
console.log(`k6 ${k6.version} at ${k6.path}`);
const server = await startFixtureServer();
try {
  for (const name of names) {
    if (!recordings[name]) throw new Error(`no recording named ${name}`);
    await record(name, k6, server);
  }
} finally {
  await server.close();
}
