import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { STUB_PORT, type StubConfig } from '../config/schema.ts';
import type { ContainerSpec } from '../containers/spec.ts';
import { InfraError } from '../errors.ts';

/**
 * The built-in stub upstream (stub-upstream/: a Python asyncio server from Debian's python3,
 * built locally like any Dockerfile). Its behaviour is JSON: set at start through the
 * environment, replaced at phase boundaries through PUT /__loadgate/behaviour.
 */
export const STUB_CONTROL = {
  health: '/__loadgate/health',
  behaviour: '/__loadgate/behaviour',
  stats: '/__loadgate/stats',
} as const;
export const STUB_BEHAVIOUR_ENV = 'STUB_BEHAVIOUR';

/** What the stub server reads: the config's stub, as JSON. */
export type StubBehaviour = StubConfig;
/** What a phase may change of a stub. */
export type StubOverride = Partial<Pick<StubConfig, 'latency' | 'errors'>>;

/** The behaviour during a phase: the configured one with the phase's latency and errors over it. */
export function stubBehaviour(base: StubConfig, override: StubOverride | undefined): StubBehaviour {
  return {
    routes: base.routes,
    latency: override?.latency ?? base.latency,
    errors: override?.errors ?? base.errors,
  };
}

/** The stub image's build folder: beside the sources in a checkout, beside dist/ when bundled. */
export function stubImageDir(): string {
  const candidates = ['../../stub-upstream', '../stub-upstream'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const found = candidates.find((p) => existsSync(`${p}/Dockerfile`));
  if (!found)
    throw new InfraError(`the stub upstream's image folder is missing (looked at ${candidates.join(', ')})`);
  return found;
}

/** The container of a stub upstream named `name`, answering as `stub` says until told otherwise. */
export function stubContainerSpec(
  name: string,
  stub: StubConfig,
  contextDir = stubImageDir(),
): ContainerSpec {
  return {
    name,
    build: { context: contextDir, dockerfile: 'Dockerfile', args: {} },
    ports: [STUB_PORT],
    env: { [STUB_BEHAVIOUR_ENV]: JSON.stringify(stubBehaviour(stub, undefined)) },
    wait: { kind: 'http', path: STUB_CONTROL.health, port: STUB_PORT },
    startupTimeoutMs: 120_000,
  };
}

/** Replaces a running stub's behaviour; InfraError when it refuses or does not answer. */
export async function setStubBehaviour(baseUrl: string, behaviour: StubBehaviour): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${STUB_CONTROL.behaviour}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(behaviour),
      signal: AbortSignal.timeout(5_000),
    });
  } catch (error) {
    throw new InfraError(
      `the stub at ${baseUrl} did not take its new behaviour: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!res.ok) throw new InfraError(`the stub at ${baseUrl} refused its new behaviour: ${await res.text()}`);
}

/** What the stub has answered so far. */
export async function stubStats(
  baseUrl: string,
): Promise<{ requests: number; failures: Record<string, number> }> {
  const res = await fetch(`${baseUrl}${STUB_CONTROL.stats}`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new InfraError(`the stub at ${baseUrl} answered ${res.status} for its stats`);
  return (await res.json()) as { requests: number; failures: Record<string, number> };
}
