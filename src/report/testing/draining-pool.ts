import type { LevelResult, RequestResult, Result } from '../../result/schema.ts';

/**
 * A synthetic run of a service whose connection pool drains: p95 of `items` rises steeply with
 * the level and timeouts appear at the top, while `health` (no database) stays flat.
 */
export const DRAINING_LEVELS = [1, 4, 8, 16, 32] as const;
const ITEMS_P95_MS = [22.4, 24.1, 31.7, 180.2, 912.4];
const ITEMS_TIMEOUT_RATE = [0, 0, 0, 0.0004, 0.0042];

export function request(overrides: Partial<RequestResult> & Pick<RequestResult, 'name'>): RequestResult {
  return {
    count: 1000,
    throughputRps: 100,
    p50Ms: 10,
    p90Ms: 15,
    p95Ms: 20,
    p99Ms: 30,
    maxMs: 50,
    errorRate: 0,
    timeoutRate: 0,
    connectionErrorRate: 0,
    http5xxRate: 0,
    http4xxRate: 0,
    ...overrides,
  };
}

export function level(
  overrides: Partial<LevelResult> & Pick<LevelResult, 'level' | 'requests'>,
): LevelResult {
  return {
    phase: 'clean',
    durationS: 10,
    droppedIterations: 0,
    probe: { p95Ms: 2 },
    pool: { waitP95Ms: null, waitMeanMs: null, timeouts: null, peakDbConnections: null },
    ...overrides,
  };
}

export function drainingLevels(phase = 'clean'): LevelResult[] {
  return DRAINING_LEVELS.map((vus, i) =>
    level({
      phase,
      level: vus,
      requests: [
        request({
          name: 'items',
          throughputRps: [45.2, 160.8, 251.3, 88.4, 35.1][i] ?? 0,
          p50Ms: (ITEMS_P95_MS[i] ?? 0) / 2,
          p90Ms: (ITEMS_P95_MS[i] ?? 0) * 0.9,
          p95Ms: ITEMS_P95_MS[i] ?? null,
          p99Ms: (ITEMS_P95_MS[i] ?? 0) * 1.3,
          maxMs: (ITEMS_P95_MS[i] ?? 0) * 2,
          errorRate: ITEMS_TIMEOUT_RATE[i] ?? 0,
          timeoutRate: ITEMS_TIMEOUT_RATE[i] ?? 0,
        }),
        request({
          name: 'health',
          throughputRps: 11.3 * (i + 1),
          p50Ms: 1.1,
          p90Ms: 1.9 + i * 0.2,
          p95Ms: 2.1 + i * 0.2,
          p99Ms: 3.2 + i * 0.2,
          maxMs: 4.8,
        }),
      ],
    }),
  );
}

export function drainingResult(overrides: Partial<Result> = {}): Result {
  return {
    schemaVersion: 1,
    tool: { name: 'loadgate', version: '0.1.0' },
    runId: 'run-1',
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    partial: false,
    verdict: 'pass',
    summary: 'all 10 gate checks passed',
    k6Version: 'v1.0.0',
    loadModel: 'closed',
    configHash: 'abc123',
    probeIdleP95Ms: 1.8,
    phases: [{ name: 'clean', recoverySeconds: null }],
    levels: drainingLevels(),
    gate: { checked: 10, breaches: [] },
    files: { report: 'report.md', k6Summary: 'k6-summary.json', k6Log: 'k6.log', logsDir: 'logs' },
    ...overrides,
  };
}
