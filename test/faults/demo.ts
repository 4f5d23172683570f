// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name.host} is the config's own reference syntax
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type Result, ResultSchema } from '../../src/result/schema.ts';
import { type RunOutcome, runLoadgate } from '../../src/run.ts';

/**
 * The demo (examples/demo: FastAPI, an asyncpg pool of 10, Postgres) as the fault tests drive
 * it: one image for the service and its upstream, built once by tag and reused from the cache.
 */
export const demoDir = join(import.meta.dirname, '..', '..', 'examples', 'demo');

export const UPSTREAM_COMMAND = [
  'python3',
  '-m',
  'uvicorn',
  'upstream:app',
  '--host',
  '0.0.0.0',
  '--port',
  '8080',
  '--no-access-log',
];

export const POSTGRES = {
  image: 'postgres:15',
  ports: [5432],
  env: { POSTGRES_USER: 'demo', POSTGRES_PASSWORD: 'demo', POSTGRES_DB: 'demo' },
  wait: { log: 'database system is ready to accept connections', times: 2 },
  startupTimeout: '60s',
};

/** The demo's fake upstream as a container: `latencyMs` per /quote. */
export function demoUpstream(latencyMs: number) {
  return {
    build: { context: demoDir },
    command: UPSTREAM_COMMAND,
    ports: [8080],
    env: { UPSTREAM_LATENCY_MS: String(latencyMs) },
    wait: { http: '/health' },
    startupTimeout: '60s',
  };
}

/** The demo service calling `${upstream}` for /quote, with extra env switches. */
export function demoService(upstream: string | null, env: Record<string, string> = {}) {
  return {
    build: { context: demoDir },
    port: 8000,
    env: {
      DATABASE_URL: 'postgresql+asyncpg://demo:demo@${db.host}:${db.port}/demo',
      ...(upstream ? { DEMO_UPSTREAM_URL: `http://\${${upstream}.host}:\${${upstream}.port}/quote` } : {}),
      ...env,
    },
    wait: { http: '/health' },
    startupTimeout: '90s',
  };
}

export interface DemoRun {
  outcome: RunOutcome;
  result: Result;
  report: string;
  steps: string[];
  warnings: string[];
}

/** Writes `config` as YAML into `dir` and runs loadgate on it, end to end. */
export async function runConfig(dir: string, config: Record<string, unknown>): Promise<DemoRun> {
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'loadgate.yml');
  writeFileSync(configPath, stringify({ version: 1, ...config }));
  const steps: string[] = [];
  const warnings: string[] = [];
  const outcome = await runLoadgate({
    configPath,
    outDir: join(dir, 'out'),
    overrides: [],
    progress: { step: (m) => steps.push(m), load() {}, warn: (m) => warnings.push(m) },
  });
  const result = ResultSchema.parse(JSON.parse(readFileSync(outcome.resultPath, 'utf8')));
  return { outcome, result, report: readFileSync(outcome.reportPath, 'utf8'), steps, warnings };
}

/** One request's result at one phase and level. */
export function at(result: Result, phase: string, level: number, request = 'items') {
  const found = result.levels.find((l) => l.phase === phase && l.level === level);
  const r = found?.requests.find((x) => x.name === request);
  if (!found || !r) throw new Error(`no ${request} at ${phase} level ${level}`);
  return { level: found, request: r };
}
