import { createHash } from 'node:crypto';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { stableJson } from '../config/defaults.ts';
import type { LoadgateConfig } from '../config/schema.ts';
import type { Runner } from './schema.ts';

/**
 * Config sections that do not shape the load k6 sends: a change there (the service's image or
 * environment, a dependency, a gate limit, the deployed target's address or a rotated token in
 * its headers) is what a comparison is for, not a reason to refuse it.
 */
const OUTSIDE_THE_LOAD = new Set(['service', 'target', 'dependencies', 'gate', 'version']);

/**
 * A short fingerprint of what shapes the load: the config without OUTSIDE_THE_LOAD (so `load`,
 * and any section a later version adds, such as fault phases). Equal for equal load whatever
 * the order it was written in.
 */
export function loadHash(config: LoadgateConfig): string {
  const shaping = Object.fromEntries(Object.entries(config).filter(([key]) => !OUTSIDE_THE_LOAD.has(key)));
  return createHash('sha256').update(stableJson(shaping)).digest('hex').slice(0, 16);
}

/** The machine this process runs on, as far as it changes latency: CPUs, their model, memory, the OS. */
export function currentRunner(): Runner {
  const model = cpus()[0]?.model?.replace(/\s+/g, ' ').trim() || 'unknown';
  return {
    cpuCount: availableParallelism(),
    cpuModel: model,
    platform: process.platform,
    arch: process.arch,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

/** Where the run's code came from, when CI says (GITHUB_SHA, GITHUB_REF). */
export function currentSource(env: NodeJS.ProcessEnv = process.env): {
  commit: string | null;
  ref: string | null;
} {
  return { commit: env.GITHUB_SHA || null, ref: env.GITHUB_REF || null };
}
