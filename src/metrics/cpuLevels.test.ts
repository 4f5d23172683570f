import { describe, expect, it } from 'vitest';
import { levelCpu, parseProcStat, serviceUsageNsOf } from './cpuLevels.ts';

describe('parseProcStat', () => {
  it('reads busy and total jiffies from the first line (idle and iowait are not busy)', () => {
    const text = 'cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\nintr 1 2\n';
    expect(parseProcStat(text)).toEqual({ busy: 160, total: 980 });
    expect(parseProcStat('nothing here')).toBeNull();
  });
});

describe('serviceUsageNsOf', () => {
  it("reads a stats answer's cumulative CPU time; anything else is not measured", () => {
    expect(serviceUsageNsOf({ cpu_stats: { cpu_usage: { total_usage: 1_500_000_000 } } })).toBe(
      1_500_000_000,
    );
    expect(serviceUsageNsOf({ cpu_stats: {} })).toBeNull();
    expect(serviceUsageNsOf(null)).toBeNull();
  });
});

describe('levelCpu', () => {
  const windows = [
    { phase: 'clean', levelIndex: 0, level: 1, startS: 0, endS: 4 },
    { phase: 'clean', levelIndex: 1, level: 10, startS: 4, endS: 8 },
    { phase: 'clean', levelIndex: 2, level: 30, startS: 8, endS: 12 },
  ];
  it('turns cumulative counters into cores and a busy share per level', () => {
    const samples = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((s) => ({
      atS: s,
      // 0.25 cores for the first level, 0.9 for the second
      serviceUsageNs: s <= 4 ? s * 0.25e9 : 1e9 + (s - 4) * 0.9e9,
      hostBusy: s <= 4 ? s * 50 : 200 + (s - 4) * 180,
      hostTotal: s * 200,
    }));
    const [first, second, third] = levelCpu(samples, windows, 2);
    expect(first?.serviceCores).toBeCloseTo(0.25);
    expect(first?.runnerBusyShare).toBeCloseTo(0.25);
    expect(second?.serviceCores).toBeCloseTo(0.9);
    expect(second?.runnerBusyShare).toBeCloseTo(0.9);
    // no samples beyond 8 s: not measured
    expect(third).toEqual({ serviceCores: null, runnerBusyShare: null, runnerCores: 2 });
  });
});
