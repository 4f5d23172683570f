import { z } from 'zod';
import { describeValue } from '../paths.ts';
import { ENV_NAME as ENV_REF_NAME, SERVICE_NAME } from '../refs.ts';
import {
  containerFields,
  evenWithOtherErrors,
  missing,
  normalizeContainer,
  ONE_SOURCE,
  oneSource,
  pattern,
  portNumber,
  say,
  scalarText,
} from './fields.ts';

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

export const DEPENDENCY_NAME = /^[a-z][a-z0-9-]{0,62}$/;
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
