import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { ToxiProxyContainer } from '@testcontainers/toxiproxy';
import { GenericContainer, Network, Wait } from 'testcontainers';
import { afterAll, describe, expect, it } from 'vitest';
import { localImageTag } from '../../src/containers/environment.ts';
import { networkName, runLabels } from '../../src/containers/labels.ts';
import { listRunLeftovers, removeRunLeftovers } from '../../src/containers/leftovers.ts';
import { type K6Binary, locateK6, runLadder } from '../../src/load/k6.ts';
import { buildLadderPlan } from '../../src/load/plan.ts';
import type { RequestResult } from '../../src/result/schema.ts';
import { PINNED_TOOLS } from '../../src/version.ts';

// The whole stack with the real components, as issue 3 asks: @testcontainers/postgresql starts
// our postgres:15 unchanged (its health-check wait works here because the bootstrap's loop runs
// HEALTHCHECKs for Podman), the demo service talks to it over a shared network, Toxiproxy sits
// in front of the demo, and the real k6 drives bounded load (1 VU, a few seconds) through the
// proxy's port on 127.0.0.1, once clean and once with a 200 ms latency toxic.
// Cost: about 30 s (Postgres' first boot, the demo's start-up, two k6 runs of about 7 s).

const runId = `smoke-${randomBytes(3).toString('hex')}`;
const demoContext = resolve(import.meta.dirname, '../../examples/demo');
const toxiproxyImage = `ghcr.io/shopify/toxiproxy:${PINNED_TOOLS.toxiproxy.replace(/^v/, '')}`;
const postgresImage = `postgres:${PINNED_TOOLS.postgres}`;
const TOXIC_LATENCY_MS = 200;

afterAll(async () => {
  // The safety net under `await using`: whatever a failed start left carries the run's label.
  await removeRunLeftovers(runId);
});

describe('the stack end to end', () => {
  it('k6 through Toxiproxy to the demo on Postgres sees a 200 ms latency toxic', async () => {
    const k6 = await locateK6();
    const outRoot = await mkdtemp(join(tmpdir(), 'loadgate-smoke-'));
    try {
      {
        await using network = await new Network({ nextUuid: () => networkName(runId) }).start();
        await using postgres = await new PostgreSqlContainer(postgresImage)
          .withNetwork(network)
          .withNetworkAliases('db')
          .withLabels(runLabels(runId))
          .start();
        await expectOfficialPostgresContract(postgres, network.getName());

        // The image `loadgate run` builds for the demo's service (same tag, shared cache).
        const build = { context: demoContext, dockerfile: 'Dockerfile', args: {} };
        const demoImage = await GenericContainer.fromDockerfile(build.context, build.dockerfile)
          .withCache(true)
          .build(localImageTag(build), { deleteOnExit: false });
        const dbUrl = `postgresql+asyncpg://${postgres.getUsername()}:${postgres.getPassword()}@db:5432/${postgres.getDatabase()}`;
        await using _demo = await demoImage
          .withNetwork(network)
          .withNetworkAliases('demo')
          .withLabels(runLabels(runId))
          .withEnvironment({ DATABASE_URL: dbUrl, DEMO_POOL_SIZE: '2' })
          // Podman reports every EXPOSEd port as a binding: publish both (8080 is upstream mode's).
          .withExposedPorts(8000, 8080)
          .withWaitStrategy(Wait.forHttp('/health', 8000))
          .withStartupTimeout(90_000)
          .start();

        await using toxiproxy = await new ToxiProxyContainer(toxiproxyImage)
          .withNetwork(network)
          .withLabels(runLabels(runId))
          .start();
        const proxy = await toxiproxy.createProxy({ name: 'demo', upstream: 'demo:8000' });
        const baseUrl = `http://127.0.0.1:${proxy.port}`;

        // One request by hand: the demo answered from Postgres through the proxy.
        const response = await fetch(`${baseUrl}/items`, { signal: AbortSignal.timeout(5_000) });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { items: { id: number; name: string }[] };
        expect(body.items).toHaveLength(10);
        expect(body.items[0]?.name).toBe(`item-${body.items[0]?.id}`);
        // The demo seeded its table through the network: psql inside Postgres sees it.
        expect(await psql(postgres, 'SELECT count(*) FROM demo_items')).toBe('100');

        const clean = await itemsAtOneVu(k6, baseUrl, join(outRoot, 'clean'));
        await proxy.instance.addToxic({
          name: 'latency',
          type: 'latency',
          stream: 'downstream',
          toxicity: 1,
          attributes: { latency: TOXIC_LATENCY_MS, jitter: 0 },
        });
        const slowed = await itemsAtOneVu(k6, baseUrl, join(outRoot, 'toxic'));

        for (const result of [clean, slowed]) {
          expect(result.count).toBeGreaterThan(0);
          expect(result.errorRate).toBe(0);
        }
        // A behaviour check, not a benchmark: the toxic's 200 ms shows in k6's own median.
        const addedMs = (slowed.p50Ms ?? Number.NaN) - (clean.p50Ms ?? Number.NaN);
        console.info(
          `smoke: p50 ${clean.p50Ms?.toFixed(1)} ms clean (${clean.count} requests), ${slowed.p50Ms?.toFixed(1)} ms with the toxic (${slowed.count})`,
        );
        expect(addedMs, `p50 ${clean.p50Ms} ms clean, ${slowed.p50Ms} ms with the toxic`).toBeGreaterThan(
          150,
        );
        expect(addedMs).toBeLessThan(400);
        // at 1 VU, slower answers mean fewer of them in the same time
        expect(slowed.count).toBeLessThan(clean.count);
      }
      expect(await listRunLeftovers(runId)).toEqual({ containers: 0, networks: 0 });
    } finally {
      await rm(outRoot, { recursive: true, force: true });
    }
  });
});

/** One short closed-model level at 1 VU on /items; k6's result for it. */
async function itemsAtOneVu(k6: K6Binary, baseUrl: string, outDir: string): Promise<RequestResult> {
  const plan = buildLadderPlan({
    baseUrl,
    model: 'closed',
    levels: [1],
    levelDurationS: 4,
    warmupS: 1,
    requestTimeoutMs: 2_000,
    requests: [{ name: 'items', path: '/items' }],
  });
  const run = await runLadder({ k6, plan, outDir });
  expect(run.cancelled).toBe(false);
  const result = run.levels[0]?.requests[0];
  if (!result) throw new Error(`k6 returned no result for /items (${run.files.summary})`);
  return result;
}

/** The official image's contract: POSTGRES_USER/PASSWORD/DB made the role, its password and the database. */
async function expectOfficialPostgresContract(
  postgres: StartedPostgreSqlContainer,
  networkName: string,
): Promise<void> {
  expect(await psql(postgres, "SELECT current_user || '@' || current_database()")).toBe(
    `${postgres.getUsername()}@${postgres.getDatabase()}`,
  );
  // Over the network, as other containers connect (like the official image, it trusts loopback).
  const address = postgres.getIpAddress(networkName);
  const overTcp = (password: string) =>
    postgres.exec(
      ['psql', '-h', address, '-U', postgres.getUsername(), '-d', postgres.getDatabase(), '-tAc', 'SELECT 1'],
      { env: { PGPASSWORD: password } },
    );
  const right = await overTcp(postgres.getPassword());
  expect(right.output.trim()).toBe('1');
  const wrong = await overTcp('not-the-password');
  expect(wrong.exitCode).not.toBe(0);
  expect(wrong.output).toContain('password authentication failed');
}

async function psql(postgres: StartedPostgreSqlContainer, sql: string): Promise<string> {
  const result = await postgres.exec([
    'psql',
    '-v',
    'ON_ERROR_STOP=1',
    '-U',
    postgres.getUsername(),
    '-d',
    postgres.getDatabase(),
    '-tAc',
    sql,
  ]);
  expect(result.exitCode, result.output).toBe(0);
  return result.stdout.trim();
}
