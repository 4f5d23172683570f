import { z } from 'zod';
import { ladderDurationS } from '../load/plan.ts';
import { faultIssues, referableContainers } from './faults.ts';
import { closest, issueMessage, toConfigIssues } from './messages.ts';
import { type ConfigIssue, formatIssue, isRecord } from './paths.ts';
import { checkReferences } from './refs.ts';
import {
  CONFIG_LIMITS,
  ConfigSchema,
  DependencyNameSchema,
  EnvValueSchema,
  type GateThreshold,
  type LoadgateConfig,
  PortsSchema,
  RequestSchema,
  ThresholdSchema,
} from './schema.ts';
import { secretIssues } from './secrets.ts';
import { targetIssues } from './target.ts';

export interface ConfigValidation {
  /** present only when there are no errors */
  config?: LoadgateConfig;
  /** every problem found, each `path: message` */
  errors: string[];
  /** things that work but probably are not what was meant, each `path: message` */
  warnings: string[];
}

/**
 * Checks a parsed config file (after overrides) and normalizes it. Pure; never throws. Reports
 * every problem at once: the shape of each section, and the checks that span sections (env
 * references, gate references) on whichever sections are well formed on their own.
 */
export function validateConfig(raw: unknown): ConfigValidation {
  const { config, issues } = validateConfigIssues(raw);
  return {
    ...(config ? { config } : {}),
    errors: unique(issues.map(formatIssue)),
    warnings: config ? unique(configWarnings(config).map(formatIssue)) : [],
  };
}

/** validateConfig with each problem's path kept apart from its message (to point at a YAML line). */
export function validateConfigIssues(raw: unknown): { config?: LoadgateConfig; issues: ConfigIssue[] } {
  if (raw === undefined || raw === null) {
    return {
      issues: [
        {
          path: [],
          message: 'the config is empty; it needs at least version: 1, service (or target) and load',
        },
      ],
    };
  }
  const parsed = ConfigSchema.safeParse(raw, { error: issueMessage });
  const issues = parsed.success ? [] : toConfigIssues(parsed.error.issues);
  issues.push(...crossSectionIssues(raw, parsed.success ? parsed.data : undefined));
  return parsed.success && issues.length === 0 ? { config: parsed.data, issues } : { issues };
}

interface GateParts {
  /** undefined when the ladder is broken: nothing to check levels against */
  levels?: readonly number[];
  /** undefined when a script names the requests, or the requests are broken */
  requestNames?: readonly string[];
  /** the thresholds that are well formed, with their index in the file */
  thresholds: [number, GateThreshold][];
}

/** What the gate reference checks read, from whichever parts are well formed on their own. */
function gateParts(raw: unknown): GateParts | undefined {
  if (!isRecord(raw) || !isRecord(raw.load) || !isRecord(raw.gate) || !Array.isArray(raw.gate.thresholds))
    return undefined;
  const { levels, requests, script } = raw.load;
  const parts: GateParts = { thresholds: [] };
  // Only a ladder and names that are well formed themselves: otherwise their own errors say it all.
  const ladder = z.array(z.int().min(1)).min(1).safeParse(levels);
  if (ladder.success) parts.levels = ladder.data;
  if (script === undefined && Array.isArray(requests) && requests.length > 0) {
    const names = requests.map((request) =>
      RequestSchema.in.shape.name.safeParse(isRecord(request) ? request.name : undefined),
    );
    if (names.every((name) => name.success)) parts.requestNames = names.map((name) => name.data);
  }
  raw.gate.thresholds.forEach((value, i) => {
    const threshold = ThresholdSchema.safeParse(value);
    if (threshold.success) parts.thresholds.push([i, threshold.data]);
  });
  return parts;
}

interface ReferenceParts {
  service?: { env: Record<string, string> };
  dependencies: Record<string, { env: Record<string, string>; ports: number[] }>;
  declared: string[];
}

/**
 * What the env reference checks read, taken value by value: a reference is checked whenever its
 * own value is well formed, whatever else is broken around it. A dependency whose ports are
 * broken is left out of the port checks; one whose name is broken, out of everything.
 */
function referenceParts(raw: unknown): ReferenceParts | undefined {
  if (!isRecord(raw)) return undefined;
  const wellFormedEnv = (env: unknown) => {
    const out: Record<string, string> = {};
    if (isRecord(env)) {
      for (const [key, value] of Object.entries(env)) {
        const parsed = EnvValueSchema.safeParse(value);
        if (parsed.success) out[key] = parsed.data;
      }
    }
    return out;
  };
  const parts: ReferenceParts = { dependencies: {}, declared: [] };
  if (isRecord(raw.service)) parts.service = { env: wellFormedEnv(raw.service.env) };
  if (raw.dependencies !== undefined && !isRecord(raw.dependencies)) return undefined;
  for (const [name, dependency] of Object.entries(raw.dependencies ?? {})) {
    if (!DependencyNameSchema.safeParse(name).success || !isRecord(dependency)) continue;
    parts.declared.push(name);
    const ports = PortsSchema.safeParse(dependency.ports);
    const env = wellFormedEnv(dependency.env);
    // Unknown ports: assume some, so that ${name.port} is not reported as missing.
    parts.dependencies[name] = { env, ports: ports.success ? ports.data : [0] };
  }
  // Upstreams are referred to like dependencies; their settings are checked on their own.
  if (isRecord(raw.upstreams)) {
    for (const [name, upstream] of Object.entries(raw.upstreams)) {
      if (!DependencyNameSchema.safeParse(name).success || Object.hasOwn(parts.dependencies, name)) continue;
      parts.declared.push(name);
      parts.dependencies[name] = { env: isRecord(upstream) ? wellFormedEnv(upstream.env) : {}, ports: [0] };
    }
  }
  return parts;
}

/** References from one section to another: env to containers, gate to requests and levels. */
function crossSectionIssues(raw: unknown, parsed: LoadgateConfig | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = targetIssues(raw);
  const refs = parsed
    ? {
        service: parsed.service,
        dependencies: referableContainers(parsed),
        declared: Object.keys(referableContainers(parsed)),
      }
    : referenceParts(raw);
  if (refs) issues.push(...checkReferences(refs.service, refs.dependencies, refs.declared));
  const gate = parsed
    ? {
        levels: parsed.load.levels,
        ...(parsed.load.script === undefined
          ? { requestNames: parsed.load.requests.map((r) => r.name) }
          : {}),
        thresholds: parsed.gate.thresholds.map((threshold, i): [number, GateThreshold] => [i, threshold]),
      }
    : gateParts(raw);
  if (gate) issues.push(...gateReferenceIssues(gate));
  issues.push(...secretIssues(raw));
  if (parsed) issues.push(...faultIssues(parsed));
  if (parsed) issues.push(...metricsReferenceIssues(parsed));
  if (parsed) issues.push(...planLengthIssues(parsed));
  return issues;
}

/** Seconds the config's ladder takes, every phase, warm-up and drain included. */
export function plannedLoadS(config: LoadgateConfig): number {
  return ladderDurationS({
    levelCount: config.load.levels.length,
    phaseCount: config.phases.length,
    levelDurationS: config.load.levelDurationS,
    warmupS: config.load.warmupS,
    requestTimeoutMs: config.load.requestTimeoutMs,
    probeIdleS: config.load.probe?.idleS ?? 0,
  });
}

/** The whole plan within CONFIG_LIMITS.planS: each part may be fine and their product not. */
function planLengthIssues(config: LoadgateConfig): ConfigIssue[] {
  const totalS = plannedLoadS(config);
  if (totalS <= CONFIG_LIMITS.planS) return [];
  const { load, phases } = config;
  return [
    {
      path: ['load'],
      message: `the ladder would take ${formatDuration(totalS)} (${phases.length} phase(s) × ${load.levels.length} levels × (${load.warmupS}s warm-up + ${load.levelDurationS}s), plus drains), over the ${formatDuration(CONFIG_LIMITS.planS)} a run may take; use fewer levels or phases, or shorter levels`,
    },
  ];
}

/** "6 h", "1 h 40 min", "2 min 30 s", "45 s". */
export function formatDuration(totalS: number): string {
  const s = Math.round(totalS);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return rest > 0 ? `${m} min ${rest} s` : `${m} min`;
  return `${rest} s`;
}

/** metrics.postgres names a declared dependency. */
function metricsReferenceIssues(config: LoadgateConfig): ConfigIssue[] {
  const postgres = config.metrics.postgres;
  if (!postgres || config.dependencies[postgres.dependency] !== undefined) return [];
  const declared = Object.keys(config.dependencies);
  const hint = closest(postgres.dependency, declared);
  return [
    {
      path: ['metrics', 'postgres', 'dependency'],
      message: `"${postgres.dependency}" is not a dependency${hint ? ` (did you mean ${hint}?)` : ''}; ${
        declared.length > 0 ? `declared: ${declared.join(', ')}` : 'none is declared'
      }`,
    },
  ];
}

function gateReferenceIssues({ levels, requestNames, thresholds }: GateParts): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [i, threshold] of thresholds) {
    if (threshold.level !== undefined && levels && !levels.includes(threshold.level)) {
      issues.push({
        path: ['gate', 'thresholds', i, 'level'],
        message: `${threshold.level} is not one of load.levels [${levels.join(', ')}]`,
      });
    }
    // A script of the user's own names its requests itself: there is nothing to check against.
    if (threshold.request !== undefined && requestNames && !requestNames.includes(threshold.request)) {
      const hint = closest(threshold.request, requestNames);
      issues.push({
        path: ['gate', 'thresholds', i, 'request'],
        message: `"${threshold.request}" is not the name of a request${hint ? ` (did you mean ${hint}?)` : ''}; load.requests are named ${requestNames.join(', ')}`,
      });
    }
  }
  return issues;
}

/** Settings that are valid but likely to mislead. */
export function configWarnings(config: LoadgateConfig): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  const { load } = config;
  if (load.levelDurationS < 10) {
    warnings.push({
      path: ['load', 'levelDuration'],
      message: `${load.levelDurationS}s per level is short: p99 over so few requests is noisy; 20s or more gives steadier numbers`,
    });
  }
  if (load.requestTimeoutMs >= load.levelDurationS * 1000) {
    warnings.push({
      path: ['load', 'requestTimeout'],
      message: `${load.requestTimeoutMs}ms is as long as a whole level (${load.levelDurationS}s); requests still waiting when a level ends are not measured in it`,
    });
  }
  load.requests.forEach((request, i) => {
    if (request.body !== undefined && (request.method === 'GET' || request.method === 'HEAD')) {
      warnings.push({
        path: ['load', 'requests', i, 'body'],
        message: `a ${request.method} request with a body: many servers and proxies ignore or reject it`,
      });
    }
  });
  return warnings;
}

function unique(lines: string[]): string[] {
  return [...new Set(lines)];
}
