import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { slotVariant } from '../../src/compare/paired.ts';
import { PRIMING_S } from '../../src/compare/pairedRun.ts';
import { runSlot, type SlotLoad, startCanary } from '../../src/compare/slots.ts';
import { sortedQuantile } from '../../src/compare/stats.ts';
import { referableContainers } from '../../src/config/faults.ts';
import { readConfig } from '../../src/config/read.ts';
import { networkAddresses } from '../../src/config/refs.ts';
import { requireService } from '../../src/config/target.ts';
import { checkEngine, RunContainers } from '../../src/containers/environment.ts';
import { serviceAddresses } from '../../src/faults/setup.ts';
import { locateK6 } from '../../src/load/k6.ts';
import { containerSpec, startDependencies } from '../../src/run.ts';
import { takeEngineLock } from './lock.ts';
import { type Pool, poolFromJson, poolToJson, type RecordedBlock } from './pool.ts';
import { CONTAINERS, type ServiceName, VARIANTS, type VariantSpec } from './variants.ts';

/** Each service's stack and load: bench/detect-<service>.yml. */
export const RATES: Record<ServiceName, number> = { demo: 60, articles: 100 };

/**
 * Records `blocks` ABBA blocks of each variant (interleaved, in a rotating order) on one stack,
 * appending each block to `<poolDir>/<variant>.json` as soon as it ran. The engine lock is taken
 * for the stack's start and then per block, so others' tests run between blocks.
 */
export async function record(options: {
  root: string;
  service: ServiceName;
  variants: string[];
  blocks: number;
  poolDir: string;
  slotS: number;
  warmupS: number;
  stopping: () => boolean;
}): Promise<void> {
  const { root, service } = options;
  const configPath = join(root, 'bench', `detect-${service}.yml`);
  const rate = RATES[service];
  const out = join(root, 'out', 'bench-detect');
  await mkdir(options.poolDir, { recursive: true });
  await mkdir(out, { recursive: true });
  const pools = new Map<string, Pool>();
  for (const name of options.variants) {
    const file = join(options.poolDir, `${name}.json`);
    const existing = await readFile(file, 'utf8').then(poolFromJson, () => null);
    if (existing && (existing.rate !== rate || existing.slotS !== options.slotS)) {
      throw new Error(
        `${file} was recorded at ${existing.rate} req/s, ${existing.slotS} s slots: not appending`,
      );
    }
    pools.set(
      name,
      existing ?? {
        variant: name,
        rate,
        slotS: options.slotS,
        warmupS: options.warmupS,
        startupS: [],
        blocks: [],
      },
    );
  }
  const needed = [
    ...new Set(options.variants.flatMap((n) => [VARIANTS[n]?.base, VARIANTS[n]?.candidate])),
  ] as string[];

  let release = await takeEngineLock();
  try {
    const loaded = await readConfig(configPath, []);
    await checkEngine();
    const k6 = await locateK6();
    const runId = `bench-detect-${randomBytes(3).toString('hex')}`;
    await using containers = await RunContainers.create({ runId, logsDir: join(out, 'logs') });
    const t0 = performance.now();
    const { config } = loaded;
    const addresses = networkAddresses(requireService(config, 'bench:detect'), referableContainers(config));
    await startDependencies(containers, config, loaded.configDir, addresses);
    const started = new Map<string, { url: string; id: string }>();
    for (const name of needed) {
      const svc = requireService(
        (await readConfig(configPath, CONTAINERS[service][name] ?? [])).config,
        'bench:detect',
      );
      const c = await containers.start(
        containerSpec(
          `svc-${name}`,
          svc,
          [svc.port],
          serviceAddresses(addresses, undefined),
          loaded.configDir,
        ),
      );
      started.set(name, { url: `http://127.0.0.1:${c.hostPorts.get(svc.port)}`, id: c.id });
    }
    const canary = await startCanary();
    const load: SlotLoad = {
      rate,
      slotS: options.slotS,
      warmupS: options.warmupS,
      requestTimeoutMs: config.load.requestTimeoutMs,
      requests: config.load.requests.map((r) => ({ name: r.name, path: r.path, weight: r.weight })),
    };
    try {
      // freshly started services are slow at first: one unmeasured slot on each, as paired runs do
      for (const [name, c] of started) {
        console.log(`priming ${name}`);
        await runSlot({
          k6,
          baseUrl: c.url,
          canaryUrl: canary.url,
          slot: { block: -1, position: 0, variant: 'base' },
          load: { ...load, slotS: PRIMING_S },
          outDir: join(out, 'priming', name),
        });
      }
      const startupS = (performance.now() - t0) / 1000;
      for (const pool of pools.values()) pool.startupS.push(startupS);
      console.log(`stack up and primed in ${startupS.toFixed(0)} s`);
      await release();
      release = async () => {};
      for (let round = 0; round < options.blocks && !options.stopping(); round++) {
        const order = options.variants.map(
          (_, i) => options.variants[(i + round) % options.variants.length] as string,
        );
        for (const name of order) {
          if (options.stopping()) break;
          const spec = VARIANTS[name] as VariantSpec;
          const pool = pools.get(name) as Pool;
          release = await takeEngineLock();
          const block = await recordBlock({
            spec,
            parity: pool.blocks.length,
            k6,
            canaryUrl: canary.url,
            load,
            started,
            outDir: join(out, 'slots', name, `${pool.blocks.length}`),
          });
          await release();
          release = async () => {};
          pool.blocks.push(block);
          await writeFile(join(options.poolDir, `${name}.json`), poolToJson(pool));
          console.log(`${name}: block ${pool.blocks.length} ${blockLine(block, spec.request)}`);
        }
      }
    } finally {
      await canary.close();
    }
  } finally {
    await release();
  }
}

async function recordBlock(o: {
  spec: VariantSpec;
  parity: number;
  k6: Awaited<ReturnType<typeof locateK6>>;
  canaryUrl: string;
  load: SlotLoad;
  started: Map<string, { url: string; id: string }>;
  outDir: string;
}): Promise<RecordedBlock> {
  const block: RecordedBlock = { at: new Date().toISOString(), slots: [] };
  for (let position = 0; position < 4; position++) {
    const variant = slotVariant(o.parity, position);
    const target = o.started.get(variant === 'base' ? o.spec.base : o.spec.candidate) as {
      url: string;
      id: string;
    };
    const hog = o.spec.hog && variant === 'candidate' ? startHog() : null;
    try {
      const cpu0 = await containerCpuMs(target.id);
      const t = performance.now();
      const slot = await runSlot({
        k6: o.k6,
        baseUrl: target.url,
        canaryUrl: o.canaryUrl,
        slot: { block: 0, position, variant },
        load: o.load,
        outDir: o.outDir,
      });
      const wallS = (performance.now() - t) / 1000;
      const cpu1 = await containerCpuMs(target.id);
      block.slots.push({
        ...slot,
        cpuMs: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null,
        wallS,
      });
    } finally {
      hog?.kill('SIGKILL');
    }
  }
  return block;
}

/** A busy loop on one core: a neighbour on the runner. */
function startHog(): ChildProcess {
  return spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
}

/** The container's CPU time so far (the engine's stats), ms; null when the engine does not say. */
async function containerCpuMs(id: string): Promise<number | null> {
  const socket = (process.env.DOCKER_HOST ?? 'unix:///run/podman/podman.sock').replace(/^unix:\/\//, '');
  return new Promise((resolve) => {
    const req = request(
      { socketPath: socket, path: `/containers/${id}/stats?stream=false`, timeout: 10_000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => {
          try {
            const ns = (JSON.parse(body) as { cpu_stats?: { cpu_usage?: { total_usage?: number } } })
              .cpu_stats?.cpu_usage?.total_usage;
            resolve(typeof ns === 'number' ? ns / 1e6 : null);
          } catch {
            resolve(null);
          }
        });
      },
    );
    req.on('error', () => resolve(null));
    req.on('timeout', () => {
      req.destroy();
      resolve(null);
    });
    req.end();
  });
}

function blockLine(block: RecordedBlock, request: string): string {
  return block.slots
    .map((s) => {
      const r = s.requests.find((x) => x.name === request);
      const p50 = r ? sortedQuantile(r.samples, 0.5) : null;
      const cpu =
        s.cpuMs !== null && r && r.count > 0 ? ` ${((s.cpuMs / r.count) * 1000).toFixed(0)} µs CPU/req` : '';
      return `${s.variant[0]}:${p50?.toFixed(2) ?? '—'} ms${r?.errors ? ` ${r.errors} err` : ''}${cpu}${s.invalidReason ? ' (invalid)' : ''}`;
    })
    .join(' ');
}
