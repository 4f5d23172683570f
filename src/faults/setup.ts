import { proxiedNames, type ReferableContainer } from '../config/faults.ts';
import type { ContainerAddress } from '../config/refs.ts';
import { type LoadgateConfig, type ServiceConfig, STUB_PORT } from '../config/schema.ts';
import type { StartedContainer } from '../containers/environment.ts';
import type { ContainerSpec } from '../containers/spec.ts';
import { InfraError } from '../errors.ts';
import type { RunningStub } from './controller.ts';
import { phaseRoles } from './recovery.ts';
import { stubContainerSpec } from './stub.ts';
import { FaultProxy } from './toxiproxy.ts';

/** The fields of a container the orchestrator turns into a ContainerSpec (service, dependency, upstream). */
export type ContainerLike = Pick<
  ServiceConfig,
  'image' | 'build' | 'command' | 'env' | 'wait' | 'startupTimeoutMs'
>;

/**
 * What to start for a dependency or an upstream: a container like any other, or the built-in
 * stub (its spec complete). Throws on a name that is neither: validation rejects those.
 */
export function startable(
  config: Pick<LoadgateConfig, 'dependencies' | 'upstreams'>,
  name: string,
): { kind: 'container'; container: ContainerLike; ports: number[] } | { kind: 'stub'; spec: ContainerSpec } {
  const upstream = Object.hasOwn(config.upstreams, name) ? config.upstreams[name] : undefined;
  if (upstream?.kind === 'stub') return { kind: 'stub', spec: stubContainerSpec(name, upstream.stub) };
  const container =
    upstream ?? (Object.hasOwn(config.dependencies, name) ? config.dependencies[name] : undefined);
  if (!container) throw new Error(`${name} is neither a dependency nor an upstream`);
  return { kind: 'container', container, ports: container.ports };
}

/**
 * Toxiproxy in front of every upstream and every proxied dependency (first port each), or
 * undefined when nothing is proxied. Disposing it removes the container.
 */
export async function startFaultProxy(
  config: Pick<LoadgateConfig, 'dependencies' | 'upstreams'>,
  referable: Readonly<Record<string, ReferableContainer>>,
  run: { runId: string; logsDir: string },
): Promise<FaultProxy | undefined> {
  const names = proxiedNames(config);
  if (names.length === 0) return undefined;
  const targets = names.map((name) => {
    const port = referable[name]?.ports[0];
    if (port === undefined) throw new InfraError(`${name} has no port to put a proxy in front of`);
    return { name, host: name, port };
  });
  return FaultProxy.start({ ...run, targets });
}

/** The addresses the service's env resolves against: a proxied container's are its proxy's. */
export function serviceAddresses(
  addresses: Readonly<Record<string, ContainerAddress>>,
  proxy: FaultProxy | undefined,
): Record<string, ContainerAddress> {
  return { ...addresses, ...(proxy?.addresses ?? {}) };
}

/** The running stubs, by name, with their control URLs on loopback. */
export function runningStubs(
  config: Pick<LoadgateConfig, 'upstreams'>,
  started: ReadonlyMap<string, StartedContainer>,
): Map<string, RunningStub> {
  const stubs = new Map<string, RunningStub>();
  for (const [name, upstream] of Object.entries(config.upstreams)) {
    if (upstream.kind !== 'stub') continue;
    const port = started.get(name)?.hostPorts.get(STUB_PORT);
    if (port === undefined) throw new InfraError(`the stub ${name} has no mapped port`);
    stubs.set(name, { baseUrl: `http://127.0.0.1:${port}`, config: upstream.stub });
  }
  return stubs;
}

/** The ladder's phases and the ones whose requests carry their time slice (recovery is judged there). */
export function phasePlanInput(config: Pick<LoadgateConfig, 'phases'>): {
  phases: string[];
  timelinePhases: string[];
} {
  return {
    phases: config.phases.map((phase) => phase.name),
    timelinePhases: phaseRoles(config.phases)
      .roles.filter((role) => role.measuresRecovery)
      .map((role) => role.name),
  };
}
