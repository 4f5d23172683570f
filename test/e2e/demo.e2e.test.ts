import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kneeLevelsOfResult, kneesOf } from '../../src/compare/knee.ts';
import { DEFAULT_POLICY } from '../../src/compare/policy.ts';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { type Result, ResultSchema } from '../../src/result/schema.ts';
import { repoRoot, runCli } from '../helpers/cli.ts';
import { dockerEngineName, dockerEnv, dockerLeftoversOf, onDocker } from '../helpers/dockerEngine.ts';

// The product as a user runs it: the bundled CLI on examples/demo (FastAPI + Postgres + an
// upstream), real containers and the real k6. Levels are short here; the README's demo
// command runs the config's own longer ladder.
const demoConfig = join(repoRoot, 'examples', 'demo', 'loadgate.yml');
const shortLevels = ['--set', 'load.levelDuration=4s', '--set', 'load.warmup=1s'];

function readResult(outDir: string): Result {
  return ResultSchema.parse(JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')));
}

describe('loadgate run on the demo', () => {
  const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-demo-'));
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

  it('prints a per-level table, writes result.json, report.md, k6 output and logs, and leaves nothing running', async () => {
    const out = join(outRoot, 'default');
    const run = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      out,
      ...shortLevels,
      '--set',
      'load.levels=[1,2,4,8]',
    ]);
    expect(run.exitCode, run.stderr).toBe(0);

    const result = readResult(out);
    expect(result.verdict).toBe('pass');
    expect(result.partial).toBe(false);
    expect(result.levels.map((l) => l.level)).toEqual([1, 2, 4, 8]);
    for (const level of result.levels) {
      expect(level.phase).toBe('clean');
      expect(level.requests.map((r) => r.name).sort()).toEqual(['health', 'items']);
      for (const request of level.requests) {
        expect(request.count).toBeGreaterThan(0);
        expect(request.throughputRps).toBeGreaterThan(0);
        expect(request.errorRate).toBe(0);
        expect(request.p50Ms).not.toBeNull();
        expect(request.p50Ms as number).toBeLessThanOrEqual(request.p95Ms as number);
        expect(request.p95Ms as number).toBeLessThanOrEqual(request.p99Ms as number);
      }
    }
    // The table on stdout has a row per level and request.
    for (const level of [1, 2, 4, 8]) {
      expect(run.stdout).toMatch(new RegExp(`clean\\s+${level}\\s+items`));
    }
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('PASS');
    // throughput grows almost linearly to 8 VUs here: the knee is not set by /health's jitter at 2
    const knee = kneesOf(kneeLevelsOfResult(result.levels), DEFAULT_POLICY.knee)[0];
    expect(knee?.beyondTop || (knee?.level ?? 0) >= 4, JSON.stringify(knee)).toBe(true);
    expect(report).toMatch(/Knee: (beyond 8 VUs|8 VUs|between 4 and 8 VUs|4 VUs)/);
    expect(report).toContain('```mermaid');
    for (const file of [result.files.k6Summary, result.files.k6Log, 'logs/service.log', 'logs/db.log']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    expect(readFileSync(join(out, 'logs/db.log'), 'utf8')).toContain(
      'database system is ready to accept connections',
    );
    expect(await listRunLeftovers(result.runId)).toEqual({ containers: 0, networks: 0 });
  });

  it('with a pool of 2, a p95 gate fails at the high levels and passes at the lowest, with reasons', async () => {
    const out = join(outRoot, 'pool2');
    const run = await runCli([
      'run',
      '--config',
      demoConfig,
      '--out',
      out,
      ...shortLevels,
      '--set',
      'load.levels=[1,2,4,8,12]',
      '--set',
      'service.env.DEMO_POOL_SIZE=2',
      '--set',
      'gate.thresholds=[{metric: p95, request: items, max: 200ms}]',
    ]);
    expect(run.exitCode, run.stderr).toBe(1);
    const result = readResult(out);
    expect(result.verdict).toBe('fail');
    const breachedLevels = result.gate.breaches.map((b) => b.level);
    expect(breachedLevels).not.toContain(1);
    expect(breachedLevels).toEqual(expect.arrayContaining([8, 12]));
    for (const breach of result.gate.breaches) {
      expect(breach.reason).toMatch(/^p95 of items at \d+ VUs \(clean\): \d+ ms > 200 ms limit$/);
    }
    // The summary line quotes the first reasons; the report lists them all.
    expect(run.stdout).toContain(result.gate.breaches[0]?.reason);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('FAIL');
    expect(report).toContain('p95 of items at 12 VUs');
    expect(await listRunLeftovers(result.runId)).toEqual({ containers: 0, networks: 0 });
  });
});

// GitHub's runners run Docker Engine, not Podman: the same run, reduced, on Docker Engine beside it.
describe.runIf(onDocker)('loadgate run on the demo, on Docker Engine', () => {
  const outRoot = mkdtempSync(join(tmpdir(), 'loadgate-demo-docker-'));
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

  it('builds, starts, loads and reports as on Podman, and leaves nothing in Docker', async () => {
    expect(dockerEngineName()).toMatch(/^Engine \d/);
    const out = join(outRoot, 'docker');
    const run = await runCli(
      [
        'run',
        '--config',
        demoConfig,
        '--out',
        out,
        '--set',
        'load.levelDuration=3s',
        '--set',
        'load.warmup=1s',
        '--set',
        'load.levels=[1,2]',
      ],
      { env: dockerEnv() },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const result = readResult(out);
    expect(result.verdict).toBe('pass');
    expect(result.levels.map((l) => l.level)).toEqual([1, 2]);
    for (const level of result.levels) {
      expect(level.requests.map((r) => r.name).sort()).toEqual(['health', 'items']);
      for (const request of level.requests) expect(request.errorRate).toBe(0);
    }
    expect(readFileSync(join(out, 'logs/db.log'), 'utf8')).toContain(
      'database system is ready to accept connections',
    );
    expect(await dockerLeftoversOf(result.runId)).toEqual({ containers: 0, networks: 0 });
  });
});
