import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * A local stand-in for api.github.com that knows only what GitHub's official OpenAPI
 * description (@octokit/openapi, api.github.com.json) says. Every request is matched to a
 * documented operation; its path and query parameters and its JSON body are validated against
 * the description, and anything it does not allow (an unknown path, method or query parameter,
 * a wrong type, a missing required field) is answered 400 and recorded in `violations`. Every
 * answer is validated against the documented response schema for its status before it is sent
 * (a violation too if it does not fit), so the code under test only ever sees shapes GitHub
 * documents. Statuses GitHub may answer on any endpoint (401, 403, 404, 429: the REST docs on
 * authentication, permissions and rate limits) are allowed everywhere, with the basic-error body.
 */

const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: {
    parameters: Record<string, Parameter>;
    responses: Record<string, ResponseSpec>;
    examples: Record<string, { value: Json }>;
  };
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: unknown;
  $ref?: string;
}
interface ResponseSpec {
  $ref?: string;
  content?: Record<string, { schema?: unknown }>;
}
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
  responses: Record<string, ResponseSpec>;
}

let loaded: { spec: Spec; ajv: Ajv; routes: Route[] } | undefined;

interface Route {
  template: string;
  regex: RegExp;
  names: string[];
  literalSegments: number;
}

function load() {
  if (loaded) return loaded;
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(spec as object, 'gh');
  const routes = Object.keys(spec.paths).map((template) => {
    const names: string[] = [];
    const segments = template.split('/').slice(1);
    const pattern = segments
      .map((segment) => {
        const m = /^\{(.+)\}$/.exec(segment);
        if (m) {
          names.push(m[1] as string);
          return '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    return {
      template,
      regex: new RegExp(`^/${pattern}$`),
      names,
      literalSegments: segments.filter((s) => !s.startsWith('{')).length,
    };
  });
  loaded = { spec, ajv, routes };
  return loaded;
}

const pointer = (...segments: string[]) =>
  `gh#/${segments.map((s) => encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/')}`;

const compiled = new Map<string, ValidateFunction>();
function validator(ref: string): ValidateFunction {
  let v = compiled.get(ref);
  if (!v) {
    const { ajv } = load();
    v = ajv.getSchema(ref);
    if (!v) throw new Error(`no schema at ${ref}`);
    compiled.set(ref, v);
  }
  return v;
}

function errorsOf(v: ValidateFunction): string {
  return (v.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
    .join('; ');
}

/** A documented example from the description, deep-copied, to build answers from. */
export function example(name: string): Record<string, Json> {
  return structuredClone(load().spec.components.examples[name]?.value) as Record<string, Json>;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** raw bytes not from the API (a blob behind a redirect) */
  raw?: Buffer;
}

export interface ApiRequest {
  method: string;
  path: string;
  operationId: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  token: string | null;
}

export interface CommentRecord {
  id: number;
  issueNumber: number;
  body: string;
  login: string;
  createdAt: string;
}

export interface PullRecord {
  number: number;
  headSha: string;
  headRef: string;
  /** "owner/name" of the head repository (a fork's differs from the base) */
  headRepo: string;
}

export interface TokenRecord {
  /** login of the token's identity; for an installation token "…[bot]" */
  login: string;
  /** an installation token (GITHUB_TOKEN): GET /user answers 403 */
  installation: boolean;
  /** false: a fork's read-only token, writes answer 403 */
  canWrite: boolean;
}

export interface FakeGitHubOptions {
  repository?: string;
  tokens?: Record<string, TokenRecord>;
}

export class FakeGitHub {
  readonly repository: string;
  readonly tokens: Record<string, TokenRecord>;
  readonly comments: CommentRecord[] = [];
  readonly pulls = new Map<number, PullRecord>();
  readonly artifacts = new Map<number, { id: number; name: string; zip: Buffer }[]>();
  readonly requests: { method: string; url: string; operationId: string; status: number }[] = [];
  /** every way a request or an answer broke the description; tests expect none */
  readonly violations: string[] = [];
  /** answers a request before the normal handling when it returns one (rate limits, faults) */
  intercept: ((request: ApiRequest) => Answer | undefined) | undefined;
  private nextId = 1000;
  private clockS = Date.parse('2026-01-05T10:00:00Z') / 1000;
  private barriers = new Map<string, { count: number; waiting: (() => void)[] }>();
  private server = createServer((req, res) => void this.handle(req, res));
  url = '';

  constructor(options: FakeGitHubOptions = {}) {
    this.repository = options.repository ?? 'octo/app';
    this.tokens = options.tokens ?? {
      'ghs-installation': { login: 'github-actions[bot]', installation: true, canWrite: true },
      'ghs-fork-readonly': { login: 'github-actions[bot]', installation: true, canWrite: false },
      'ghp-user': { login: 'octocat', installation: false, canWrite: true },
    };
    load();
  }

  async start(): Promise<this> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  /** Holds the first `count` requests of an operation until all of them have arrived. */
  holdUntil(operationId: string, count: number): void {
    this.barriers.set(operationId, { count, waiting: [] });
  }

  addPull(pull: PullRecord): void {
    this.pulls.set(pull.number, pull);
  }

  addComment(issueNumber: number, body: string, login: string): CommentRecord {
    const record = { id: this.nextId++, issueNumber, body, login, createdAt: this.tick() };
    this.comments.push(record);
    return record;
  }

  commentsOn(issueNumber: number): CommentRecord[] {
    return this.comments.filter((c) => c.issueNumber === issueNumber);
  }

  private tick(): string {
    this.clockS += 1;
    return new Date(this.clockS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = (req.method ?? 'GET').toLowerCase();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');

    if (url.pathname.startsWith('/_blob/')) {
      // Blob storage behind the artifact download's redirect: not part of the API.
      const id = Number(url.pathname.replace(/^\/_blob\/artifacts\/(\d+)\.zip$/, '$1'));
      const zip = [...this.artifacts.values()].flat().find((a) => a.id === id)?.zip;
      this.requests.push({ method, url: url.pathname, operationId: 'blob', status: zip ? 200 : 404 });
      res.writeHead(zip ? 200 : 404, { 'content-type': 'application/zip' });
      res.end(zip ?? '');
      return;
    }

    const { spec, routes } = load();
    const matches = routes
      .map((route) => ({ route, m: route.regex.exec(url.pathname) }))
      .filter((x) => x.m !== null)
      .sort((a, b) => b.route.literalSegments - a.route.literalSegments);
    const match = matches.find((x) => spec.paths[x.route.template]?.[method]);
    if (!match) {
      return this.reject(
        res,
        method,
        url,
        '-',
        `no documented operation for ${method.toUpperCase()} ${url.pathname}`,
      );
    }
    const { route, m } = match as { route: Route; m: RegExpExecArray };
    const operation = spec.paths[route.template]?.[method] as Operation;
    const operationId = operation.operationId ?? `${method} ${route.template}`;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1] as string);
    });

    // Parameters: documented ones only, each of its documented type.
    const problems: string[] = [];
    const declared = (operation.parameters ?? []).map((p) => resolveParameter(spec, p));
    for (const p of declared) {
      const value = p.in === 'path' ? params[p.name] : p.in === 'query' ? url.searchParams.get(p.name) : null;
      if (p.in !== 'path' && p.in !== 'query') continue;
      if (value === null || value === undefined) {
        if (p.required) problems.push(`missing required ${p.in} parameter ${p.name}`);
        continue;
      }
      const schema = (p.schema ?? {}) as { type?: string };
      const coerced = coerce(value, schema.type);
      const ok = this.validateValue(schema, coerced);
      if (ok !== true) problems.push(`${p.in} parameter ${p.name}=${JSON.stringify(value)}: ${ok}`);
    }
    for (const name of url.searchParams.keys()) {
      if (!declared.some((p) => p.in === 'query' && p.name === name)) {
        problems.push(`query parameter ${name} is not documented for ${operationId}`);
      }
    }
    const auth = req.headers.authorization ?? '';
    const token = /^(?:token|bearer) (.+)$/i.exec(auth)?.[1] ?? null;

    // The JSON body: only where documented, matching its schema.
    let body: unknown;
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        problems.push('the body is not JSON');
      }
      const content = operation.requestBody?.content?.['application/json'];
      if (!content) problems.push(`${operationId} takes no request body`);
      else {
        const v = validator(
          pointer('paths', route.template, method, 'requestBody', 'content', 'application/json', 'schema'),
        );
        if (!v(body)) problems.push(`request body: ${errorsOf(v)}`);
      }
    } else if (operation.requestBody?.required) {
      problems.push(`${operationId} requires a body`);
    }
    if (problems.length > 0) return this.reject(res, method, url, operationId, problems.join('; '));

    const barrier = this.barriers.get(operationId);
    if (barrier && barrier.count > 0) {
      barrier.count -= 1;
      await new Promise<void>((done) => {
        barrier.waiting.push(done);
        if (barrier.count === 0) for (const release of barrier.waiting.splice(0)) release();
      });
    }

    const request: ApiRequest = {
      method,
      path: url.pathname,
      operationId,
      params,
      query: url.searchParams,
      body,
      token,
    };
    const answer = this.intercept?.(request) ?? this.answer(request);
    this.checkAnswer(route.template, method, operation, operationId, answer);
    this.requests.push({ method, url: url.pathname + url.search, operationId, status: answer.status });
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-api-version-selected': '2022-11-28',
      ...answer.headers,
    });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }

  private validateValue(schema: unknown, value: unknown): true | string {
    const { ajv } = load();
    const v = ajv.compile(schema as object);
    return v(value) ? true : errorsOf(v);
  }

  private reject(res: ServerResponse, method: string, url: URL, operationId: string, problem: string): void {
    const line = `${method.toUpperCase()} ${url.pathname}${url.search}: ${problem}`;
    this.violations.push(line);
    this.requests.push({ method, url: url.pathname + url.search, operationId, status: 400 });
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `fake GitHub: not allowed by the OpenAPI description: ${line}` }));
  }

  /** Validates an answer against the documented response for its status. */
  private checkAnswer(
    template: string,
    method: string,
    operation: Operation,
    operationId: string,
    answer: Answer,
  ) {
    const documented = operation.responses[String(answer.status)];
    if (!documented) {
      if ([401, 403, 404, 429].includes(answer.status)) {
        const v = validator('gh#/components/schemas/basic-error');
        if (!v(answer.body)) this.violations.push(`${operationId} ${answer.status} answer: ${errorsOf(v)}`);
        return;
      }
      this.violations.push(`${operationId} does not document status ${answer.status}`);
      return;
    }
    const ref = documented.$ref
      ? pointer(
          'components',
          'responses',
          documented.$ref.replace('#/components/responses/', ''),
          'content',
          'application/json',
          'schema',
        )
      : pointer(
          'paths',
          template,
          method,
          'responses',
          String(answer.status),
          'content',
          'application/json',
          'schema',
        );
    const resolved = documented.$ref
      ? load().spec.components.responses[documented.$ref.replace('#/components/responses/', '')]
      : documented;
    if (!resolved?.content?.['application/json']) {
      if (answer.body !== undefined)
        this.violations.push(`${operationId} ${answer.status} has no documented body`);
      return;
    }
    const v = validator(ref);
    if (!v(answer.body)) this.violations.push(`${operationId} ${answer.status} answer: ${errorsOf(v)}`);
  }

  // -- The behaviour of the few operations loadgate uses ------------------------------------

  private answer(request: ApiRequest): Answer {
    const identity = request.token ? this.tokens[request.token] : undefined;
    if (!identity) return error(401, 'Bad credentials');
    const [owner, repo] = this.repository.split('/');
    const sameRepo = request.params.owner === owner && request.params.repo === repo;
    if ('owner' in request.params && !sameRepo) return error(404, 'Not Found');
    const issueNumber = Number(request.params.issue_number);
    const commentId = Number(request.params.comment_id);
    switch (request.operationId) {
      case 'users/get-authenticated':
        if (identity.installation) return error(403, 'Resource not accessible by integration');
        return { status: 200, body: { ...example('private-user'), login: identity.login } };
      case 'issues/list-comments': {
        if (!this.pulls.has(issueNumber)) return error(404, 'Not Found');
        const all = this.commentsOn(issueNumber);
        const perPage = Number(request.query.get('per_page') ?? 30);
        const page = Number(request.query.get('page') ?? 1);
        const slice = all.slice((page - 1) * perPage, page * perPage);
        const lastPage = Math.max(1, Math.ceil(all.length / perPage));
        return {
          status: 200,
          body: slice.map((c) => this.commentJson(c)),
          headers: linkHeader(`${this.url}${request.path}`, page, lastPage, perPage),
        };
      }
      case 'issues/create-comment': {
        if (!identity.canWrite) return error(403, 'Resource not accessible by integration');
        if (!this.pulls.has(issueNumber)) return error(404, 'Not Found');
        const body = (request.body as { body: string }).body;
        if (body.length > 65_536) return error(422, 'Body is too long (maximum is 65536 characters)');
        const record = this.addComment(issueNumber, body, identity.login);
        return { status: 201, body: this.commentJson(record) };
      }
      case 'issues/update-comment': {
        const record = this.comments.find((c) => c.id === commentId);
        if (!record) return error(404, 'Not Found');
        if (!identity.canWrite || record.login !== identity.login) {
          return error(403, 'Resource not accessible by integration');
        }
        const body = (request.body as { body: string }).body;
        if (body.length > 65_536) return error(422, 'Body is too long (maximum is 65536 characters)');
        record.body = body;
        return { status: 200, body: this.commentJson(record) };
      }
      case 'issues/delete-comment': {
        const index = this.comments.findIndex((c) => c.id === commentId);
        if (index < 0) return error(404, 'Not Found');
        if (!identity.canWrite) return error(403, 'Resource not accessible by integration');
        this.comments.splice(index, 1);
        return { status: 204 };
      }
      case 'repos/list-pull-requests-associated-with-commit':
        return {
          status: 200,
          body: [...this.pulls.values()]
            .filter((p) => p.headSha === request.params.commit_sha)
            .map((p) => this.pullJson(p)),
        };
      case 'pulls/list': {
        const head = request.query.get('head');
        return {
          status: 200,
          body: [...this.pulls.values()]
            .filter((p) => !head || `${p.headRepo.split('/')[0]}:${p.headRef}` === head)
            .map((p) => this.pullJson(p)),
        };
      }
      case 'actions/list-workflow-run-artifacts': {
        const list = this.artifacts.get(Number(request.params.run_id)) ?? [];
        return {
          status: 200,
          body: {
            total_count: list.length,
            artifacts: list.map((a) => ({
              ...example('artifact'),
              id: a.id,
              name: a.name,
              size_in_bytes: a.zip.length,
              expired: false,
              url: `${this.url}/repos/${this.repository}/actions/artifacts/${a.id}`,
              archive_download_url: `${this.url}/repos/${this.repository}/actions/artifacts/${a.id}/zip`,
            })),
          },
        };
      }
      case 'actions/download-artifact': {
        const id = Number(request.params.artifact_id);
        if (![...this.artifacts.values()].flat().some((a) => a.id === id)) return error(404, 'Not Found');
        return { status: 302, headers: { location: `${this.url}/_blob/artifacts/${id}.zip` } };
      }
      default:
        return error(404, `fake GitHub: ${request.operationId} is documented but not simulated`);
    }
  }

  commentJson(c: CommentRecord): Record<string, Json> {
    const bot = c.login.endsWith('[bot]');
    return {
      ...example('issue-comment'),
      id: c.id,
      node_id: Buffer.from(`IssueComment${c.id}`).toString('base64'),
      url: `${this.url}/repos/${this.repository}/issues/comments/${c.id}`,
      html_url: `https://github.com/${this.repository}/pull/${c.issueNumber}#issuecomment-${c.id}`,
      issue_url: `${this.url}/repos/${this.repository}/issues/${c.issueNumber}`,
      body: c.body,
      created_at: c.createdAt,
      updated_at: c.createdAt,
      user: {
        ...(example('issue-comment').user as Record<string, Json>),
        login: c.login,
        type: bot ? 'Bot' : 'User',
      },
      author_association: bot ? 'NONE' : 'COLLABORATOR',
    };
  }

  pullJson(p: PullRecord): Record<string, Json> {
    const pull = example('pull-request-simple');
    const head = pull.head as Record<string, Json>;
    const headRepo = head.repo as Record<string, Json>;
    const base = pull.base as Record<string, Json>;
    const baseRepo = base.repo as Record<string, Json>;
    return {
      ...pull,
      number: p.number,
      state: 'open',
      requested_teams: [],
      head: {
        ...head,
        sha: p.headSha,
        ref: p.headRef,
        label: `${p.headRepo.split('/')[0]}:${p.headRef}`,
        repo: { ...headRepo, full_name: p.headRepo, name: p.headRepo.split('/')[1] as string },
      },
      base: { ...base, repo: { ...baseRepo, full_name: this.repository } },
    };
  }
}

function resolveParameter(spec: Spec, p: Parameter): Parameter {
  if (!p.$ref) return p;
  const resolved = spec.components.parameters[p.$ref.replace('#/components/parameters/', '')];
  if (!resolved) throw new Error(`unresolved ${p.$ref}`);
  return resolved;
}

function coerce(value: string, type: string | undefined): unknown {
  if (type === 'integer' || type === 'number') return value.trim() === '' ? value : Number(value);
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function error(status: number, message: string): Answer {
  return {
    status,
    body: { message, documentation_url: 'https://docs.github.com/rest' },
  };
}

/** GitHub's pagination links (rel next/last/prev/first), for the requested page size. */
function linkHeader(base: string, page: number, last: number, perPage: number): Record<string, string> {
  const link = (n: number, rel: string) => `<${base}?per_page=${perPage}&page=${n}>; rel="${rel}"`;
  const parts: string[] = [];
  if (page > 1) parts.push(link(page - 1, 'prev'));
  if (page < last) parts.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) parts.push(link(1, 'first'));
  return parts.length > 0 ? { link: parts.join(', ') } : {};
}

/** A GitHub rate-limit answer, as the REST docs describe it (primary or secondary). */
export function rateLimitAnswer(kind: 'primary' | 'secondary', nowS = Math.floor(Date.now() / 1000)): Answer {
  return kind === 'primary'
    ? {
        status: 403,
        body: {
          message: 'API rate limit exceeded for installation ID 1.',
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
        },
        headers: {
          'x-ratelimit-limit': '1000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-used': '1000',
          'x-ratelimit-reset': String(nowS + 1800),
          'x-ratelimit-resource': 'core',
        },
      }
    : {
        status: 429,
        body: {
          message:
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          documentation_url:
            'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
        },
        headers: { 'retry-after': '60' },
      };
}

export type { Json };
