import { z } from 'zod';
import { describeValue } from './paths.ts';
import { PhasesSchema, UpstreamsSchema } from './schema/faults.ts';

import { CONFIG_VERSION, portNumber, type waitSchema } from './schema/fields.ts';
import { GateSchema } from './schema/gate.ts';
import { LoadSchema } from './schema/load.ts';
import { MetricsSchema, PairedSchema } from './schema/metrics.ts';
import { DependenciesSchema, ServiceSchema, TargetSchema } from './schema/service.ts';

/**
 * The config file (default `.github/loadgate.yml`). One schema does two jobs: its input side is
 * what users write (strict: an unknown key is an error; durations and rates as text), and its
 * output side, `LoadgateConfig`, is what the rest of loadgate reads (units in the names, defaults
 * filled in). `validateConfig` adds the checks that span sections; `schemas/config.schema.json`
 * is generated from the input side.
 */
export {
  PhaseSchema,
  PhasesSchema,
  STUB_PORT,
  StubSchema,
  TOXIPROXY_ALIAS,
  ToxicSchema,
  UpstreamSchema,
  UpstreamsSchema,
} from './schema/faults.ts';
export { CONFIG_LIMITS, CONFIG_VERSION, EnvValueSchema } from './schema/fields.ts';
export {
  GateSchema,
  LATENCY_METRICS,
  LEVEL_COUNT_METRICS,
  POOL_WAIT_METRICS,
  RATE_METRICS,
  THROUGHPUT_METRIC,
  ThresholdSchema,
} from './schema/gate.ts';
export {
  DERIVED_MAX_VUS,
  derivedMaxVUs,
  HTTP_METHODS,
  LOAD_MODELS,
  LoadSchema,
  ProbeSchema,
  RequestSchema,
} from './schema/load.ts';
export { MetricsSchema, PairedSchema, PoolWaitSchema, PostgresSamplerSchema } from './schema/metrics.ts';
export {
  DependenciesSchema,
  DependencyNameSchema,
  DependencySchema,
  PortsSchema,
  ServiceMetricsEndpointSchema,
  ServiceSchema,
  TargetSchema,
  targetUrlProblem,
} from './schema/service.ts';

// ---- compose -----------------------------------------------------------------------------------

/**
 * A docker-compose.yml describing the service and its dependencies (src/config/compose.ts): read
 * before validation into `service` and `dependencies`, under whatever those sections say.
 */
export const ComposeSchema = z
  .strictObject({
    file: z
      .string()
      .min(1)
      .describe('the compose file, relative to the config file, e.g. docker-compose.yml'),
    service: z
      .string()
      .min(1)
      .describe('the compose service under test; it and the services it depends on (depends_on) are started'),
    port: portNumber
      .describe("the container port that serves HTTP (default the service's first in ports or expose)")
      .optional(),
  })
  .describe(
    "an existing docker-compose.yml as the service and its dependencies: { file: docker-compose.yml, service: app }; loadgate's own service and dependencies settings are laid over it",
  );

// ---- the whole file ----------------------------------------------------------------------------

export const ConfigSchema = z
  .strictObject({
    version: z
      .literal(CONFIG_VERSION, {
        error: (issue) =>
          issue.input === undefined
            ? `required but missing; write version: ${CONFIG_VERSION} at the top of the file`
            : `${describeValue(issue.input)} is not a config version this loadgate reads; write version: ${CONFIG_VERSION}`,
      })
      .describe(`the config format; write ${CONFIG_VERSION}`),
    service: ServiceSchema.optional(),
    target: TargetSchema.optional(),
    dependencies: DependenciesSchema,
    load: LoadSchema,
    gate: GateSchema,
    upstreams: UpstreamsSchema,
    phases: PhasesSchema,
    metrics: MetricsSchema,
    paired: PairedSchema,
    compose: ComposeSchema.optional(),
  })
  .meta({
    description:
      'loadgate: starts the service and its dependencies (or takes a deployed target), drives it with k6 level by level, and gates the release',
    // a deployed target, or a service to start (written out, or from a compose file, or both)
    oneOf: [{ required: ['target'] }, { anyOf: [{ required: ['service'] }, { required: ['compose'] }] }],
  });

/** The config as written (input) and as loadgate reads it (normalized: units in names, defaults filled). */
export type LoadgateConfigInput = z.input<typeof ConfigSchema>;
export type LoadgateConfig = z.infer<typeof ConfigSchema>;
export type ServiceConfig = NonNullable<LoadgateConfig['service']>;
export type TargetConfig = NonNullable<LoadgateConfig['target']>;
export type DependencyConfig = LoadgateConfig['dependencies'][string];
export type UpstreamConfig = LoadgateConfig['upstreams'][string];
export type StubConfig = Extract<UpstreamConfig, { kind: 'stub' }>['stub'];
export type PhaseConfig = LoadgateConfig['phases'][number];
export type ToxicConfig = PhaseConfig['toxics'][string][number];
export type LoadConfig = LoadgateConfig['load'];
export type RequestConfig = LoadConfig['requests'][number];
export type GateThreshold = LoadgateConfig['gate']['thresholds'][number];
export type WaitStrategy = z.output<typeof waitSchema>;
export type BuildConfig = NonNullable<ServiceConfig['build']>;
export type MetricsConfig = LoadgateConfig['metrics'];
