import { z } from 'zod';
import { describeValue, isRecord } from '../paths.ts';
import { parseEnvTemplate } from '../refs.ts';
import {
  DURATION_PATTERN,
  durationProblem,
  PERCENT_PATTERN,
  parseDurationMs,
  parseRate,
  rateProblem,
} from '../units.ts';

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
export function say(message: Message): (issue: z.core.$ZodRawIssue) => string | undefined {
  return (issue) => (issue.input === undefined ? undefined : message(issue));
}

/** The message for a required section that is missing, with an example to copy. */
export function missing(example: string) {
  return (issue: z.core.$ZodRawIssue) =>
    issue.code === 'invalid_type' && issue.input === undefined
      ? `required but missing; e.g. ${example}`
      : undefined;
}

/** Checks that read the value even when a sibling failed: each guards on what it reads. */
export const evenWithOtherErrors = { when: (payload: z.core.ParsePayload) => isRecord(payload.value) };

/** A duration between `minMs` and `maxMs` (default CONFIG_LIMITS.durationMs): every duration is bounded. */
export function duration(
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

export function formatMs(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** An array of at most `max` items; a longer one stops its own checks (cost grows with the length). */
export function atMost<T extends z.ZodArray>(array: T, max: number, what: string): T {
  return array.max(max, {
    abort: true,
    error: (issue) =>
      `${Array.isArray(issue.input) ? issue.input.length : 'too many'} ${what}; at most ${max}`,
  }) as T;
}

export const rate = (() => {
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
export function scalarText(what: string) {
  return z
    .union([z.string(), z.number(), z.boolean()], {
      error: say(
        (issue) => `expected ${what} (text, a number or true/false), got ${describeValue(issue.input)}`,
      ),
    })
    .transform((value) => String(value));
}

export function positiveInt(description: string) {
  const problem = say((issue) => `expected a whole number of 1 or more, got ${describeValue(issue.input)}`);
  return z.int({ error: problem }).min(1, { error: problem }).describe(description);
}

export const portNumber = (() => {
  const problem = say(
    (issue) => `${describeValue(issue.input)} is not a port; expected a whole number from 1 to 65535`,
  );
  return z
    .int({ error: problem })
    .min(1, { error: problem })
    .max(65535, { error: problem })
    .describe('a container port, 1..65535');
})();

export function pattern(regex: RegExp, rule: string, description: string) {
  const problem = say((issue) => `${describeValue(issue.input)} is not allowed; ${rule}`);
  return z.string({ error: problem }).regex(regex, { error: problem }).describe(description);
}

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const envName = pattern(
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

export const envSchema = z
  .record(envName, EnvValueSchema)
  .describe(`environment variables; values may use \${name.host} and \${name.port} of a dependency`);

export const imageName = pattern(
  /^\S+$/,
  'write an image reference such as postgres:16 or ghcr.io/org/app:tag',
  'an image to run, e.g. postgres:16',
);

export const buildObject = z.strictObject({
  context: z.string().min(1).default('.').describe("the build context, relative to the config file's folder"),
  dockerfile: z.string().min(1).default('Dockerfile').describe('the Dockerfile, relative to the context'),
  args: z
    .record(envName, scalarText('a build argument'))
    .default({})
    .describe('build arguments (--build-arg)'),
  target: z.string().min(1).optional().describe('the stage to build in a multi-stage Dockerfile'),
});

export const buildSchema = z
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

export const commandSchema = z
  .array(z.string())
  .min(1)
  .describe('the command to run instead of the image\'s default, as a list: ["python3", "-m", "app"]');

export const waitSchema = z
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

export const containerFields = {
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
export const ONE_SOURCE = [{ required: ['image'] }, { required: ['build'] }];

/** Exactly one of image and build: read even when other fields are wrong. */
export function oneSource(container: Record<string, unknown>, ctx: z.core.$RefinementCtx) {
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
export function normalizeContainer<
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
