import { z } from 'zod';
import { describeValue } from '../paths.ts';
import {
  atMost,
  CONFIG_LIMITS,
  duration,
  evenWithOtherErrors,
  missing,
  pattern,
  positiveInt,
  say,
  scalarText,
} from './fields.ts';

// ---- load --------------------------------------------------------------------------------------

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const NAME = /^[A-Za-z0-9_-]+$/;
export const requestName = pattern(
  NAME,
  'use letters, digits, "_" and "-"',
  'a name for this request in results and gates',
);

export const statusCode = (() => {
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
export const probeRate = (() => {
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
