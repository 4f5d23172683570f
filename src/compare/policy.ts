import { ConfigError } from '../errors.ts';
import type { ComparedMetric, Policy } from './schema.ts';

/**
 * The defaults a comparison is judged by. Floors: a change smaller than this is never a
 * regression, however certain. Run-to-run noise (stored-baseline mode): between two runs of
 * the same code on the same kind of runner, percentiles move by more than their sampling error;
 * these are assumptions until `loadgate calibrate` or a baseline history measures them, and the
 * report says which. A share plus milliseconds: bench:detect measured the demo's 60 ms endpoint
 * moving 3.6% at p50 (26% at p95) between runs and its 1.6 ms endpoint 14% (about 0.2 ms).
 */
export const DEFAULT_POLICY: Policy = {
  alpha: 0.05,
  floors: {
    p50Ms: 0.1,
    p95Ms: 0.1,
    p99Ms: 0.15,
    // a millisecond endpoint's tail jitters by more than 10% between two processes of one build
    latencyMs: 2,
    errorRate: { ratio: 2, absolute: 0.005 },
    timeoutRate: { ratio: 2, absolute: 0.005 },
  },
  minTailSamples: 20,
  runNoise: { p50Ms: 0.04, p95Ms: 0.15, p99Ms: 0.25 },
  runNoiseMs: { p50Ms: 0.25, p95Ms: 1.5, p99Ms: 3 },
  runNoiseSource: 'default',
  knee: { p95Factor: 2, maxErrorRate: 0.01 },
};

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/**
 * Applies `--floor metric=value` settings: a percentile's relative floor ("p95=8%"), the
 * percentiles' absolute one ("latency=2ms"), a rate's absolute floor ("errorRate=0.2%") or
 * ratio ("timeoutRate.ratio=3"). Throws ConfigError listing
 * every malformed one.
 */
export function applyFloorSettings(policy: Policy, settings: readonly string[]): Policy {
  const floors = structuredClone(policy.floors);
  const problems: string[] = [];
  for (const setting of settings) {
    const latency = /^latency(?:Ms)?=(.*)$/.exec(setting.trim());
    if (latency) {
      const ms = /^(\d+(?:\.\d+)?)\s*ms$/.exec((latency[1] as string).trim());
      if (ms) floors.latencyMs = Number(ms[1]);
      else
        problems.push(`--floor ${setting}: the latency floor is milliseconds, e.g. latency=2ms (0ms: none)`);
      continue;
    }
    const m = /^([A-Za-z0-9_]+)(\.ratio)?=(.+)$/.exec(setting.trim());
    const metric = m?.[1] ? metricName(m[1]) : null;
    if (!m || metric === null) {
      problems.push(
        `--floor ${setting}: expected p50|p95|p99|errorRate|timeoutRate=<percent>, e.g. p95=10%, or latency=<ms>`,
      );
      continue;
    }
    const raw = m[3] as string;
    if (m[2]) {
      const ratio = Number(raw);
      if (metric === 'errorRate' || metric === 'timeoutRate') {
        if (Number.isFinite(ratio) && ratio >= 1) floors[metric].ratio = ratio;
        else problems.push(`--floor ${setting}: a ratio is a number of 1 or more`);
      } else problems.push(`--floor ${setting}: only errorRate and timeoutRate have a ratio`);
      continue;
    }
    const percent = PERCENT.exec(raw);
    const value = percent ? Number(percent[1]) / 100 : Number.NaN;
    if (!(value > 0 && value <= 1)) {
      problems.push(`--floor ${setting}: expected a percentage above 0 and at most 100%, e.g. 10%`);
      continue;
    }
    if (metric === 'errorRate' || metric === 'timeoutRate') floors[metric].absolute = value;
    else floors[metric] = value;
  }
  if (problems.length > 0) throw new ConfigError(`invalid --floor: ${problems.join('; ')}`, problems);
  return { ...policy, floors };
}

/** The names --floor takes; a Map, so that `constructor` or `toString` name nothing. */
const FLOOR_METRICS: ReadonlyMap<string, ComparedMetric> = new Map([
  ['p50', 'p50Ms'],
  ['p50Ms', 'p50Ms'],
  ['p95', 'p95Ms'],
  ['p95Ms', 'p95Ms'],
  ['p99', 'p99Ms'],
  ['p99Ms', 'p99Ms'],
  ['errorRate', 'errorRate'],
  ['timeoutRate', 'timeoutRate'],
]);

function metricName(text: string): ComparedMetric | null {
  return FLOOR_METRICS.get(text) ?? null;
}
