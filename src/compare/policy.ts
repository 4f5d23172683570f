import { ConfigError } from '../errors.ts';
import type { ComparedMetric, Policy } from './schema.ts';

/**
 * The defaults a comparison is judged by. Floors: a change whose estimate is smaller than this is
 * never a regression, however certain. No millisecond floor by default (`--floor latency=2ms`
 * sets one): what a check can resolve in milliseconds comes from its own evidence, the blocks'
 * spread in paired mode and the history's in stored mode, and a fixed 2 ms hid a +16% shift of a
 * 6 ms endpoint. Run-to-run noise (stored-baseline mode): between two runs of the same code on
 * the same kind of runner, percentiles move by more than their sampling error; these are
 * assumptions until `loadgate calibrate` or a baseline history measures them, and the report
 * says which. A share plus milliseconds: bench:detect measured the demo's 60 ms endpoint moving
 * 3.6% at p50 (26% at p95) between runs and its 1.6 ms endpoint 14% (about 0.2 ms).
 */
export const DEFAULT_POLICY: Policy = {
  alpha: 0.05,
  floors: {
    p50Ms: 0.1,
    p95Ms: 0.1,
    p99Ms: 0.15,
    errorRate: { ratio: 2, absolute: 0.005 },
    timeoutRate: { ratio: 2, absolute: 0.005 },
  },
  minTailSamples: 20,
  runNoise: { p50Ms: 0.04, p95Ms: 0.15, p99Ms: 0.25 },
  runNoiseMs: { p50Ms: 0.25, p95Ms: 1.5, p99Ms: 3 },
  runNoiseSource: 'default',
  knee: { p95Factor: 1.25, maxErrorRate: 0.01 },
  // The statistics' own assumptions, each a stated prior (the schema says what each means):
  // the assumed noise weighs as much as three stored runs (the spread of a history of 3 runs
  // makes two fifths of the noise used, one of 10 three quarters);
  noisePriorRuns: 3,
  // failures came in bursts of 20–40 in one slot on the services issue 13 tried: bursts of c
  // failures make a run's count vary about c times as much as independent failures would;
  rateDispersion: 30,
  // two CPU generations that one hosted-runner label mixes differ by roughly 10–30% per core: an
  // unknown offset of that size is noise of about 15%;
  cpuModelNoise: 0.15,
  // α spent over paired looks (sequential.ts): O'Brien–Fleming keeps most of α for the last look;
  // on bench:stats' tuning seeds it found +10% at p95 in 93% of checks where Pocock found 60%, at
  // the same false alarms (none in 150 A/A checks) and blocks (most checks run to the last look)
  spending: 'obrien-fleming',
  // a change point reported in a steady series: per run, split over its series (historyChangePoints.ts)
  changePointP: 0.002,
};

/**
 * Paired mode's defaults: the same rules with lower percentile floors. Base and candidate run
 * on one runner, slot after slot, so a 5% shift is resolvable there (bench:stats: +10% found at
 * p50 in 99% and at p95 in 90% of checks with a 5% floor, against 48% at p50 with 10%: an
 * estimate that must pass a floor equal to the true change passes it half the time). A pull
 * request that makes an endpoint 5% slower is worth a look; stored runs on different jobs are
 * too noisy to ask that of them.
 */
export const PAIRED_POLICY: Policy = {
  ...DEFAULT_POLICY,
  floors: { ...DEFAULT_POLICY.floors, p50Ms: 0.05, p95Ms: 0.05, p99Ms: 0.1 },
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
