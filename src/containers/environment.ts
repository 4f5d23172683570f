import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  GenericContainer,
  Network,
  type StartedNetwork,
  type StartedTestContainer,
  Wait,
  type WaitStrategy,
} from 'testcontainers';
import { DEADLINES_MS, DeadlineError } from '../deadline.ts';
import { CancelledError, errorMessage, InfraError } from '../errors.ts';
import { redact, redactingLines } from '../redact.ts';
import { buildImage } from './build.ts';
import { engineCall, engineClient, engineLocation } from './engineCall.ts';
import { CONTAINER_LABEL, networkName, RUN_LABEL, runLabels } from './labels.ts';
import { removeRunLeftovers } from './leftovers.ts';
import { tailFile } from './logs.ts';
import type { ContainerSpec, ImageSource, WaitSpec } from './spec.ts';

/** How many lines of a failing container's log an error message carries. */
export const FAILURE_LOG_LINES = 100;

export interface StartedContainer {
  name: string;
  /** container port → port on 127.0.0.1 */
  hostPorts: Map<number, number>;
  /** where its stdout and stderr are being written */
  logFile: string;
  /** the engine's id, for samplers that exec inside it */
  id: string;
}

export type ContainerEvent =
  | { kind: 'building'; name: string }
  | { kind: 'starting'; name: string; image: string }
  | { kind: 'ready'; name: string; seconds: number }
  | { kind: 'stopping'; count: number };

/**
 * Checks that a Docker-API engine answers, before anything is started, within its deadline.
 * A missing or silent engine is an infrastructure error with a one-line message saying how to
 * get one; a signal cancels the wait.
 */
export async function checkEngine(
  options: { deadlineMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const deadlineMs = options.deadlineMs ?? DEADLINES_MS.engineAnswer;
  try {
    await untilAborted(engineClient(deadlineMs), options.signal, 'waiting for the container engine');
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    const where = `at ${engineLocation()}`;
    if (error instanceof DeadlineError) {
      throw new InfraError(
        `the container engine ${where} took the connection but did not answer within ${deadlineMs / 1000} s: restart its API service (docker: systemctl restart docker; podman: podman system service), or point DOCKER_HOST at one that answers`,
        { cause: error },
      );
    }
    throw new InfraError(
      `no container engine answers ${where}: start Docker or Podman's API service (on a loadgate dev machine: bash scripts/bootstrap.sh)`,
      { cause: error },
    );
  }
}

/**
 * The containers of one run on one network, every container reachable by its name.
 * Disposing it stops and removes them in reverse order of starting, then anything else
 * carrying the run's label, then the network, whatever happened before.
 */
export class RunContainers implements AsyncDisposable {
  private readonly started: StartedTestContainer[] = [];

  private constructor(
    readonly runId: string,
    private readonly logsDir: string,
    private readonly network: StartedNetwork,
    private readonly onEvent: (event: ContainerEvent) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    // A cancelled run must be gone within seconds (a runner kills the job 10 s after its
    // first signal). While a build or start is in flight, remove everything at once, which
    // also fails it; otherwise k6 is stopping and disposal follows right after.
    signal?.addEventListener(
      'abort',
      () => {
        if (this.startsInFlight > 0) void removeRunLeftovers(runId).catch(() => {});
      },
      { once: true },
    );
  }

  private startsInFlight = 0;

  static async create(options: {
    runId: string;
    logsDir: string;
    onEvent?: (event: ContainerEvent) => void;
    /** aborting removes every container of the run at once and fails what is in flight */
    signal?: AbortSignal;
  }): Promise<RunContainers> {
    await mkdir(options.logsDir, { recursive: true });
    const name = networkName(options.runId);
    const network = await engineCall(`creating the network ${name}`, () =>
      new Network({ nextUuid: () => name }).start(),
    );
    return new RunContainers(
      options.runId,
      options.logsDir,
      network,
      options.onEvent ?? (() => {}),
      options.signal,
    );
  }

  /** Builds or names the image, starts the container and waits until it is ready. */
  async start(spec: ContainerSpec): Promise<StartedContainer> {
    this.startsInFlight++;
    try {
      return await untilAborted(this.startContainer(spec), this.signal, `starting ${spec.name}`);
    } finally {
      this.startsInFlight--;
    }
  }

  /** Whether a started container still runs, and its exit code if not. */
  async state(started: StartedContainer): Promise<{ running: boolean; exitCode: number | null }> {
    const client = await engineClient();
    try {
      const info = await engineCall(`inspecting ${started.name}`, () =>
        client.container.dockerode.getContainer(started.id).inspect(),
      );
      return { running: info.State.Running, exitCode: info.State.Running ? null : info.State.ExitCode };
    } catch {
      return { running: false, exitCode: null };
    }
  }

  private async startContainer(spec: ContainerSpec): Promise<StartedContainer> {
    const { container, imageName } = await this.prepare(spec);
    const logFile = join(this.logsDir, `${spec.name}.log`);
    const log = createWriteStream(logFile, { flags: 'w' });
    const startedAtMs = performance.now();
    let started: StartedTestContainer;
    try {
      // Podman lists an image's EXPOSEd ports as bindings even when unpublished, and
      // Testcontainers then waits for them to be bound: publish them too.
      const ports = [...new Set([...spec.ports, ...(await exposedPorts(imageName))])];
      const configured = container
        .withNetwork(this.network)
        .withNetworkAliases(spec.name)
        .withLabels({ ...runLabels(this.runId), [CONTAINER_LABEL]: spec.name })
        .withEnvironment(spec.env)
        .withExposedPorts(...ports)
        .withWaitStrategy(waitStrategyFor(spec.wait, spec.ports))
        .withStartupTimeout(spec.startupTimeoutMs)
        .withLogConsumer((stream: Readable) => stream.pipe(redactingLines()).pipe(log));
      const startingWithin = engineCall(
        `pulling if needed, creating and starting ${spec.name}`,
        () => configured.start(),
        DEADLINES_MS.imagePull + spec.startupTimeoutMs,
      );
      // A container that exits while Testcontainers waits for it is seen here, not there: its
      // own check reads the logs of an exited container through Podman, a stream that never ends.
      const watch = new AbortController();
      try {
        started = await Promise.race([
          startingWithin,
          exitedBeforeReady(this.runId, spec.name, watch.signal),
        ]);
      } finally {
        watch.abort();
      }
    } catch (error) {
      // The engine has removed it already; what it printed is in its log file.
      const tail = await tailFile(logFile, FAILURE_LOG_LINES);
      throw new InfraError(
        `${spec.name} did not become ready (${describeWait(spec.wait)}, within ${spec.startupTimeoutMs / 1000} s): ${firstLine(error)}` +
          (tail
            ? `\nlast ${FAILURE_LOG_LINES} lines of its log (${logFile}):\n${tail}`
            : '\nit printed nothing'),
        { cause: error },
      );
    }
    this.started.push(started);
    this.onEvent({ kind: 'ready', name: spec.name, seconds: (performance.now() - startedAtMs) / 1000 });
    const hostPorts = new Map(spec.ports.map((port) => [port, started.getMappedPort(port)]));
    return { name: spec.name, hostPorts, logFile, id: started.getId() };
  }

  private async prepare(spec: ContainerSpec): Promise<{ container: GenericContainer; imageName: string }> {
    if (spec.image) {
      this.onEvent({ kind: 'starting', name: spec.name, image: spec.image });
      const container = new GenericContainer(spec.image);
      return {
        container: spec.command ? container.withCommand(spec.command) : container,
        imageName: spec.image,
      };
    }
    if (!spec.build) throw new InfraError(`${spec.name}: neither an image nor a build was given`);
    const build = spec.build;
    const tag = localImageTag(build);
    // Containers of one run built from the same Dockerfile share one build (the demo and its
    // upstream, say).
    let building = this.builds.get(tag);
    if (!building) {
      this.onEvent({ kind: 'building', name: spec.name });
      const logFile = join(this.logsDir, `build-${spec.name}.log`);
      building = engineCall(
        `building ${spec.name}`,
        (deadline) =>
          buildImage(build, tag, logFile, this.signal ? AbortSignal.any([this.signal, deadline]) : deadline),
        DEADLINES_MS.imageBuild,
      ).catch((error) => {
        throw new InfraError(`${spec.name}: ${errorMessage(error)}`, { cause: error });
      });
      this.builds.set(tag, building);
    }
    await building;
    this.onEvent({ kind: 'starting', name: spec.name, image: tag });
    const container = new GenericContainer(tag);
    return { container: spec.command ? container.withCommand(spec.command) : container, imageName: tag };
  }

  private readonly builds = new Map<string, Promise<void>>();

  async [Symbol.asyncDispose](): Promise<void> {
    this.onEvent({ kind: 'stopping', count: this.started.length });
    const failures: unknown[] = [];
    // The service first (it would only log its dependencies' absence), then the dependencies
    // together. Cancelled: none gracefully, all are removed together below.
    const stopping = this.signal?.aborted ? [] : this.started.splice(0).reverse();
    const stop = (container: StartedTestContainer) =>
      engineCall(`stopping container ${container.getName()}`, () =>
        container.stop({ timeout: 1_000, remove: true, removeVolumes: true }),
      ).catch((e) => failures.push(e));
    const [last, ...rest] = stopping;
    if (last) await stop(last);
    await Promise.all(rest.map(stop));
    // A container can be created and then fail before Testcontainers hands it over (a port
    // never bound, an interrupted start): the run's label finds those.
    await removeRunLeftovers(this.runId).catch((e) => failures.push(e));
    if (failures.length > 0) {
      throw new InfraError(`cleanup left something behind: ${failures.map(firstLine).join('; ')}`);
    }
  }
}

/**
 * A stable local tag per Dockerfile build, so that every run of the same build reuses the
 * engine's layer cache and a test suite builds each image once.
 */
export function localImageTag(build: NonNullable<ImageSource['build']>): string {
  // a build argument's secret value is not hashed into a name anyone can list
  const hash = createHash('sha256')
    .update(redact(JSON.stringify(build)))
    .digest('hex');
  const name =
    basename(build.context)
      .toLowerCase()
      .replace(/[^a-z0-9_.-]/g, '-') || 'build';
  return `localhost/loadgate-${name}:${hash.slice(0, 12)}`;
}

/** Rejects once the run's container of this name has exited; never resolves. */
async function exitedBeforeReady(runId: string, name: string, stop: AbortSignal): Promise<never> {
  const client = await engineClient();
  const filters = { label: [`${RUN_LABEL}=${runId}`, `${CONTAINER_LABEL}=${name}`], status: ['exited'] };
  while (!stop.aborted) {
    const exited = await engineCall(`listing the exited containers of run ${runId}`, () =>
      client.container.dockerode.listContainers({ all: true, filters }),
    ).catch(() => []);
    const info = exited[0];
    if (info) throw new Error(`it exited before it was ready (${info.Status})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return new Promise<never>(() => {});
}

/** The promise's value, or a rejection as soon as the signal aborts (the work itself goes on). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new CancelledError(`cancelled while ${what}`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError(`cancelled while ${what}`));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted ? new CancelledError(`cancelled while ${what}`, { cause: error }) : error);
      },
    );
  });
}

/** The ports an image declares with EXPOSE (e.g. "8000/tcp" → 8000). */
async function exposedPorts(image: string): Promise<number[]> {
  const client = await engineClient();
  try {
    const info = await engineCall(`inspecting the image ${image}`, () =>
      client.container.dockerode.getImage(image).inspect(),
    );
    return Object.keys(info.Config?.ExposedPorts ?? {})
      .filter((key) => key.endsWith('/tcp'))
      .map((key) => Number.parseInt(key, 10));
  } catch {
    return []; // not pulled yet: Testcontainers pulls it on start
  }
}

function waitStrategyFor(wait: WaitSpec, ports: number[]): WaitStrategy {
  switch (wait.kind) {
    case 'http':
      return Wait.forHttp(wait.path, wait.port).forStatusCodeMatching(
        (status) => status >= 200 && status < 400,
      );
    case 'log':
      return Wait.forLogMessage(wait.message, wait.times);
    case 'port':
      return onlyPorts(Wait.forListeningPorts(), ports);
    case 'command':
      return Wait.forSuccessfulCommand(wait.command);
  }
}

/**
 * A port wait on the declared ports only: the image may EXPOSE others that nothing listens on
 * (published anyway for Podman's sake, see start()).
 */
function onlyPorts(inner: WaitStrategy, ports: number[]): WaitStrategy {
  const strategy: WaitStrategy = {
    waitUntilReady: (container, boundPorts, startTime) =>
      inner.waitUntilReady(container, boundPorts.filter(ports), startTime),
    withStartupTimeout(startupTimeoutMs) {
      inner.withStartupTimeout(startupTimeoutMs);
      return strategy;
    },
    isStartupTimeoutSet: () => inner.isStartupTimeoutSet(),
    getStartupTimeout: () => inner.getStartupTimeout(),
  };
  return strategy;
}

function describeWait(wait: WaitSpec): string {
  switch (wait.kind) {
    case 'http':
      return `waiting for HTTP 2xx/3xx on ${wait.path}`;
    case 'log':
      return `waiting for the log line "${wait.message}"${wait.times > 1 ? ` ${wait.times} times` : ''}`;
    case 'port':
      return 'waiting for its ports to listen';
    case 'command':
      return `waiting for "${wait.shown}" to succeed in it`;
  }
}

function firstLine(error: unknown): string {
  const message = errorMessage(error);
  return message.split('\n')[0] ?? message;
}
