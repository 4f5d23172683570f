import { ConfigError } from '../errors.ts';
import { type ConfigIssue, isRecord } from './paths.ts';
import type { LoadgateConfig, ServiceConfig, TargetConfig } from './schema.ts';

/**
 * `service` (loadgate starts it) or `target` (already deployed): exactly one. A target starts no
 * containers, so nothing may ask for one: no dependencies, no upstreams, no toxics or stub
 * behaviour in the phases. Read from the raw config, so these show beside every other problem.
 */
export function targetIssues(raw: unknown): ConfigIssue[] {
  if (!isRecord(raw)) return [];
  const hasService = raw.service !== undefined;
  const hasTarget = raw.target !== undefined;
  if (!hasService && !hasTarget) {
    return [
      {
        path: ['service'],
        message:
          'required but missing; e.g. service: { image: myorg/app:tag, port: 8000 }, or target: { url: https://staging.example.com } for a service that is already deployed',
      },
    ];
  }
  if (hasService && hasTarget) {
    return [
      {
        path: ['target'],
        message:
          'give either service (loadgate starts it in a container) or target (a service already deployed), not both',
      },
    ];
  }
  if (!hasTarget) return [];
  const issues: ConfigIssue[] = [];
  const noContainers = 'a target is already deployed and loadgate starts no containers';
  if (isRecord(raw.dependencies) && Object.keys(raw.dependencies).length > 0) {
    issues.push({
      path: ['dependencies'],
      message: `${noContainers}, so no dependencies either; remove them (the target reaches its own)`,
    });
  }
  if (isRecord(raw.upstreams) && Object.keys(raw.upstreams).length > 0) {
    issues.push({
      path: ['upstreams'],
      message: `${noContainers}: it calls its own upstreams, where loadgate cannot put Toxiproxy in front; remove upstreams`,
    });
  }
  if (Array.isArray(raw.phases)) {
    raw.phases.forEach((phase, i) => {
      if (!isRecord(phase)) return;
      for (const key of ['toxics', 'stubs'] as const) {
        const value = phase[key];
        if (isRecord(value) && Object.keys(value).length > 0) {
          issues.push({
            path: ['phases', i, key],
            message: `${noContainers}, so it cannot slow or break the target's upstreams (toxics and stubs need containers loadgate started); keep the phase as a plain name`,
          });
        }
      }
    });
  }
  return issues;
}

/** The service to start; a ConfigError when the config names a deployed target instead. */
export function requireService(config: LoadgateConfig, what: string): ServiceConfig {
  if (config.service === undefined) {
    throw new ConfigError(
      `${what} needs service: (a container loadgate starts); this config names a deployed target`,
      ['target'],
    );
  }
  return config.service;
}

/** The deployed target; a ConfigError when the config names a service to start instead. */
export function requireTarget(config: LoadgateConfig, what: string): TargetConfig {
  if (config.target === undefined) {
    throw new ConfigError(
      `${what} needs target: { url } (a service already deployed, which every runner loads at once); this config starts its own service, so each runner would load a copy of its own`,
      ['service'],
    );
  }
  return config.target;
}
