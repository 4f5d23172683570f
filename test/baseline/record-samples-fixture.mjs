// Records test/baseline/fixtures/*: real k6 runs of the ladder with per-request samples
// (`--out csv=….gz`), through the runner loadgate uses, so the samples parser's tests read what
// k6 really writes.
//
//   node --experimental-transform-types test/baseline/record-samples-fixture.mjs
//
// Needs a supported k6 (LOADGATE_K6 or PATH). Loads 127.0.0.1 only; each run takes seconds.
// Each fixture is <name>.plan.json, <name>.summary.json (handleSummary's data) and
// <name>.samples.csv.gz (k6's CSV output, every metric, as written).
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateK6, runLadder } from '../../src/load/k6.ts';
import { buildLadderPlan } from '../../src/load/plan.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

// /fast answers in 10 ms, /hang never (the request times out), /fail with a 503.
const server = createServer((req, res) => {
  if (req.url === '/hang') return;
  setTimeout(() => {
    res.writeHead(req.url === '/fail' ? 503 : 200);
    res.end('ok');
  }, 10);
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const url = `http://127.0.0.1:${server.address().port}`;

const USER_SCRIPT = `import http from 'k6/http';
export default function () { http.get(__ENV.FIXTURE_BASE_URL + '/fast', { timeout: '300ms' }); }
`;

const recordings = {
  // two phases, two levels, three requests: one fast, one timing out, one failing; warm-ups
  ladder: {
    baseUrl: url,
    model: 'closed',
    levels: [1, 2],
    levelDurationS: 2,
    warmupS: 1,
    requestTimeoutMs: 200,
    phases: ['clean', 'again'],
    requests: [
      { name: 'fast', path: '/fast', weight: 4 },
      { name: 'hang', path: '/hang', weight: 1 },
      { name: 'fail', path: '/fail', weight: 1 },
    ],
  },
  // a user's script without request names: one slice per level
  'user-untagged': {
    baseUrl: url,
    model: 'closed',
    levels: [2],
    levelDurationS: 2,
    warmupS: 1,
    requestTimeoutMs: 300,
    requests: [],
    userScript: {},
  },
};

const k6 = await locateK6();
console.log(`k6 ${k6.version} at ${k6.path}`);
try {
  for (const [name, input] of Object.entries(recordings)) {
    const plan = buildLadderPlan(input);
    const outDir = await mkdtemp(join(tmpdir(), `loadgate-samples-${name}-`));
    try {
      let userScriptPath;
      if (input.userScript) {
        userScriptPath = join(outDir, 'user-script.js');
        await writeFile(userScriptPath, USER_SCRIPT);
        process.env.FIXTURE_BASE_URL = url;
      }
      const samplesPath = join(outDir, 'samples.csv.gz');
      const run = await runLadder({ k6, plan, outDir, userScriptPath, samplesPath });
      const summary = JSON.parse(await readFile(run.files.summary, 'utf8'));
      await writeFile(join(fixtures, `${name}.plan.json`), `${JSON.stringify(plan, null, 2)}\n`);
      await writeFile(join(fixtures, `${name}.summary.json`), `${JSON.stringify(summary, null, 1)}\n`);
      await copyFile(samplesPath, join(fixtures, `${name}.samples.csv.gz`));
      const counts = run.levels.map(
        (l) => `${l.phase}/${l.level}: ${l.requests.map((r) => `${r.name}=${r.count}`).join(' ')}`,
      );
      console.log(`${name}: ${counts.join(' | ')}`);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }
} finally {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}
