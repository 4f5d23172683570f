import { closest } from './messages.ts';
import type { ConfigIssue } from './paths.ts';
import { type LoadgateConfig, TOXIPROXY_ALIAS } from './schema.ts';

/** A container other containers may name in `${name.host}`/`${name.port}`. */
export interface ReferableContainer {
  env: Record<string, string>;
  ports: number[];
}

/**
 * Every container an env value may refer to, by name: the dependencies, then the upstreams (a
 * stub has no env and listens on its one port). Start order and references are checked over
 * all of them together.
 */
export function referableContainers(
  config: Pick<LoadgateConfig, 'dependencies' | 'upstreams'>,
): Record<string, ReferableContainer> {
  const out: Record<string, ReferableContainer> = {};
  for (const [name, dependency] of Object.entries(config.dependencies))
    out[name] = { env: dependency.env, ports: dependency.ports };
  for (const [name, upstream] of Object.entries(config.upstreams))
    if (!Object.hasOwn(out, name)) out[name] = { env: upstream.env, ports: upstream.ports };
  return out;
}

/** The names that get a proxy in front: every upstream and each dependency with `proxied: true`. */
export function proxiedNames(config: Pick<LoadgateConfig, 'dependencies' | 'upstreams'>): string[] {
  return [
    ...Object.entries(config.dependencies)
      .filter(([, dependency]) => dependency.proxied)
      .map(([name]) => name),
    ...Object.keys(config.upstreams),
  ];
}

/**
 * Problems between upstreams, dependencies and phases: a name used twice or reserved, toxics on
 * something without a proxy, stub settings for something that is not a stub, a gate threshold
 * scoped to a phase that does not run.
 */
export function faultIssues(config: LoadgateConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const name of Object.keys(config.upstreams)) {
    if (Object.hasOwn(config.dependencies, name))
      issues.push({
        path: ['upstreams', name],
        message: `"${name}" is also the name of a dependency; containers are reached by name, so each needs its own`,
      });
  }
  for (const [section, names] of [
    ['dependencies', Object.keys(config.dependencies)],
    ['upstreams', Object.keys(config.upstreams)],
  ] as const) {
    if (names.includes(TOXIPROXY_ALIAS))
      issues.push({
        path: [section, TOXIPROXY_ALIAS],
        message: `"${TOXIPROXY_ALIAS}" is the name of loadgate's own Toxiproxy; choose another name`,
      });
  }
  const proxied = proxiedNames(config);
  const stubs = Object.entries(config.upstreams)
    .filter(([, upstream]) => upstream.kind === 'stub')
    .map(([name]) => name);
  config.phases.forEach((phase, i) => {
    for (const target of Object.keys(phase.toxics)) {
      if (proxied.includes(target)) continue;
      const hint = closest(target, proxied);
      issues.push({
        path: ['phases', i, 'toxics', target],
        message: `"${target}" has no proxy in front${hint ? ` (did you mean ${hint}?)` : ''}; toxics apply to upstreams and to dependencies with proxied: true${
          proxied.length > 0 ? ` (here: ${proxied.join(', ')})` : ''
        }`,
      });
    }
    for (const target of Object.keys(phase.stubs)) {
      if (stubs.includes(target)) continue;
      const hint = closest(target, stubs);
      issues.push({
        path: ['phases', i, 'stubs', target],
        message: `"${target}" is not a stub upstream${hint ? ` (did you mean ${hint}?)` : ''}; ${
          stubs.length > 0 ? `the stubs are ${stubs.join(', ')}` : 'declare one under upstreams with stub:'
        }`,
      });
    }
  });
  const phaseNames = config.phases.map((phase) => phase.name);
  config.gate.thresholds.forEach((threshold, i) => {
    if (threshold.phase === undefined || phaseNames.includes(threshold.phase)) return;
    const hint = closest(threshold.phase, phaseNames);
    issues.push({
      path: ['gate', 'thresholds', i, 'phase'],
      message: `"${threshold.phase}" is not a phase${hint ? ` (did you mean ${hint}?)` : ''}; the phases are ${phaseNames.join(', ')}`,
    });
  });
  return issues;
}
