import type { PhaseConfig, StubConfig } from '../config/schema.ts';
import { boundedTimeout } from '../deadline.ts';
import { errorMessage, InfraError } from '../errors.ts';
import type { PhaseWindow } from '../load/plan.ts';
import { setStubBehaviour, stubBehaviour } from './stub.ts';
import { proxyStates } from './toxics.ts';
import type { FaultProxy } from './toxiproxy.ts';

/** A running stub upstream: where its control API is, and its configured behaviour. */
export interface RunningStub {
  /** http://127.0.0.1:<mapped port> */
  baseUrl: string;
  config: StubConfig;
}

/**
 * The faults of a run: Toxiproxy's proxies and the stubs, put into a phase's state on demand
 * (`apply`) or at each phase's start once k6 runs (`schedule`).
 */
export class PhaseFaults {
  constructor(
    private readonly proxy: FaultProxy | undefined,
    /** the names behind the proxy */
    private readonly proxied: readonly string[],
    private readonly stubs: ReadonlyMap<string, RunningStub>,
  ) {}

  /** Whether there is anything to switch. */
  get active(): boolean {
    return this.proxy !== undefined || this.stubs.size > 0;
  }

  /** Every proxy and stub into the phase's state; null: no faults anywhere. */
  async apply(phase: PhaseConfig | null): Promise<void> {
    const work: Promise<void>[] = [];
    if (this.proxy) work.push(this.proxy.apply(proxyStates(this.proxied, phase)));
    for (const [name, stub] of this.stubs)
      work.push(setStubBehaviour(stub.baseUrl, stubBehaviour(stub.config, phase?.stubs[name])));
    const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /**
   * Switches to each phase at its window's start, counted from the moment k6's scenarios began
   * (`start(startedAtMs)`, in performance.now() time). `finish` stops what is still pending and
   * throws an InfraError if a switch failed: results measured under the wrong faults are not
   * results.
   */
  schedule(windows: readonly PhaseWindow[], phases: readonly PhaseConfig[]): FaultSchedule {
    return new FaultSchedule(this, windows, phases);
  }
}

export class FaultSchedule {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight: Promise<void>[] = [];
  private readonly errors: string[] = [];
  /** phase name → performance.now() when its faults were in place */
  readonly appliedAtMs = new Map<string, number>();

  constructor(
    private readonly faults: PhaseFaults,
    private readonly windows: readonly PhaseWindow[],
    private readonly phases: readonly PhaseConfig[],
  ) {}

  start(startedAtMs: number): void {
    for (const window of this.windows) {
      const phase = this.phases.find((p) => p.name === window.phase) ?? null;
      const delayMs = Math.max(0, startedAtMs + window.startS * 1000 - performance.now());
      this.timers.push(
        boundedTimeout(() => {
          const switching = this.faults.apply(phase).then(
            () => {
              this.appliedAtMs.set(window.phase, performance.now());
            },
            (error: unknown) => {
              this.errors.push(`${window.phase}: ${errorMessage(error)}`);
            },
          );
          this.inFlight.push(switching);
        }, delayMs),
      );
    }
  }

  /** Stops the switches still pending (k6 ended early or failed). */
  cancel(): void {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
  }

  async finish(): Promise<void> {
    this.cancel();
    await Promise.all(this.inFlight);
    if (this.errors.length > 0)
      throw new InfraError(`switching faults at a phase boundary failed: ${this.errors.join('; ')}`);
  }
}
