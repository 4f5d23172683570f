import { z } from 'zod';
import { POOL_PRESET_NAMES, TIME_UNITS } from '../metrics/presets.ts';
import { describeValue, isRecord } from './paths.ts';
import { ENV_NAME as ENV_REF_NAME, parseEnvTemplate, SERVICE_NAME } from './refs.ts';
import {
  DURATION_PATTERN,
  durationProblem,
  PERCENT_PATTERN,
  parseDurationMs,
  parseRate,
  rateProblem,
} from './units.ts';

/**
 * The config file (default `.github/loadgate.yml`). One schema does two jobs: its input side is
 * what users write (strict: an unknown key is an error; durations and rates as text), and its
 * output side, `LoadgateConfig`, is what the rest of loadgate reads (units in the names, defaults
 * filled in). `validateConfig` adds the checks that span sections; `schemas/config.schema.json`
 * is generated from the input side.
 */
export const CONFIG_VERSION = 1;

// ---- limits ----------------------------------------------------------------------------------

/**
 * The upper bounds of a config, checked before anything starts. A GitHub-hosted job runs for 6 h
 * at most, so a plan longer than that could never finish there; each bound keeps every timer
 * loadgate sets far below setTimeout's 2^31−1 ms (24.8 days), past which it fires at once.
 */
export const CONFIG_LIMITS = {
  /** load.levels */
  levels: 100,
  /** phases */
  phases: 20,
  /** load.requests, load.scriptRequests */
  requests: 100,
  /** gate.thresholds */
  thresholds: 500,
  /** load.levelDuration */
  levelDurationMs: 60 * 60_000,
  /** load.warmup */
  warmupMs: 30 * 60_000,
  /** load.requestTimeout */
  requestTimeoutMs: 10 * 60_000,
  /** a container's startupTimeout */
  startupTimeoutMs: 60 * 60_000,
  /** any other duration */
  durationMs: 24 * 60 * 60_000,
  /** the ladder from its first request to its last: every phase, level, warm-up and drain */
  planS: 6 * 60 * 60,
  /** paired.blocks and paired.maxBlocks */
  pairedBlocks: 50,
} as const;

// ---- small pieces ----------------------------------------------------------------------------

type Message = (issue: z.core.$ZodRawIssue) => string;

/** A schema's own wording, except for a missing value, which the shared map words uniformly. */
function say(message: Message): (issue: z.core.$ZodRawIssue) => string | undefined {
  return (issue) => (issue.input === undefined ? undefined : message(issue));
}

/** The message for a required section that is missing, with an example to copy. */
function missing(example: string) {
  return (issue: z.core.$ZodRawIssue) =>
    issue.code === 'invalid_type' && issue.input === undefined
      ? `required but missing; e.g. ${example}`
      : undefined;
}

/** Checks that read the value even when a sibling failed: each guards on what it reads. */
const evenWithOtherErrors = { when: (payload: z.core.ParsePayload) => isRecord(payload.value) };

/** A duration between `minMs` and `maxMs` (default CONFIG_LIMITS.durationMs): every duration is bounded. */
function duration(
  description: string,
  { minMs, maxMs = CONFIG_LIMITS.durationMs }: { minMs: number; maxMs?: number },
) {
  const problem = say((issue) => durationProblem(issue.input));
  return z
    .string({ error: problem })
    .regex(new RegExp(DURATION_PATTERN), { error: problem })
    .transform((text, ctx) => {
      const ms = parseDurationMs(text) as number;
      if (ms < minMs)
        ctx.issues.push({
          code: 'custom',
          input: text,
          message: `${text} is too short; at least ${formatMs(minMs)}`,
        });
      // "1" and 400 zeros is Infinity: too long too, never a number that JSON would write as null
      if (!(ms <= maxMs)) {
        ctx.issues.push({
          code: 'custom',
          input: text,
          message: `${text.length > 40 ? describeValue(text) : text} is too long; at most ${formatMs(maxMs)}`,
        });
      }
      return ms;
    })
    .describe(
      `${description}: a number with a unit, e.g. "900ms", "20s", "1.5s", "2m"; at most ${formatMs(maxMs)}`,
    );
}

function formatMs(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** An array of at most `max` items; a longer one stops its own checks (cost grows with the length). */
function atMost<T extends z.ZodArray>(array: T, max: number, what: string): T {
  return array.max(max, {
    abort: true,
    error: (issue) =>
      `${Array.isArray(issue.input) ? issue.input.length : 'too many'} ${what}; at most ${max}`,
  }) as T;
}

const rate = (() => {
  const problem = say((issue) => rateProblem(issue.input));
  return z
    .union(
      [
        z.number({ error: problem }).min(0, { error: problem }).max(1, { error: problem }),
        z.string({ error: problem }).regex(new RegExp(PERCENT_PATTERN), { error: problem }),
      ],
      { error: problem },
    )
    .transform((value, ctx) => {
      const parsed = parseRate(value);
      if (parsed === undefined) {
        ctx.issues.push({ code: 'custom', input: value, message: rateProblem(value) });
        return z.NEVER;
      }
      return parsed;
    })
    .describe('a share of requests: a percentage such as "0.1%", or a fraction between 0 and 1');
})();

/** Text, or a number or boolean taken as text: YAML reads `10` and `true` as those, env wants strings. */
function scalarText(what: string) {
  return z
    .union([z.string(), z.number(), z.boolean()], {
      error: say(
        (issue) => `expected ${what} (text, a number or true/false), got ${describeValue(issue.input)}`,
      ),
    })
    .transform((value) => String(value));
}

function positiveInt(description: string) {
  const problem = say((issue) => `expected a whole number of 1 or more, got ${describeValue(issue.input)}`);
  return z.int({ error: problem }).min(1, { error: problem }).describe(description);
}

const portNumber = (() => {
  const problem = say(
    (issue) => `${describeValue(issue.input)} is not a port; expected a whole number from 1 to 65535`,
  );
  return z
    .int({ error: problem })
    .min(1, { error: problem })
    .max(65535, { error: problem })
    .describe('a container port, 1..65535');
})();

function pattern(regex: RegExp, rule: string, description: string) {
  const problem = say((issue) => `${describeValue(issue.input)} is not allowed; ${rule}`);
  return z.string({ error: problem }).regex(regex, { error: problem }).describe(description);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const envName = pattern(
  ENV_NAME,
  'use letters, digits, "_", "." and "-", not starting with a digit',
  'a variable name',
);

export const EnvValueSchema = scalarText('a value')
  .transform((text, ctx) => {
    for (const problem of parseEnvTemplate(text).problems)
      ctx.issues.push({ code: 'custom', input: text, message: problem });
    return text;
  })
  .describe(
    `text; \${name.host} and \${name.port} become the address of a dependency (or of the service), \${env.NAME} the variable NAME of loadgate's environment (a secret: never written anywhere)`,
  );

const envSchema = z
  .record(envName, EnvValueSchema)
  .describe(`environment variables; values may use \${name.host} and \${name.port} of a dependency`);

const imageName = pattern(
  /^\S+$/,
  'write an image reference such as postgres:16 or ghcr.io/org/app:tag',
  'an image to run, e.g. postgres:16',
);

const buildObject = z.strictObject({
  context: z.string().min(1).default('.').describe("the build context, relative to the config file's folder"),
  dockerfile: z.string().min(1).default('Dockerfile').describe('the Dockerfile, relative to the context'),
  args: z
    .record(envName, scalarText('a build argument'))
    .default({})
    .describe('build arguments (--build-arg)'),
  target: z.string().min(1).optional().describe('the stage to build in a multi-stage Dockerfile'),
});

const buildSchema = z
  .union([
    z
      .string()
      .min(1)
      .transform(
        (
          context,
        ): { context: string; dockerfile: string; args: Record<string, string>; target?: string } => ({
          context,
          dockerfile: 'Dockerfile',
          args: {},
        }),
      ),
    buildObject,
  ])
  .describe(
    "a Dockerfile to build: its context folder (relative to the config file's folder), or { context, dockerfile, args, target }",
  );

const commandSchema = z
  .array(z.string())
  .min(1)
  .describe('the command to run instead of the image\'s default, as a list: ["python3", "-m", "app"]');

const waitSchema = z
  .strictObject({
    http: pattern(
      /^\/\S*$/,
      'write a path starting with "/", e.g. /health',
      'a path that answers 200 once the container is ready',
    ).optional(),
    log: z.string().min(1).optional().describe('text that appears in the log once the container is ready'),
    command: z
      .string()
      .min(1)
      .optional()
      .describe(
        'a shell command run inside the container until it succeeds, e.g. "pg_isready -U app" (what a compose healthcheck becomes)',
      ),
    times: positiveInt('how many times the log text must appear (default 1)').optional(),
    port: z
      .literal(true, {
        error: say(
          (issue) =>
            `expected true (wait until the port accepts connections), got ${describeValue(issue.input)}`,
        ),
      })
      .describe('wait until the port accepts connections')
      .optional(),
  })
  .superRefine((wait, ctx) => {
    const kinds = (['http', 'log', 'port', 'command'] as const).filter((kind) => wait[kind] !== undefined);
    if (kinds.length !== 1) {
      ctx.issues.push({
        code: 'custom',
        input: wait,
        message:
          kinds.length === 0
            ? 'names no way to wait; write { http: /health }, { log: "ready", times: 1 }, { port: true } or { command: "pg_isready" }'
            : `names ${kinds.join(' and ')}; choose one of http, log, port or command`,
      });
    }
    if (wait.times !== undefined && wait.log === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: wait.times,
        path: ['times'],
        message: 'applies only with log: (how often the log text must appear)',
      });
    }
  })
  .transform((wait) => {
    if (wait.http !== undefined) return { kind: 'http' as const, path: wait.http };
    if (wait.log !== undefined) return { kind: 'log' as const, message: wait.log, times: wait.times ?? 1 };
    if (wait.command !== undefined) return { kind: 'command' as const, command: wait.command };
    return { kind: 'port' as const };
  })
  .meta({
    description:
      'how to tell the container is ready: { http: /health }, { log: "text", times: 1 }, { command: "pg_isready" } or { port: true } (the default)',
    oneOf: [{ required: ['http'] }, { required: ['log'] }, { required: ['port'] }, { required: ['command'] }],
  });

const containerFields = {
  image: imageName.optional(),
  build: buildSchema.optional(),
  command: commandSchema.optional(),
  env: envSchema.default({}),
  wait: waitSchema.prefault({ port: true }),
  startupTimeout: duration('how long the container may take to be ready', {
    minMs: 1000,
    maxMs: CONFIG_LIMITS.startupTimeoutMs,
  }).prefault('60s'),
};

/** Exactly one of image and build, for the JSON Schema; oneSource says it in messages. */
const ONE_SOURCE = [{ required: ['image'] }, { required: ['build'] }];

/** Exactly one of image and build: read even when other fields are wrong. */
function oneSource(container: Record<string, unknown>, ctx: z.core.$RefinementCtx) {
  const hasImage = container.image !== undefined;
  const hasBuild = container.build !== undefined;
  if (hasImage === hasBuild) {
    ctx.issues.push({
      code: 'custom',
      input: container,
      message: hasImage
        ? 'has both image and build; keep one: image runs an existing image, build builds a Dockerfile'
        : 'needs an image (image: postgres:16) or a Dockerfile to build (build: { context: . })',
    });
  }
}

/** Units into names; image, build and command present only when given. */
function normalizeContainer<
  T extends {
    image?: string | undefined;
    build?: unknown;
    command?: string[] | undefined;
    startupTimeout: number;
  },
>({ image, build, command, startupTimeout, ...rest }: T) {
  return {
    ...(image !== undefined ? { image } : {}),
    ...(build !== undefined ? { build: build as Exclude<T['build'], undefined> } : {}),
    ...(command !== undefined ? { command } : {}),
    ...rest,
    startupTimeoutMs: startupTimeout,
  };
}

// ---- service and dependencies ----------------------------------------------------------------

/** Where the service's Prometheus metrics are; the pool figures are read from there. */
export const ServiceMetricsEndpointSchema = z
  .strictObject({
    path: pattern(
      /^\/\S*$/,
      'write a path starting with "/", e.g. /metrics',
      'the path of the Prometheus metrics (default /metrics)',
    ).default('/metrics'),
    port: portNumber
      .describe("the container port serving the metrics, when it is not the service's HTTP port")
      .optional(),
  })
  .describe(
    "the service's Prometheus metrics endpoint, e.g. { path: /metrics } or { path: /actuator/prometheus, port: 8081 }",
  );

export const ServiceSchema = z
  .strictObject(
    {
      ...containerFields,
      port: portNumber.describe('the container port that serves HTTP'),
      metrics: ServiceMetricsEndpointSchema.optional(),
    },
    { error: missing('service: { image: myorg/app:tag, port: 8000 }') },
  )
  .superRefine((service, ctx) => oneSource(service, ctx), evenWithOtherErrors)
  .transform(({ port, metrics, ...container }) => ({
    ...normalizeContainer(container),
    port,
    ...(metrics !== undefined ? { metrics } : {}),
  }))
  .meta({
    description: 'the service under test: an image or a Dockerfile, and the port it serves HTTP on',
    oneOf: ONE_SOURCE,
  });

/**
 * A service that is already deployed (staging, say): loadgate starts nothing and drives its URL.
 * Header values never reach the plan file or a log: k6 gets them through its environment.
 */
export const TargetSchema = z
  .strictObject(
    {
      url: z
        .string({ error: say((issue) => `expected a URL, got ${describeValue(issue.input)}`) })
        .superRefine((text, ctx) => {
          const problem = targetUrlProblem(text);
          if (problem) ctx.issues.push({ code: 'custom', input: text, message: problem });
        })
        .describe(
          'the base URL of the deployed service, http:// or https://; request paths are appended to it',
        ),
      headers: z
        .record(
          pattern(
            /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
            "a header name has letters, digits and !#$%&'*+-.^_`|~ only, e.g. Authorization",
            'a header name',
          ),
          scalarText('a header value'),
        )
        .default({})
        .describe(
          'headers every request and probe carries (e.g. Authorization); kept out of the plan file and the logs',
        ),
    },
    { error: missing('target: { url: https://staging.example.com }') },
  )
  .describe(
    'a service that is already deployed, instead of service: no containers are started; the same ladder, probe, gate and baselines, phases without toxics',
  );

/** Why a target URL is not usable, or undefined. */
export function targetUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${describeValue(text)} is not a URL; write e.g. https://staging.example.com`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `${url.protocol} is not supported; the target's URL must start with http:// or https://`;
  // URLs are printed in steps and reports; credentials belong in headers
  if (url.username !== '' || url.password !== '')
    return 'holds credentials; give them as a header (target.headers), which is never printed';
  if (url.search !== '' || url.hash !== '')
    return 'may not have a query or fragment: paths are appended to it';
  return undefined;
}

const DEPENDENCY_NAME = /^[a-z][a-z0-9-]{0,62}$/;
export const DependencyNameSchema = z
  .string()
  .regex(DEPENDENCY_NAME, {
    error: say(
      (issue) =>
        `${describeValue(issue.input)} is not a valid dependency name; use lowercase letters, digits and "-", starting with a letter (other containers reach it by this name)`,
    ),
  })
  .refine((name) => name !== SERVICE_NAME, {
    error: `"${SERVICE_NAME}" is the name of the service under test; choose another name`,
  })
  .refine((name) => name !== ENV_REF_NAME, {
    error: `"${ENV_REF_NAME}" names loadgate's environment in references (\${env.NAME}); choose another name`,
  });

export const PortsSchema = z
  .array(portNumber)
  .default([])
  .superRefine((ports, ctx) => {
    ports.forEach((port, i) => {
      const first = ports.indexOf(port);
      if (first !== i)
        ctx.issues.push({
          code: 'custom',
          input: port,
          path: [i],
          message: `${port} is listed twice (also at [${first}])`,
        });
    });
  })
  .describe(`container ports other containers connect to; the first is \${name.port}`);

export const DependencySchema = z
  .strictObject({
    ...containerFields,
    ports: PortsSchema,
    proxied: z
      .boolean()
      .default(false)
      .describe(
        `put Toxiproxy in front of its first port, so phases can slow or break it; the service's \${name.host}/\${name.port} then name the proxy`,
      ),
  })
  .superRefine((dependency, ctx) => oneSource(dependency, ctx), evenWithOtherErrors)
  .superRefine((dependency, ctx) => {
    if (dependency.proxied === true && Array.isArray(dependency.ports) && dependency.ports.length === 0)
      ctx.issues.push({
        code: 'custom',
        input: dependency.proxied,
        path: ['proxied'],
        message: 'needs a port to stand in front of; list it in ports, e.g. [5432]',
      });
  }, evenWithOtherErrors)
  .transform(({ ports, ...container }) => ({ ...normalizeContainer(container), ports }))
  .meta({ description: 'a container the service needs; its name is its network alias', oneOf: ONE_SOURCE });

export const DependenciesSchema = z
  .record(DependencyNameSchema, DependencySchema)
  .default({})
  .describe('containers started before the service, by name; each is reachable at its name');

// ---- load --------------------------------------------------------------------------------------

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const NAME = /^[A-Za-z0-9_-]+$/;
const requestName = pattern(
  NAME,
  'use letters, digits, "_" and "-"',
  'a name for this request in results and gates',
);

const statusCode = (() => {
  const problem = say(
    (issue) => `${describeValue(issue.input)} is not an HTTP status; expected a whole number from 100 to 599`,
  );
  return z.int({ error: problem }).min(100, { error: problem }).max(599, { error: problem });
})();

export const RequestSchema = z
  .strictObject({
    name: requestName,
    method: z.enum(HTTP_METHODS).default('GET').describe('the HTTP method (default GET)'),
    path: pattern(
      /^\/\S*$/,
      'write a path starting with "/", e.g. /items?limit=10',
      'the path and query, starting with "/"',
    ),
    weight: z
      .number({ error: say((issue) => `expected a number above 0, got ${describeValue(issue.input)}`) })
      .positive({ error: say((issue) => `expected a number above 0, got ${describeValue(issue.input)}`) })
      .default(1)
      .describe('how often this request is sent relative to the others (default 1)'),
    headers: z
      .record(z.string().min(1), scalarText('a header value'))
      .default({})
      .describe('request headers'),
    body: z
      .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
      .describe(
        'the request body: text, or a mapping or list sent as JSON (with content-type: application/json)',
      )
      .optional(),
    expectStatus: z
      .union([statusCode, z.array(statusCode).min(1)])
      .describe('the status codes that count as success, one or a list (default: any 2xx or 3xx)')
      .optional(),
  })
  .transform(({ body, expectStatus, headers, ...request }) => {
    const json = body !== undefined && typeof body !== 'string';
    const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    return {
      ...request,
      headers: json && !hasContentType ? { ...headers, 'Content-Type': 'application/json' } : headers,
      ...(body !== undefined ? { body: json ? JSON.stringify(body) : body } : {}),
      ...(expectStatus !== undefined
        ? { expectStatus: Array.isArray(expectStatus) ? expectStatus : [expectStatus] }
        : {}),
    };
  });

export const LOAD_MODELS = ['closed', 'open'] as const;

/** Probe requests per second: a number, or text such as "5/s". */
const probeRate = (() => {
  const problem = say(
    (issue) => `expected requests per second above 0, e.g. 5 or "5/s", got ${describeValue(issue.input)}`,
  );
  return z
    .union([z.number({ error: problem }).positive({ error: problem }), z.string({ error: problem })], {
      error: problem,
    })
    .transform((value, ctx) => {
      const match = typeof value === 'number' ? null : /^\s*(\d+(?:\.\d+)?)\s*\/\s*s\s*$/.exec(value);
      const perS = typeof value === 'number' ? value : Number(match?.[1] ?? Number.NaN);
      if (!(perS > 0) || perS > 1000) {
        ctx.issues.push({
          code: 'custom',
          input: value,
          message: `${describeValue(value)} is not a probe rate; expected requests per second from above 0 to 1000, e.g. 5 or "5/s"`,
        });
        return z.NEVER;
      }
      return perS;
    })
    .describe('probe requests per second, e.g. 5 or "5/s" (default 5)');
})();

/**
 * The blocking detector: a cheap request (a health check) at a low constant rate in a k6
 * scenario of its own beside every level, and alone on the idle service before the ladder.
 */
export const ProbeSchema = z
  .strictObject({
    path: pattern(
      /^\/\S*$/,
      'write a path starting with "/", e.g. /health',
      'a cheap GET that touches neither the pool nor an upstream, e.g. /health',
    ),
    rate: probeRate.prefault(5),
    idle: duration('how long the probe runs alone before the ladder, for its idle latency (0s: none)', {
      minMs: 0,
    }).prefault('3s'),
  })
  .transform(({ path, rate, idle }) => ({ path, ratePerS: rate, idleS: idle / 1000 }))
  .describe(
    'the blocking detector: { path: /health, rate: 5/s, idle: 3s } sends GET path at a constant rate beside every level; its latency against idle tells a blocked request path from a wait on a pool or upstream',
  );

/** The open model's VU cap when none is given: twice the top arrival rate, within these bounds. */
export const DERIVED_MAX_VUS = { perRequestPerSecond: 2, min: 10, max: 1000 } as const;

/** The VU cap of the open model when the config gives none. */
export function derivedMaxVUs(levels: readonly number[]): number {
  const top = levels.reduce((highest, level) => Math.max(highest, level), 0);
  return Math.min(
    DERIVED_MAX_VUS.max,
    Math.max(DERIVED_MAX_VUS.min, Math.ceil(top * DERIVED_MAX_VUS.perRequestPerSecond)),
  );
}

export const LoadSchema = z
  .strictObject(
    {
      model: z
        .enum(LOAD_MODELS)
        .default('closed')
        .describe(
          'closed: a constant number of virtual users per level; open: a constant arrival rate (requests/s) per level',
        ),
      levels: atMost(
        z
          .array(positiveInt('a level: virtual users (closed model) or requests per second (open model)'))
          .min(1),
        CONFIG_LIMITS.levels,
        'levels',
      )
        .superRefine((levels, ctx) => {
          levels.forEach((level, i) => {
            const previous = levels[i - 1];
            if (previous !== undefined && level <= previous) {
              ctx.issues.push({
                code: 'custom',
                input: level,
                path: [i],
                message: `${level} does not rise above the level before it (${previous}); levels must rise strictly, e.g. [1, 5, 10, 20]`,
              });
            }
          });
        })
        .describe('the ladder of load levels, strictly rising: virtual users (closed) or requests/s (open)'),
      levelDuration: duration('how long each level is measured', {
        minMs: 1000,
        maxMs: CONFIG_LIMITS.levelDurationMs,
      }).prefault('20s'),
      warmup: duration('unmeasured load before each level', {
        minMs: 0,
        maxMs: CONFIG_LIMITS.warmupMs,
      }).prefault('5s'),
      requestTimeout: duration('how long a request may take before it counts as a timeout', {
        minMs: 1,
        maxMs: CONFIG_LIMITS.requestTimeoutMs,
      }).prefault('5s'),
      maxVUs: positiveInt(
        'open model only: the most virtual users k6 may use (default: twice the top level, 10..1000)',
      ).optional(),
      script: z
        .string()
        .min(1)
        .optional()
        .describe(
          'a k6 script of your own to run instead of the built-in requests, relative to the config file',
        ),
      scriptRequests: atMost(z.array(requestName).min(1), CONFIG_LIMITS.requests, 'request names')
        .optional()
        .describe(
          'with script: the `req` tag values your script gives its requests, to get results per request (default: one result per level, named all)',
        ),
      requests: atMost(z.array(RequestSchema).min(1), CONFIG_LIMITS.requests, 'requests')
        .superRefine((requests, ctx) => {
          requests.forEach((request, i) => {
            const first = requests.findIndex((other) => other.name === request.name);
            if (first !== i) {
              ctx.issues.push({
                code: 'custom',
                input: request.name,
                path: [i, 'name'],
                message: `"${request.name}" is already the name of load.requests[${first}]; request names must be unique`,
              });
            }
          });
        })
        .optional()
        .describe('the requests each virtual user sends, picked by weight; required unless script is given'),
      probe: ProbeSchema.optional(),
    },
    { error: missing('load: { levels: [1, 5, 10], requests: [{ name: home, path: / }] }') },
  )
  .superRefine((load, ctx) => {
    if (load.model === 'closed' && load.maxVUs !== undefined) {
      ctx.issues.push({
        code: 'custom',
        input: load.maxVUs,
        path: ['maxVUs'],
        message: 'applies only to model: open; in the closed model each level is the number of virtual users',
      });
    }
    if (load.script === undefined && load.requests === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: undefined,
        path: ['requests'],
        message:
          'required unless load.script is given; list at least one request, e.g. [{ name: home, path: / }]',
      });
    }
    if (load.scriptRequests !== undefined && load.script === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: load.scriptRequests,
        path: ['scriptRequests'],
        message: 'names the requests of load.script, which is not given; remove it or add script',
      });
    }
    if (load.script !== undefined && load.requests !== undefined) {
      ctx.issues.push({
        code: 'custom',
        input: load.script,
        path: ['script'],
        message: 'replaces the built-in requests, so give either script or requests, not both',
      });
    }
  }, evenWithOtherErrors)
  .transform(
    ({
      model,
      levels,
      levelDuration,
      warmup,
      requestTimeout,
      maxVUs,
      script,
      scriptRequests,
      requests,
      probe,
    }) => ({
      model,
      levels,
      levelDurationS: levelDuration / 1000,
      warmupS: warmup / 1000,
      requestTimeoutMs: requestTimeout,
      ...(model === 'open' ? { maxVUs: maxVUs ?? derivedMaxVUs(levels) } : {}),
      ...(script !== undefined ? { script } : {}),
      ...(scriptRequests !== undefined ? { scriptRequests } : {}),
      requests: requests ?? [],
      ...(probe !== undefined ? { probe } : {}),
    }),
  )
  .meta({
    description: 'how the service is driven: the load model, the ladder of levels and the requests',
    oneOf: [{ required: ['requests'] }, { required: ['script'] }],
  });

// ---- gate --------------------------------------------------------------------------------------

export const LATENCY_METRICS = ['p50', 'p90', 'p95', 'p99', 'max'] as const;
export const RATE_METRICS = [
  'errorRate',
  'timeoutRate',
  'connectionErrorRate',
  'http5xxRate',
  'http4xxRate',
] as const;
export const THROUGHPUT_METRIC = 'throughputRps';
/** Per-level metrics of the service's pool (from its own metrics). */
export const POOL_WAIT_METRICS = ['poolWaitP95', 'poolWaitMean'] as const;
/** Per-level counts: pool timeouts, and peak DB connections (Postgres sampler or the pool's gauge). */
export const LEVEL_COUNT_METRICS = ['poolTimeouts', 'peakDbConnections'] as const;

const thresholdScope = {
  level: positiveInt('only at this level (one of load.levels); default every level').optional(),
  request: requestName
    .describe('only for this request (a load.requests name); default every request')
    .optional(),
  phase: pattern(
    NAME,
    'use letters, digits, "_" and "-"',
    'only in this phase, e.g. clean; default every phase',
  ).optional(),
};

function withScope<
  T extends { level?: number | undefined; request?: string | undefined; phase?: string | undefined },
>(threshold: T) {
  const { level, request, phase, ...rest } = threshold;
  return {
    ...rest,
    ...(level !== undefined ? { level } : {}),
    ...(request !== undefined ? { request } : {}),
    ...(phase !== undefined ? { phase } : {}),
  };
}

export const ThresholdSchema = z
  .discriminatedUnion('metric', [
    z
      .strictObject({
        metric: z.enum(LATENCY_METRICS).describe('a latency percentile or the maximum'),
        max: duration('the highest allowed latency', { minMs: 0 }),
        ...thresholdScope,
      })
      .transform(({ max, ...threshold }) => withScope({ ...threshold, maxMs: max })),
    z
      .strictObject({
        metric: z.enum(RATE_METRICS).describe('a share of requests that failed in some way'),
        max: rate.describe(
          'the highest allowed share: a percentage such as "0.1%", or a fraction between 0 and 1',
        ),
        ...thresholdScope,
      })
      .transform(({ max, ...threshold }) => withScope({ ...threshold, maxRate: max })),
    z
      .strictObject({
        metric: z.literal(THROUGHPUT_METRIC).describe('completed requests per second'),
        min: z
          .number({
            error: say(
              (issue) =>
                `expected requests per second (a number of 0 or more), got ${describeValue(issue.input)}`,
            ),
          })
          .nonnegative()
          .describe('the lowest allowed throughput, requests per second'),
        ...thresholdScope,
      })
      .transform(({ min, ...threshold }) => withScope({ ...threshold, minRps: min })),
    z
      .strictObject({
        metric: z
          .enum(POOL_WAIT_METRICS)
          .describe('time waiting for a DB connection in a level: its p95 or its mean (not per request)'),
        max: duration('the longest allowed pool wait', { minMs: 0 }),
        level: thresholdScope.level,
        phase: thresholdScope.phase,
      })
      .transform(({ max, ...threshold }) => withScope({ ...threshold, maxMs: max })),
    z
      .strictObject({
        metric: z
          .enum(LEVEL_COUNT_METRICS)
          .describe(
            'pool checkouts that timed out in a level, or the peak of DB connections (not per request)',
          ),
        max: z
          .int({
            error: say((issue) => `expected a whole number of 0 or more, got ${describeValue(issue.input)}`),
          })
          .min(0)
          .describe('the most allowed in one level'),
        level: thresholdScope.level,
        phase: thresholdScope.phase,
      })
      .transform(({ max, ...threshold }) => withScope({ ...threshold, maxCount: max })),
  ])
  .describe(
    'a limit on one metric: latency metrics and pool waits take max: a duration, rates max: a percentage, throughputRps min: requests/s, poolTimeouts and peakDbConnections max: a count',
  );

export const GateSchema = z
  .strictObject({
    thresholds: atMost(z.array(ThresholdSchema), CONFIG_LIMITS.thresholds, 'thresholds')
      .default([])
      .describe('absolute limits; any breach fails the gate'),
  })
  .prefault({})
  .describe('the release gate');

// ---- the service's own metrics ----------------------------------------------------------------

const metricName = pattern(
  /^[a-zA-Z_:][a-zA-Z0-9_:]*$/,
  'write a Prometheus metric name: letters, digits, "_" and ":", not starting with a digit',
  'a Prometheus metric name',
);

const timeUnit = z
  .enum(TIME_UNITS)
  .default('seconds')
  .describe('the unit the metric counts time in (default seconds)');

export const PoolWaitSchema = z
  .union([
    z
      .strictObject({
        histogram: metricName.describe('a histogram of wait times: gives p95 and mean'),
        unit: timeUnit,
      })
      .transform(({ histogram, unit }) => ({ metric: histogram, unit })),
    z
      .strictObject({
        summary: metricName.describe('a summary of wait times: its count and sum give the mean (no p95)'),
        unit: timeUnit,
      })
      .transform(({ summary, unit }) => ({ metric: summary, unit })),
    z.strictObject({
      sum: metricName.describe('a counter of total wait time'),
      count: metricName.describe('a counter of waits'),
      unit: timeUnit,
    }),
  ])
  .describe(
    'time spent waiting for a DB connection: { histogram: name } (p95 and mean), { summary: name } or { sum: name, count: name } (mean only)',
  );

export const PostgresSamplerSchema = z
  .union([
    z.literal(false),
    z.strictObject({
      dependency: DependencyNameSchema.describe('the dependency that is the Postgres server'),
      user: z
        .string()
        .min(1)
        .optional()
        .describe('the role psql connects as inside it (default POSTGRES_USER, else postgres)'),
      database: z
        .string()
        .min(1)
        .optional()
        .describe('the database psql connects to (default POSTGRES_DB, else the user)'),
      onlyUser: z
        .string()
        .min(1)
        .optional()
        .describe('count only sessions of this role (default every client session)'),
      onlyDatabase: z
        .string()
        .min(1)
        .optional()
        .describe('count only sessions on this database (default every database)'),
    }),
  ])
  .describe(
    'sampling pg_stat_activity during each level; on by default for a dependency whose image is Postgres; false turns it off',
  );

/** Paired mode (pull requests): the base and the candidate driven alternately at one rate. */
export const PairedSchema = z
  .strictObject({
    rate: z
      .number({ error: say((issue) => `expected arrivals per second, got ${describeValue(issue.input)}`) })
      .positive({ error: 'expected a number of arrivals per second above 0' })
      .describe(
        'arrivals per second, below the knee; default 60% of the throughput the ladder measured at its knee',
      )
      .optional(),
    slot: duration('measured time per slot', { minMs: 1000, maxMs: 600_000 }).prefault('10s'),
    warmup: duration('unmeasured load before each slot', { minMs: 0, maxMs: 600_000 }).prefault('3s'),
    blocks: positiveInt('ABBA blocks always run').max(CONFIG_LIMITS.pairedBlocks).default(3),
    maxBlocks: positiveInt('ABBA blocks at most, run while a test is undecided')
      .max(CONFIG_LIMITS.pairedBlocks)
      .default(6),
  })
  .transform(({ rate, slot, warmup, blocks, maxBlocks }) => ({
    ...(rate !== undefined ? { rate } : {}),
    slotS: slot / 1000,
    warmupS: warmup / 1000,
    blocks,
    maxBlocks: Math.max(blocks, maxBlocks),
  }))
  .prefault({})
  .meta({
    description:
      "paired mode: the pull request's base and head services driven alternately (ABBA) at one arrival rate, so the runner's speed cancels",
  });

export const MetricsSchema = z
  .strictObject({
    preset: z
      .enum(['auto', 'none', ...POOL_PRESET_NAMES])
      .default('auto')
      .describe(
        `where the service's pool metrics are: auto (recognized from the names exposed), none, or one of ${POOL_PRESET_NAMES.join(', ')}`,
      ),
    labels: z
      .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), scalarText('a label value'))
      .default({})
      .describe('read only series with these labels, e.g. { pool: HikariPool-1 }; default all, added up'),
    poolWait: PoolWaitSchema.optional(),
    poolTimeouts: metricName.describe('a counter of checkouts that gave up waiting').optional(),
    poolWaiting: metricName.describe('a gauge of callers waiting for a connection').optional(),
    poolInUse: metricName.describe('a gauge of connections checked out').optional(),
    poolOpen: metricName
      .describe(
        'a gauge of connections the pool holds open (peak DB connections when no Postgres is sampled)',
      )
      .optional(),
    sampleInterval: duration('how often gauges and the database are sampled during a level', {
      minMs: 100,
      maxMs: 60_000,
    }).prefault('1s'),
    postgres: PostgresSamplerSchema.optional(),
  })
  .prefault({})
  .transform(
    ({
      preset,
      labels,
      poolWait,
      poolTimeouts,
      poolWaiting,
      poolInUse,
      poolOpen,
      sampleInterval,
      postgres,
    }) => ({
      preset,
      labels,
      pool: {
        ...(poolWait !== undefined ? { wait: poolWait } : {}),
        ...(poolTimeouts !== undefined ? { timeouts: poolTimeouts } : {}),
        ...(poolWaiting !== undefined ? { waiting: poolWaiting } : {}),
        ...(poolInUse !== undefined ? { inUse: poolInUse } : {}),
        ...(poolOpen !== undefined ? { open: poolOpen } : {}),
      },
      sampleIntervalMs: sampleInterval,
      ...(postgres !== undefined ? { postgres } : {}),
    }),
  )
  .describe(
    "the service's own metrics per level: its connection pool (from service.metrics) and its Postgres (pg_stat_activity)",
  );

// ---- upstreams and phases ----------------------------------------------------------------------

/** The port a built-in stub upstream listens on inside its container. */
export const STUB_PORT = 8080;
/** The network alias of the run's Toxiproxy; no dependency or upstream may take it. */
export const TOXIPROXY_ALIAS = 'loadgate-toxiproxy';

const latencySchema = z
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

const statusMixSchema = z
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

const stubRouteSchema = z
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
const stubBehaviourFields = {
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

const stream = z
  .enum(['downstream', 'upstream'])
  .default('downstream')
  .describe('downstream: answers to the service (default); upstream: the service’s requests');
const toxicity = rate.prefault(1).describe('the share of connections affected (default 100%)');

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

const phaseName = pattern(
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
