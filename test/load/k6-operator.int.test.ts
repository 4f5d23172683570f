import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { writeK6OperatorRun } from '../../src/distributed/k6OperatorRun.ts';
import { runMerge } from '../../src/distributed/mergeRun.ts';
import { k6Segment } from '../../src/distributed/segments.ts';
import { type K6Binary, locateK6 } from '../../src/load/k6.ts';
import { ResultSchema } from '../../src/result/schema.ts';

// What k6-operator does with the TestRun `loadgate k6-operator` writes, played on this machine
// with the real k6 (no Kubernetes here): the ConfigMap's files are the script folder (/test),
// a temporary folder is the shared claim (/loadgate), each runner's env is the manifest's with
// $(VAR) expanded as the kubelet does, its command is the one k6-operator builds (execution
// segment, the TestRun's args, the script, --paused, its tags), and both are resumed at once
// through k6's REST API, as its starter does. Then `loadgate merge` reads the shared folder.
// Cost: two k6 runs of about 5 s, side by side.

const out = mkdtempSync(join(tmpdir(), 'loadgate-k6-operator-'));
const secret = '{"Authorization": "Bearer from-a-secret"}';
const seen = new Set<string | undefined>();
let server: Server;
let url: string;
let k6: K6Binary;

beforeAll(async () => {
  k6 = await locateK6();
  server = createServer((req, res) => {
    seen.add(req.headers.authorization);
    setTimeout(() => res.end('ok'), 3);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${portOf(server.address())}`;
});
afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  rmSync(out, { recursive: true, force: true });
});

function portOf(address: ReturnType<Server['address']>): number {
  return typeof address === 'object' && address ? address.port : 0;
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  const port = portOf(s.address());
  await new Promise<void>((done) => s.close(() => done()));
  return port;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}

describe("k6-operator's runners, played here", () => {
  it('leave parts in the shared volume that loadgate merge makes one run', async () => {
    const config = join(out, 'loadgate.json');
    writeFileSync(
      config,
      JSON.stringify({
        version: 1,
        target: { url, headers: { Authorization: 'Bearer from-a-secret' } },
        load: {
          model: 'open',
          levels: [6, 12],
          levelDuration: '2s',
          warmup: '0s',
          requestTimeout: '1s',
          probe: { path: '/health', rate: 2, idle: '1s' },
          requests: [{ name: 'home', path: '/' }],
        },
      }),
    );
    const written = await writeK6OperatorRun({
      configPath: config,
      overrides: [],
      outDir: join(out, 'k8s'),
      name: 'lg',
      parallelism: 2,
      volumeClaim: 'parts',
    });
    const [configMap, testRun] = parseAllDocuments(readFileSync(written.path, 'utf8')).map((d) => d.toJS());
    const scriptDir = join(out, 'test');
    const volume = join(out, 'volume');
    mkdirSync(scriptDir);
    mkdirSync(volume);
    for (const [name, text] of Object.entries(configMap.data as Record<string, string>))
      writeFileSync(join(scriptDir, name), text);
    // the mounts: /test is the ConfigMap, /loadgate the claim
    const mounted = (text: string) =>
      text.replaceAll('/test/', `${scriptDir}/`).replaceAll('/loadgate/', `${volume}/`);

    const runners = [1, 2].map(async (index) => {
      const job = `lg-${index}`;
      const env: Record<string, string> = {};
      for (const v of testRun.spec.runner.env as EnvVar[]) {
        if (v.valueFrom?.fieldRef)
          env[v.name] = job; // metadata.labels['job-name']
        else if (v.valueFrom?.secretKeyRef) env[v.name] = secret;
        else
          env[v.name] = mounted(
            (v.value ?? '').replace(/\$\((\w+)\)/g, (_, name: string) => env[name] ?? ''),
          );
      }
      const args = (testRun.spec.args as string[]).map((a) => mounted(a.replace('$(LOADGATE_RUNNER)', job)));
      const { executionSegment, executionSegmentSequence } = k6Segment({ index, count: 2 });
      const port = await freePort();
      const child = spawn(
        k6.path,
        [
          'run',
          '--quiet',
          `--execution-segment=${executionSegment}`,
          `--execution-segment-sequence=${executionSegmentSequence}`,
          ...args,
          join(scriptDir, testRun.spec.script.configMap.file),
          `--address=127.0.0.1:${port}`,
          '--paused',
          '--tag',
          `instance_id=${index}`,
          '--tag',
          'testrun_name=lg',
        ],
        { env: { PATH: process.env.PATH ?? '', HOME: out, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      const exited = new Promise<number | null>((done) => child.on('close', done));
      return { port, exited, stderr: () => stderr };
    });
    const started = await Promise.all(runners);
    // the starter: once every runner answers, resume them all
    const resume = async (port: number) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/v1/status`, {
            method: 'PATCH',
            body: JSON.stringify({ data: { type: 'status', id: 'default', attributes: { paused: false } } }),
          });
          if (res.ok) return;
        } catch {
          // not up yet
        }
        await new Promise((done) => setTimeout(done, 50));
      }
      throw new Error(`runner on ${port} never answered`);
    };
    await Promise.all(started.map((r) => resume(r.port)));
    for (const r of started) expect(await r.exited, r.stderr()).toBe(0);

    expect(readdirSync(volume).sort()).toEqual([
      'lg-1-k6-samples.csv.gz',
      'lg-1-k6-summary.json',
      'lg-1-part.json',
      'lg-2-k6-samples.csv.gz',
      'lg-2-k6-summary.json',
      'lg-2-part.json',
    ]);
    const outcome = await runMerge({
      configPath: config,
      overrides: [],
      partDirs: [volume],
      outDir: join(out, 'merged'),
      progress: { step() {}, load() {}, warn() {} },
      expectedCount: 2,
    });
    const result = ResultSchema.parse(outcome.result);
    expect(result.merged?.partialReasons).toEqual([]);
    expect(result.merged?.parts.map((p) => [p.segment, p.runId, p.used])).toEqual([
      ['1/2', 'lg-1', true],
      ['2/2', 'lg-2', true],
    ]);
    expect(result.verdict).toBe('pass');
    expect(result.k6Version).toBe(k6.version);
    // 6/s and 12/s for 2 s: one k6 starts R·D or R·D + 1 iterations; the two runners' shares add up to it
    result.levels.forEach((level, i) => {
      const total = (level.requests[0]?.count ?? 0) + level.droppedIterations;
      expect(total).toBeGreaterThanOrEqual([12, 24][i] as number);
      expect(total).toBeLessThanOrEqual(([12, 24][i] as number) + 1);
    });
    // the Secret's headers reached the target, on the requests and the probes
    expect(seen).toEqual(new Set(['Bearer from-a-secret']));
  });
});
