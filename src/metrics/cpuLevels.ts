import type { LevelWindow } from './levels.ts';

/**
 * CPU use per level, from samples of cumulative counters: the service container's CPU time
 * (the engine's stats API) and the runner's (/proc/stat: k6, and the containers when the engine
 * runs on this machine). Pure: the sampler is in cpuWatch.ts.
 */

export interface CpuSample {
  /** seconds from the ladder's start */
  atS: number;
  /** the service container's CPU time so far, ns; null: the engine did not say */
  serviceUsageNs: number | null;
  /** the runner's busy and total CPU time so far (any unit, the same for both); null: not read */
  hostBusy: number | null;
  hostTotal: number | null;
}

export interface LevelCpu {
  /** the service's mean CPU use over the level, in cores (1.0 = one core busy all along) */
  serviceCores: number | null;
  /** the share of the runner's CPU time busy during the level, 0..1 */
  runnerBusyShare: number | null;
  /** the runner's logical CPUs */
  runnerCores: number;
}

/** The samples that bracket a window: the first at or after its start, the last at or before its end. */
function bracket(samples: readonly CpuSample[], w: LevelWindow): [CpuSample, CpuSample] | null {
  const inside = samples.filter((s) => s.atS >= w.startS - 0.25 && s.atS <= w.endS + 0.25);
  const first = inside[0];
  const last = inside.at(-1);
  if (!first || !last || last.atS - first.atS < 0.5) return null;
  return [first, last];
}

/** Each window's CPU figures, in window order; null figures where the samples do not cover it. */
export function levelCpu(
  samples: readonly CpuSample[],
  windows: readonly LevelWindow[],
  runnerCores: number,
): LevelCpu[] {
  const sorted = [...samples].sort((a, b) => a.atS - b.atS);
  return windows.map((w) => {
    const pair = bracket(sorted, w);
    if (!pair) return { serviceCores: null, runnerBusyShare: null, runnerCores };
    const [a, b] = pair;
    const seconds = b.atS - a.atS;
    const serviceCores =
      a.serviceUsageNs !== null && b.serviceUsageNs !== null && b.serviceUsageNs >= a.serviceUsageNs
        ? (b.serviceUsageNs - a.serviceUsageNs) / 1e9 / seconds
        : null;
    const total = a.hostTotal !== null && b.hostTotal !== null ? b.hostTotal - a.hostTotal : null;
    const busy = a.hostBusy !== null && b.hostBusy !== null ? b.hostBusy - a.hostBusy : null;
    const runnerBusyShare =
      total !== null && busy !== null && total > 0 ? Math.min(1, Math.max(0, busy / total)) : null;
    return { serviceCores, runnerBusyShare, runnerCores };
  });
}

/** /proc/stat's first line as busy and total jiffies (idle and iowait are not busy). */
export function parseProcStat(text: string): { busy: number; total: number } | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) return null;
  // user nice system idle iowait irq softirq steal (guest time is inside user already)
  const counted = fields.slice(0, 8);
  const total = counted.reduce((sum, n) => sum + n, 0);
  const idle = (counted[3] ?? 0) + (counted[4] ?? 0);
  return { busy: total - idle, total };
}

/** The container's cumulative CPU time from one stats answer (Docker and Podman's compat API). */
export function serviceUsageNsOf(stats: unknown): number | null {
  const usage = (stats as { cpu_stats?: { cpu_usage?: { total_usage?: unknown } } })?.cpu_stats?.cpu_usage
    ?.total_usage;
  return typeof usage === 'number' && Number.isFinite(usage) && usage > 0 ? usage : null;
}
