// What per-request samples cost: k6's CPU with and without `--out csv=….gz` on the same open-model
// ladder (same arrival rates, so the same number of requests), alternated ABAB; the size of the
// file; and the time loadgate takes to parse it.
//
//   flock /tmp/loadgate-engine.lock bash scripts/with-env.sh \
//     node --experimental-transform-types bench/detect-samples-cost.mjs [rates=200,800] [levelS=8] [reps=3]
//
// Loads 127.0.0.1 only (a server in this process answering in 2 ms); bounded in time by k6's plan.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLatencySamples } from '../src/baseline/samples.ts';
import { defaultLadderScriptPath, locateK6 } from '../src/load/k6.ts';
import { buildLadderPlan, LADDER_ENV } from '../src/load/plan.ts';

const rates = (process.argv[2] ?? '200,800').split(',').map(Number);
const levelS = Number(process.argv[3] ?? 8);
const reps = Number(process.argv[4] ?? 3);

const server = createServer((_req, res) => setTimeout(() => res.end('ok'), 2));
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const url = `http://127.0.0.1:${server.address().port}`;
const k6 = await locateK6();
const dir = await mkdtemp(join(tmpdir(), 'loadgate-samples-cost-'));

const plan = buildLadderPlan({
  baseUrl: url,
  model: 'open',
  levels: rates,
  levelDurationS: levelS,
  warmupS: 1,
  requestTimeoutMs: 1000,
  maxVUs: 50,
  requests: [
    { name: 'list', path: '/list', weight: 3 },
    { name: 'item', path: '/item', weight: 1 },
  ],
});
const planFile = join(dir, 'plan.json');
await writeFile(planFile, JSON.stringify(plan));

/** k6's user+system CPU seconds (GNU time), and the requests it sent. */
function runK6(samples) {
  const args = ['-f', '%U %S', k6.path, 'run', '--quiet', '--no-usage-report', '--no-color'];
  if (samples) args.push('--out', `csv=${samples}`);
  args.push(defaultLadderScriptPath());
  return new Promise((done, fail) => {
    const child = spawn('/usr/bin/time', args, {
      env: { ...process.env, [LADDER_ENV.plan]: planFile, [LADDER_ENV.summary]: join(dir, 'summary.json') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      const m = /(\d+\.\d+) (\d+\.\d+)\s*$/.exec(err.trim());
      if (code !== 0 || !m) return fail(new Error(`k6 exited ${code}: ${err.slice(-500)}`));
      done(Number(m[1]) + Number(m[2]));
    });
  });
}

const expected = rates.reduce((sum, r) => sum + r * levelS, 0);
const plain = [];
const csv = [];
let bytes = 0;
let parseMs = 0;
let parsed = 0;
try {
  for (let i = 0; i < reps; i++) {
    const order = i % 2 === 0 ? ['plain', 'csv'] : ['csv', 'plain'];
    for (const kind of order) {
      if (kind === 'plain') plain.push(await runK6(null));
      else {
        const file = join(dir, `samples-${i}.csv.gz`);
        csv.push(await runK6(file));
        bytes += (await stat(file)).size;
        const t0 = performance.now();
        const read = await readLatencySamples(file, plan);
        parseMs += performance.now() - t0;
        parsed += [...read.byCell.values()].reduce((n, v) => n + v.length, 0);
      }
    }
  }
} finally {
  server.closeAllConnections();
  server.close();
  await rm(dir, { recursive: true, force: true });
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  `k6 ${k6.version}; open model ${rates.join(', ')} req/s × ${levelS} s (+1 s warm-up each), ${reps} reps ABAB`,
);
console.log(
  `measured requests per run: ${expected} planned, ${Math.round(parsed / reps)} parsed from the CSV`,
);
console.log(
  `k6 CPU without samples: ${mean(plain).toFixed(2)} s (${plain.map((x) => x.toFixed(2)).join(', ')})`,
);
console.log(
  `k6 CPU with --out csv=….gz: ${mean(csv).toFixed(2)} s (${csv.map((x) => x.toFixed(2)).join(', ')})`,
);
console.log(
  `extra k6 CPU: ${(((mean(csv) - mean(plain)) / mean(plain)) * 100).toFixed(0)}%, ${(((mean(csv) - mean(plain)) / (parsed / reps)) * 1e6).toFixed(1)} µs per measured request`,
);
console.log(
  `file: ${(((bytes / reps / (parsed / reps)) * 1000) / 1024).toFixed(1)} KiB per 1000 requests (warm-ups included); parse: ${(parseMs / reps).toFixed(0)} ms per run, ${((parseMs / parsed) * 1000).toFixed(2)} µs per request`,
);
