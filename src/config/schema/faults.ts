import { z } from 'zod';
import { isRecord } from '../paths.ts';
import {
  atMost,
  buildSchema,
  CONFIG_LIMITS,
  commandSchema,
  duration,
  envSchema,
  evenWithOtherErrors,
  imageName,
  normalizeContainer,
  pattern,
  rate,
  scalarText,
  waitSchema,
} from './fields.ts';
import { HTTP_METHODS, statusCode } from './load.ts';
import { DependencyNameSchema, PortsSchema } from './service.ts';

// ---- upstreams and phases ----------------------------------------------------------------------

/** The port a built-in stub upstream listens on inside its container. */
export const STUB_PORT = 8080;
/** The network alias of the run's Toxiproxy; no dependency or upstream may take it. */
export const TOXIPROXY_ALIAS = 'loadgate-toxiproxy';

export const latencySchema = z
  .strictObject({
    fixed: duration('every response waits this long', { minMs: 0 }).optional(),
    uniform: z
      .strictObject({
        min: duration('the shortest wait', { minMs: 0 }),
        max: duration('the longest wait', { minMs: 0 }),
      })
      .optional(),
    lognormal: z
      .strictObject({
        p50: duration('the median wait', { minMs: 0 }),
        p99: duration('the 99th percentile of the wait', { minMs: 0 }),
      })
      .optional(),
  })
  .superRefine((latency, ctx) => {
    const kinds = (['fixed', 'uniform', 'lognormal'] as const).filter((kind) => latency[kind] !== undefined);
    if (kinds.length !== 1) {
      ctx.issues.push({
        code: 'custom',
        input: latency,
        message:
          kinds.length === 0
            ? 'names no distribution; write { fixed: 120ms }, { uniform: { min: 50ms, max: 150ms } } or { lognormal: { p50: 100ms, p99: 400ms } }'
            : `names ${kinds.join(' and ')}; choose one of fixed, uniform or lognormal`,
      });
    }
    if (latency.uniform && latency.uniform.min > latency.uniform.max) {
      ctx.issues.push({
        code: 'custom',
        input: latency.uniform,
        path: ['uniform'],
        message: 'min is above max; write the shorter wait as min',
      });
    }
    if (latency.lognormal && latency.lognormal.p50 > latency.lognormal.p99) {
      ctx.issues.push({
        code: 'custom',
        input: latency.lognormal,
        path: ['lognormal'],
        message: 'p50 is above p99; a percentile cannot be below the median',
      });
    }
  })
  .transform((latency) => {
    if (latency.uniform)
      return { kind: 'uniform' as const, minMs: latency.uniform.min, maxMs: latency.uniform.max };
    if (latency.lognormal)
      return { kind: 'lognormal' as const, p50Ms: latency.lognormal.p50, p99Ms: latency.lognormal.p99 };
    return { kind: 'fixed' as const, ms: latency.fixed ?? 0 };
  })
  .describe(
    'how long each response waits: { fixed: 120ms }, { uniform: { min: 50ms, max: 150ms } } or { lognormal: { p50: 100ms, p99: 400ms } }',
  );

export const statusMixSchema = z
  .array(
    z.strictObject({
      status: statusCode.describe('the status answered instead'),
      rate: rate.describe('the share of requests answered with it, e.g. "2%"'),
    }),
  )
  .superRefine((mix, ctx) => {
    const total = mix.reduce((sum, entry) => sum + entry.rate, 0);
    if (total > 1 + 1e-9)
      ctx.issues.push({
        code: 'custom',
        input: mix,
        message: `the shares add up to ${Math.round(total * 1000) / 10}%; at most 100%`,
      });
  })
  .describe(
    'failures mixed in, spread evenly over the requests: [{ status: 503, rate: "2%" }] answers 503 to one request in fifty',
  );

export const stubRouteSchema = z
  .strictObject({
    path: pattern(
      /^\/\S*$/,
      'write a path starting with "/"; end it with "*" to match every path under it, e.g. /v1/*',
      'the path it answers (query ignored); a trailing "*" matches every path with that start',
    ),
    method: z.enum(HTTP_METHODS).optional().describe('only this method (default: any)'),
    status: statusCode.prefault(200).describe('the status answered (default 200)'),
    headers: z
      .record(z.string().min(1), scalarText('a header value'))
      .default({})
      .describe('response headers'),
    body: z
      .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
      .optional()
      .describe('the response body: text, or a mapping or list sent as JSON'),
  })
  .transform(({ path, method, status, headers, body }) => {
    const json = body === undefined || typeof body !== 'string';
    const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    return {
      path: path.endsWith('*') ? path.slice(0, -1) : path,
      prefix: path.endsWith('*'),
      method: method ?? null,
      status,
      headers: json && !hasContentType ? { ...headers, 'Content-Type': 'application/json' } : headers,
      body: body === undefined ? '{}' : typeof body === 'string' ? body : JSON.stringify(body),
    };
  });

/** A stub's behaviour that a phase may change: its latency and its failures. */
export const stubBehaviourFields = {
  latency: latencySchema.optional(),
  errors: statusMixSchema.optional(),
};

export const StubSchema = z
  .strictObject({
    routes: z
      .array(stubRouteSchema)
      .min(1)
      .optional()
      .describe('canned answers, first match wins; default: 200 with {} for every path'),
    ...stubBehaviourFields,
  })
  .transform(({ routes, latency, errors }) => ({
    routes: routes ?? [
      {
        path: '/',
        prefix: true,
        method: null,
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      },
    ],
    latency: latency ?? { kind: 'fixed' as const, ms: 0 },
    errors: errors ?? [],
  }))
  .describe(
    'a built-in stub for a third-party API: canned answers per path, a latency distribution, a status mix',
  );

/**
 * An upstream the service calls, always behind Toxiproxy: a real container (image or build, as a
 * dependency) or a built-in stub (`stub:`). `${name.host}`/`${name.port}` in the service's env
 * give the proxy's address.
 */
export const UpstreamSchema = z
  .strictObject({
    image: imageName.optional(),
    build: buildSchema.optional(),
    command: commandSchema.optional(),
    env: envSchema.optional(),
    wait: waitSchema.optional(),
    startupTimeout: duration('how long the container may take to be ready', {
      minMs: 1000,
      maxMs: CONFIG_LIMITS.startupTimeoutMs,
    }).optional(),
    ports: PortsSchema.optional(),
    stub: StubSchema.optional(),
  })
  .superRefine((upstream, ctx) => {
    const sources = (['image', 'build', 'stub'] as const).filter((key) => upstream[key] !== undefined);
    if (sources.length !== 1) {
      ctx.issues.push({
        code: 'custom',
        input: upstream,
        message:
          sources.length === 0
            ? 'needs an image, a build or a stub: e.g. { stub: { routes: [{ path: /quote }] } }'
            : `has ${sources.join(' and ')}; keep one: image or build runs a container, stub the built-in stub`,
      });
    }
    if (upstream.stub !== undefined) {
      for (const key of ['command', 'env', 'wait', 'startupTimeout', 'ports'] as const) {
        // ports defaults to [], so only listed ports count as given
        if (key === 'ports' ? (upstream.ports ?? []).length > 0 : upstream[key] !== undefined)
          ctx.issues.push({
            code: 'custom',
            input: upstream[key],
            path: [key],
            message: `applies only to a container; a stub takes its settings under stub: (it listens on ${STUB_PORT})`,
          });
      }
    } else if ((upstream.ports ?? []).length === 0) {
      ctx.issues.push({
        code: 'custom',
        input: upstream.ports,
        path: ['ports'],
        message: `list the port the service calls, e.g. [8080]: Toxiproxy stands in front of the first one`,
      });
    }
  }, evenWithOtherErrors)
  .transform(({ stub, ports, env, wait, startupTimeout, ...container }) =>
    stub !== undefined
      ? { kind: 'stub' as const, stub, ports: [STUB_PORT], env: {} as Record<string, string> }
      : {
          kind: 'container' as const,
          ...normalizeContainer({
            ...container,
            env: env ?? {},
            wait: wait ?? { kind: 'port' as const },
            startupTimeout: startupTimeout ?? 60_000,
          }),
          ports: ports ?? [],
        },
  )
  .meta({
    description:
      'an upstream the service calls, behind Toxiproxy: a container (image or build, like a dependency) or a built-in stub',
    oneOf: [{ required: ['image'] }, { required: ['build'] }, { required: ['stub'] }],
  });

export const UpstreamsSchema = z
  .record(DependencyNameSchema, UpstreamSchema)
  .default({})
  .describe(
    `upstreams the service calls, by name, each behind Toxiproxy so phases can slow or break them; the service reaches one at \${name.host}:\${name.port}`,
  );

export const stream = z
  .enum(['downstream', 'upstream'])
  .default('downstream')
  .describe('downstream: answers to the service (default); upstream: the service’s requests');
export const toxicity = rate.prefault(1).describe('the share of connections affected (default 100%)');

/** Toxiproxy's toxics, with units in the names once read. */
export const ToxicSchema = z
  .discriminatedUnion('type', [
    z
      .strictObject({
        type: z.literal('latency'),
        latency: duration('added to each piece of data', { minMs: 0 }),
        jitter: duration('up to this much more or less', { minMs: 0 }).prefault('0ms'),
        stream,
        toxicity,
      })
      .transform(({ latency, jitter, ...t }) => ({ ...t, latencyMs: latency, jitterMs: jitter })),
    z
      .strictObject({
        type: z.literal('timeout'),
        timeout: duration('data stops; the connection closes after this long (0: never)', { minMs: 0 }),
        stream,
        toxicity,
      })
      .transform(({ timeout, ...t }) => ({ ...t, timeoutMs: timeout })),
    z
      .strictObject({
        type: z.literal('reset_peer'),
        timeout: duration('connections are reset after this long (0: at once)', { minMs: 0 }).prefault('0ms'),
        stream,
        toxicity,
      })
      .transform(({ timeout, ...t }) => ({ ...t, timeoutMs: timeout })),
    z
      .strictObject({
        type: z.literal('bandwidth'),
        rate: z.number().positive().describe('kilobytes per second'),
        stream,
        toxicity,
      })
      .transform(({ rate: kb, ...t }) => ({ ...t, kilobytesPerSecond: kb })),
    z
      .strictObject({
        type: z.literal('slow_close'),
        delay: duration('closing waits this long', { minMs: 0 }),
        stream,
        toxicity,
      })
      .transform(({ delay, ...t }) => ({ ...t, delayMs: delay })),
    z
      .strictObject({
        type: z.literal('limit_data'),
        bytes: z.int().nonnegative().describe('the connection closes after this many bytes'),
        stream,
        toxicity,
      })
      .transform(({ bytes, ...t }) => ({ ...t, bytes })),
    z.strictObject({ type: z.literal('down') }).describe('the proxy refuses connections'),
  ])
  .describe(
    'a Toxiproxy toxic: latency (latency, jitter), timeout, reset_peer, bandwidth (rate KB/s), slow_close (delay), limit_data (bytes), or down',
  );

export const phaseName = pattern(
  /^(?!.*__)[A-Za-z0-9_-]+$/,
  'use letters, digits, "_" and "-" (not "__")',
  'a phase name, e.g. degraded',
);

export const PhaseSchema = z
  .union([
    phaseName,
    z.strictObject({
      name: phaseName,
      toxics: z
        .record(DependencyNameSchema, z.array(ToxicSchema))
        .default({})
        .describe('per upstream or proxied dependency, the toxics during this phase'),
      stubs: z
        .record(DependencyNameSchema, z.strictObject(stubBehaviourFields))
        .default({})
        .describe('per stub upstream, its latency and errors during this phase (the rest as configured)'),
    }),
  ])
  .transform((phase) => (typeof phase === 'string' ? { name: phase, toxics: {}, stubs: {} } : phase))
  .describe('a phase: a name (no faults), or { name, toxics, stubs }');

export const PhasesSchema = atMost(z.array(PhaseSchema).min(1), CONFIG_LIMITS.phases, 'phases')
  .superRefine(
    (phases, ctx) => {
      // read even when some phase is broken: each is a name, a mapping with one, or neither
      const names = (phases as unknown[]).map((phase) =>
        typeof phase === 'string'
          ? phase
          : isRecord(phase) && typeof phase.name === 'string'
            ? phase.name
            : null,
      );
      names.forEach((name, i) => {
        const first = names.indexOf(name);
        if (name !== null && first !== i)
          ctx.issues.push({
            code: 'custom',
            input: name,
            path: [i],
            message: `"${name}" is already the name of phases[${first}]; phase names must be unique`,
          });
      });
    },
    { when: (payload) => Array.isArray(payload.value) },
  )
  .prefault(['clean'])
  .describe(
    'the run goes through these phases in order, the whole ladder in each, e.g. [clean, { name: degraded, toxics: { upstream: [{ type: latency, latency: 780ms }] } }, recovery]; default [clean]',
  );
