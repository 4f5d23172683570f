import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  type CreatedProxy,
  type StartedToxiProxyContainer,
  ToxiProxyContainer,
} from '@testcontainers/toxiproxy';
import type { ContainerAddress } from '../config/refs.ts';
import { TOXIPROXY_ALIAS } from '../config/schema.ts';
import { engineCall } from '../containers/engineCall.ts';
import { CONTAINER_LABEL, networkName, runLabels } from '../containers/labels.ts';
import { DEADLINES_MS, withDeadline } from '../deadline.ts';
import { errorMessage, InfraError } from '../errors.ts';
import { PINNED_TOOLS } from '../version.ts';
import type { ProxyState } from './toxics.ts';

/** Environment variable naming another Toxiproxy image than the pinned one. */
export const TOXIPROXY_IMAGE_ENV = 'LOADGATE_TOXIPROXY_IMAGE';
/** The Testcontainers module publishes 32 proxy ports (8666..8697): at most this many proxies. */
export const MAX_PROXIES = 32;
/** Toxiproxy's API answers at once: a call that hangs means the container is gone or stuck. */
const TOXIPROXY_API_MS = 30_000;

/** The Toxiproxy image to run: LOADGATE_TOXIPROXY_IMAGE, else the pinned official one. */
export function toxiproxyImage(env: NodeJS.ProcessEnv = process.env): string {
  return env[TOXIPROXY_IMAGE_ENV] || `ghcr.io/shopify/toxiproxy:${PINNED_TOOLS.toxiproxy.replace(/^v/, '')}`;
}

/** Something to put behind a proxy: its name, and where it really listens on the run's network. */
export interface ProxyTarget {
  name: string;
  host: string;
  port: number;
}

/**
 * The run's Toxiproxy (the Testcontainers Toxiproxy module), on the run's network under the alias
 * TOXIPROXY_ALIAS and labelled with the run's id, with one proxy per target. Other containers
 * reach a target through `addresses[name]`. Disposing it removes the container; the run's
 * label-based cleanup removes it too if anything went wrong before.
 */
export class FaultProxy implements AsyncDisposable {
  private constructor(
    private readonly container: StartedToxiProxyContainer,
    private readonly proxies: Map<string, CreatedProxy>,
    /** name → where other containers on the network reach it through its proxy */
    readonly addresses: Readonly<Record<string, ContainerAddress>>,
    /** name → where this machine reaches it through its proxy (127.0.0.1 and a mapped port) */
    readonly hostAddresses: Readonly<Record<string, { host: string; port: number }>>,
  ) {}

  /**
   * Starts Toxiproxy and creates a proxy for each target. Toxiproxy resolves a target's name when
   * a connection comes, so the targets may start afterwards.
   */
  static async start(options: {
    runId: string;
    logsDir: string;
    targets: readonly ProxyTarget[];
  }): Promise<FaultProxy> {
    const { targets } = options;
    if (targets.length > MAX_PROXIES)
      throw new InfraError(
        `${targets.length} proxies asked for; Toxiproxy here serves at most ${MAX_PROXIES}`,
      );
    const image = toxiproxyImage();
    const log = createWriteStream(join(options.logsDir, `${TOXIPROXY_ALIAS}.log`), { flags: 'a' });
    let container: StartedToxiProxyContainer;
    try {
      const configured = new ToxiProxyContainer(image)
        .withNetworkMode(networkName(options.runId))
        .withNetworkAliases(TOXIPROXY_ALIAS)
        .withLabels({ ...runLabels(options.runId), [CONTAINER_LABEL]: TOXIPROXY_ALIAS })
        .withLogConsumer((stream: Readable) => stream.pipe(log));
      container = await engineCall('starting Toxiproxy', () => configured.start(), DEADLINES_MS.imagePull);
    } catch (error) {
      throw new InfraError(
        `Toxiproxy (${image}) did not start: ${errorMessage(error)}; set ${TOXIPROXY_IMAGE_ENV} to use another image`,
        { cause: error },
      );
    }
    const proxies = new Map<string, CreatedProxy>();
    const addresses: Record<string, ContainerAddress> = {};
    const hostAddresses: Record<string, { host: string; port: number }> = {};
    const fault = new FaultProxy(container, proxies, addresses, hostAddresses);
    try {
      for (const target of targets) {
        const upstream = `${target.host}:${target.port}`;
        const created = await withDeadline(
          `creating the proxy ${target.name} in Toxiproxy`,
          TOXIPROXY_API_MS,
          () => container.createProxy({ name: target.name, upstream }),
        );
        proxies.set(target.name, created);
        const listenPort = Number(
          created.instance.listen.slice(created.instance.listen.lastIndexOf(':') + 1),
        );
        addresses[target.name] = { host: TOXIPROXY_ALIAS, port: listenPort };
        hostAddresses[target.name] = { host: created.host, port: created.port };
      }
    } catch (error) {
      await fault[Symbol.asyncDispose]().catch(() => {});
      throw new InfraError(`Toxiproxy refused a proxy: ${errorMessage(error)}`, { cause: error });
    }
    return fault;
  }

  /** Puts every proxy into its state: all toxics removed and every proxy enabled, then the states' toxics. */
  async apply(states: ReadonlyMap<string, ProxyState>): Promise<void> {
    try {
      await withDeadline("setting the phase's toxics in Toxiproxy", TOXIPROXY_API_MS, async () => {
        await this.container.client.reset();
        for (const [name, state] of states) {
          const entry = this.proxies.get(name);
          if (!entry) throw new InfraError(`no proxy named ${name}`);
          if (!state.enabled) await entry.setEnabled(false);
          for (const toxic of state.toxics) await entry.instance.addToxic(toxic);
        }
      });
    } catch (error) {
      if (error instanceof InfraError) throw error;
      throw new InfraError(`Toxiproxy did not take the phase's toxics: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  /** Each proxy as Toxiproxy's API reports it, toxics included (for tests and diagnostics). */
  async describe(): Promise<
    Record<string, { enabled: boolean; toxics: { type: string; attributes: unknown }[] }>
  > {
    const res = await fetch(`${this.container.client.host}/proxies`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new InfraError(`Toxiproxy answered ${res.status} listing its proxies`);
    return (await res.json()) as Record<
      string,
      { enabled: boolean; toxics: { type: string; attributes: unknown }[] }
    >;
  }

  /** Removes the container; one already gone (a cancelled run is removed by its label) is fine. */
  async [Symbol.asyncDispose](): Promise<void> {
    await engineCall('stopping Toxiproxy', () => this.container.stop({ timeout: 2_000, remove: true })).catch(
      () => {},
    );
  }
}
