import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { probeScenarioName } from '../../k6-scripts/contract.ts';
import { cellKey, readLatencySamples } from '../baseline/samples.ts';
import { type K6Binary, runLadder } from '../load/k6.ts';
import { buildLadderPlan, type LadderRequestInput } from '../load/plan.ts';
import type { Slot, Variant } from './paired.ts';

/**
 * One slot of paired mode: k6 at a fixed arrival rate against one side for a few seconds, with
 * the canary beside the service's own requests. Each slot is a k6 run of its own (the ladder
 * with one level), so the runner, its summary and its samples are the ones `loadgate run` uses.
 * A user's script therefore runs its setup() once per slot, before the slot's clock starts:
 * its data (a login token) is always fresh, and whatever it writes to the service's store
 * accumulates in the same ABBA order on both sides, so it weighs on neither.
 */

/** The canary's request name; loadgate's own endpoint answers it at once, whatever the service does. */
export const CANARY_REQUEST = 'loadgate-canary';
/** The canary's share of the iterations. */
export const CANARY_SHARE = 0.05;
/** The phase name slots are planned under. */
export const PAIRED_PHASE = 'paired';

export interface SlotLoad {
  /** arrivals per second, canary included (with a script: the script's iterations, canary beside) */
  rate: number;
  slotS: number;
  warmupS: number;
  requestTimeoutMs: number;
  maxVUs?: number;
  requests: readonly LadderRequestInput[];
  /**
   * A user's k6 script in place of `requests` (load.script): each slot is a whole k6 run of it,
   * setup() included. The canary then runs beside it at CANARY_SHARE of the rate, in a scenario
   * of its own (the probe's), since the script's iterations are the script's to decide.
   */
  script?: { path: string; requestNames?: readonly string[] };
}

/**
 * A local endpoint that answers after a fixed amount of CPU work (a SHA-256 of 512 KiB, about a
 * millisecond): the canary's target. Its latency follows the runner's speed and k6's, never the
 * service's.
 */
export async function startCanary(): Promise<{ url: string; close(): Promise<void> }> {
  const work = Buffer.alloc(512 * 1024, 7);
  const server = createServer((_req, res) => {
    const digest = createHash('sha256').update(work).digest('hex');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(digest.slice(0, 8));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/**
 * Runs one slot and returns what it measured. A k6 failure marks the slot invalid (with the
 * reason) instead of failing the whole run; cancellation propagates.
 */
export async function runSlot(options: {
  k6: K6Binary;
  baseUrl: string;
  canaryUrl: string;
  slot: { block: number; position: number; variant: Variant };
  load: SlotLoad;
  outDir: string;
  signal?: AbortSignal;
  /** the run's id, in k6's environment (see runLadder) */
  runId?: string;
  /** the values of `${env.NAME}` in the requests (LoadedConfig.secrets), for k6 */
  secrets?: Readonly<Record<string, string>>;
}): Promise<Slot> {
  const { slot, load } = options;
  const totalWeight = load.requests.reduce((sum, r) => sum + (r.weight ?? 1), 0);
  const canaryPath = `${options.canaryUrl}/canary`;
  const plan = buildLadderPlan({
    baseUrl: options.baseUrl,
    model: 'open',
    levels: [load.rate],
    levelDurationS: load.slotS,
    warmupS: load.warmupS,
    requestTimeoutMs: load.requestTimeoutMs,
    ...(load.maxVUs !== undefined ? { maxVUs: load.maxVUs } : {}),
    phases: [PAIRED_PHASE],
    ...(load.script
      ? {
          requests: [],
          userScript: load.script.requestNames ? { requestNames: load.script.requestNames } : {},
          // k6's arrival rates are whole numbers per second
          probe: { path: canaryPath, ratePerS: Math.max(1, Math.round(load.rate * CANARY_SHARE)), idleS: 0 },
        }
      : {
          requests: [
            ...load.requests,
            {
              name: CANARY_REQUEST,
              path: canaryPath,
              weight: (totalWeight * CANARY_SHARE) / (1 - CANARY_SHARE),
            },
          ],
        }),
  });
  const outDir = join(options.outDir, `block${slot.block + 1}-slot${slot.position + 1}-${slot.variant}`);
  const empty = { ...slot, requests: [], canary: null, droppedIterations: 0 };
  let run: Awaited<ReturnType<typeof runLadder>>;
  try {
    run = await runLadder({
      k6: options.k6,
      plan,
      outDir,
      samplesPath: join(outDir, 'k6-samples.csv.gz'),
      ...(load.script ? { userScriptPath: load.script.path } : {}),
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.runId ? { runId: options.runId } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { ...empty, invalidReason: (error as Error).message.split('\n')[0] ?? 'k6 failed' };
  }
  if (run.cancelled) return { ...empty, invalidReason: 'cancelled' };
  const level = run.levels[0];
  if (!level || !run.files.samples) return { ...empty, invalidReason: 'k6 measured nothing' };
  const samples = await readLatencySamples(run.files.samples, plan);
  const of = (name: string) => samples.byCell.get(cellKey(PAIRED_PHASE, 0, name)) ?? new Float64Array(0);
  const canary = load.script
    ? (samples.byProbe?.get(probeScenarioName(PAIRED_PHASE, 0)) ?? new Float64Array(0))
    : of(CANARY_REQUEST);
  return {
    ...slot,
    requests: level.requests
      .filter((r) => r.name !== CANARY_REQUEST)
      .map((r) => ({
        name: r.name,
        samples: of(r.name),
        count: r.count,
        errors: Math.round(r.errorRate * r.count),
        timeouts: Math.round(r.timeoutRate * r.count),
      })),
    canary,
    droppedIterations: level.droppedIterations,
    ...(run.thresholdsCrossed
      ? { crossedThresholds: run.crossedThresholds.length > 0 ? run.crossedThresholds : ['k6 named none'] }
      : {}),
  };
}
