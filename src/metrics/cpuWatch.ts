import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { engineCall, engineClient } from '../containers/engineCall.ts';
import { type CpuSample, type LevelCpu, levelCpu, parseProcStat, serviceUsageNsOf } from './cpuLevels.ts';
import type { LevelWindow } from './levels.ts';

/** How often CPU counters are read while the ladder runs. */
const CPU_INTERVAL_MS = 1000;

/**
 * Samples the service container's CPU time (the engine's stats API, one shot) and the runner's
 * (/proc/stat) every second from the ladder's start, for levelCpu to turn into per-level use.
 * A counter that cannot be read is left null: the diagnosis then goes without it.
 */
export class CpuWatch {
  private readonly samples: CpuSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private anchorMs: number | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly containerId: string | null,
    private readonly windows: readonly LevelWindow[],
  ) {}

  /** `anchorMs`: performance.now() when the ladder's scenarios began. */
  start(anchorMs: number): void {
    this.anchorMs = anchorMs;
    const tick = () => {
      this.inFlight = this.sample().catch(() => undefined);
    };
    tick();
    this.timer = setInterval(tick, CPU_INTERVAL_MS);
    this.timer.unref();
  }

  async finish(): Promise<LevelCpu[]> {
    if (this.timer) clearInterval(this.timer);
    await this.inFlight;
    return levelCpu(this.samples, this.windows, availableParallelism());
  }

  private async sample(): Promise<void> {
    const anchor = this.anchorMs ?? performance.now();
    const [service, host] = await Promise.all([this.serviceUsage(), hostCpu()]);
    this.samples.push({
      atS: (performance.now() - anchor) / 1000,
      serviceUsageNs: service,
      hostBusy: host?.busy ?? null,
      hostTotal: host?.total ?? null,
    });
  }

  private async serviceUsage(): Promise<number | null> {
    if (!this.containerId) return null;
    const id = this.containerId;
    try {
      const client = await engineClient();
      const container = client.container.dockerode.getContainer(id);
      // one shot: the engine answers with the counters now, not after a second sample
      const options = { stream: false, 'one-shot': true } as { stream: false };
      const stats = await engineCall('reading the service container’s CPU', () => container.stats(options));
      return serviceUsageNsOf(stats);
    } catch {
      return null;
    }
  }
}

async function hostCpu(): Promise<{ busy: number; total: number } | null> {
  try {
    return parseProcStat(await readFile('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}
