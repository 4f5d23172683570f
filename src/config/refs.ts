import { closest } from './messages.ts';
import { type ConfigIssue, formatPath } from './paths.ts';

/**
 * References between containers in env values: `${db.host}` is the network alias of the
 * dependency `db`, `${db.port}` its first container port; `${service.host}`/`${service.port}`
 * name the service under test; `${env.NAME}` is the variable NAME of loadgate's environment (a
 * secret, see secrets.ts). `$${` writes a literal `${`.
 */

/** The name by which env values refer to the service under test; no dependency may take it. */
export const SERVICE_NAME = 'service';
export const REF_FIELDS = ['host', 'port'] as const;
export type RefField = (typeof REF_FIELDS)[number];

export interface EnvRef {
  name: string;
  field: RefField;
}
/** `${env.NAME}`: the variable NAME of loadgate's environment */
export interface SecretPart {
  secret: string;
}
export type TemplatePart = string | EnvRef | SecretPart;

/** The name under which env values read loadgate's environment; no dependency may take it. */
export const ENV_NAME = 'env';
const ENV_VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Where a container can be reached from another: what `${name.host}` and `${name.port}` become. */
export interface ContainerAddress {
  host: string;
  /** absent for a dependency without ports */
  port?: number;
}

const REF_BODY = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

/** An env value split into text and references, with every syntax problem in it. */
export function parseEnvTemplate(value: string): { parts: TemplatePart[]; problems: string[] } {
  const parts: TemplatePart[] = [];
  const problems: string[] = [];
  let text = '';
  let i = 0;
  while (i < value.length) {
    if (value.startsWith('$${', i)) {
      text += '${';
      i += 3;
    } else if (value.startsWith('${', i)) {
      const end = value.indexOf('}', i + 2);
      if (end < 0) {
        problems.push(
          `"\${" at character ${i + 1} has no closing "}"; write \${name.host} or \${name.port}, or "$\${" for a literal "\${"`,
        );
        text += value.slice(i);
        break;
      }
      const body = value.slice(i + 2, end);
      const match = REF_BODY.exec(body);
      if (match?.[1] === ENV_NAME) {
        const variable = match[2] as string;
        if (ENV_VARIABLE.test(variable)) {
          if (text) parts.push(text);
          text = '';
          parts.push({ secret: variable });
        } else {
          problems.push(
            `"\${${body}}" names no environment variable; write \${env.NAME} with letters, digits and "_"`,
          );
        }
      } else if (!match) {
        problems.push(
          `"\${${body}}" is not a reference; write \${name.host} or \${name.port} (name: a dependency, or service), or "$\${" for a literal "\${"`,
        );
      } else if (!(REF_FIELDS as readonly string[]).includes(match[2] as string)) {
        problems.push(
          `"\${${body}}" asks for "${match[2]}"; a reference gives only \${${match[1]}.host} or \${${match[1]}.port}`,
        );
      } else {
        if (text) parts.push(text);
        text = '';
        parts.push({ name: match[1] as string, field: match[2] as RefField });
      }
      i = end + 1;
    } else {
      text += value[i];
      i += 1;
    }
  }
  if (text) parts.push(text);
  return { parts, problems };
}

/** The references in an env mapping, in the order written. */
export function envRefs(env: Readonly<Record<string, string>>): { key: string; ref: EnvRef }[] {
  const out: { key: string; ref: EnvRef }[] = [];
  for (const [key, value] of Object.entries(env)) {
    for (const part of parseEnvTemplate(value).parts)
      if (typeof part !== 'string' && !('secret' in part)) out.push({ key, ref: part });
  }
  return out;
}

/**
 * The env with every reference replaced from `addresses` (name → where it is reached). The one
 * place references are resolved: a proxy in front of a dependency changes only the map.
 * Throws on a name the map lacks: validation has already rejected unknown names, so that is a bug.
 */
export function resolveEnv(
  env: Readonly<Record<string, string>>,
  addresses: Readonly<Record<string, ContainerAddress>>,
  /** the values of `${env.NAME}`, read when the config was (readConfig) */
  secrets: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    out[key] = parseEnvTemplate(value)
      .parts.map((part) => {
        if (typeof part === 'string') return part;
        if ('secret' in part) {
          const secret = Object.hasOwn(secrets, part.secret) ? secrets[part.secret] : undefined;
          if (secret === undefined) throw new Error(`env ${key}: no value for \${env.${part.secret}}`);
          return secret;
        }
        const address = Object.hasOwn(addresses, part.name) ? addresses[part.name] : undefined;
        const resolved = part.field === 'host' ? address?.host : address?.port;
        if (resolved === undefined)
          throw new Error(`env ${key}: no address for \${${part.name}.${part.field}}`);
        return String(resolved);
      })
      .join('');
  }
  return out;
}

interface EnvHolder {
  env: Readonly<Record<string, string>>;
}
interface DependencyLike extends EnvHolder {
  ports: readonly number[];
}

/**
 * Problems with the references in the service's and the dependencies' env: unknown names, a port
 * of a dependency that has none, a dependency referring to the service (which starts after
 * them), and cycles among dependencies (which start one after another).
 */
export function checkReferences(
  service: EnvHolder | undefined,
  dependencies: Readonly<Record<string, DependencyLike>>,
  /** every dependency name declared, including those whose own settings are broken */
  declared: readonly string[] = Object.keys(dependencies),
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const names = Object.keys(dependencies);
  const check = (owner: string[], from: string | undefined, env: Readonly<Record<string, string>>) => {
    const reported = new Set<string>();
    for (const { key, ref } of envRefs(env)) {
      const problem = referenceProblem(ref, from, dependencies, declared);
      // ${x.host}:${x.port} to an unknown x is one mistake, not two.
      const once = `${key}\u0000${ref.name}\u0000${problem?.kind}`;
      if (problem === undefined || reported.has(once)) continue;
      reported.add(once);
      issues.push({ path: [...owner, 'env', key], message: problem.message });
    }
  };
  if (service) check(['service'], undefined, service.env);
  for (const name of names) check(['dependencies', name], name, (dependencies[name] as DependencyLike).env);
  issues.push(...cycleIssues(dependencies));
  return issues;
}

/** What is wrong with one reference made from the service (from undefined) or a dependency, if anything. */
function referenceProblem(
  ref: EnvRef,
  from: string | undefined,
  dependencies: Readonly<Record<string, DependencyLike>>,
  declared: readonly string[],
): { kind: 'service' | 'unknown' | 'no-port'; message: string } | undefined {
  const shown = `\${${ref.name}.${ref.field}}`;
  if (ref.name === SERVICE_NAME) {
    if (from === undefined) return undefined;
    return {
      kind: 'service',
      message: `${shown} refers to the service, which starts after its dependencies; a dependency can refer only to other dependencies`,
    };
  }
  if (!declared.includes(ref.name)) {
    const hint = closest(ref.name, [...declared, SERVICE_NAME]);
    const known = declared.length
      ? `the dependencies are ${declared.join(', ')}`
      : 'there are no dependencies';
    return {
      kind: 'unknown',
      message: `${shown} refers to "${ref.name}", which is not a dependency${hint ? ` (did you mean ${hint}?)` : ''}; ${known} (and service)`,
    };
  }
  if (
    ref.field === 'port' &&
    Object.hasOwn(dependencies, ref.name) &&
    dependencies[ref.name]?.ports.length === 0
  ) {
    return {
      kind: 'no-port',
      message: `${shown}: ${ref.name} has no ports; list its container ports in dependencies.${ref.name}.ports (the first is \${${ref.name}.port})`,
    };
  }
  return undefined;
}

interface Edge {
  to: string;
  key: string;
}

/** Each dependency's references to other dependencies (itself and unknown names left out), first reference per target. */
function dependencyEdges(dependencies: Readonly<Record<string, EnvHolder>>): Map<string, Edge[]> {
  const edges = new Map<string, Edge[]>();
  for (const [name, dependency] of Object.entries(dependencies)) {
    const out: Edge[] = [];
    for (const { key, ref } of envRefs(dependency.env)) {
      if (ref.name !== name && Object.hasOwn(dependencies, ref.name) && !out.some((e) => e.to === ref.name)) {
        out.push({ to: ref.name, key });
      }
    }
    edges.set(name, out);
  }
  return edges;
}

/** One issue per group of dependencies that refer to each other in a circle, naming every reference in it. */
function cycleIssues(dependencies: Readonly<Record<string, EnvHolder>>): ConfigIssue[] {
  const edges = dependencyEdges(dependencies);
  const issues: ConfigIssue[] = [];
  for (const component of stronglyConnected(edges)) {
    if (component.length < 2) continue;
    const cycle = cycleThrough(component, edges);
    const steps = cycle.map(
      ({ from, edge }) => `${formatPath(['dependencies', from, 'env', edge.key])} refers to ${edge.to}`,
    );
    const names = [...cycle.map((step) => step.from), cycle[0]?.from].join(' → ');
    const first = cycle[0] as { from: string; edge: Edge };
    issues.push({
      path: ['dependencies', first.from, 'env', first.edge.key],
      message: `references form a cycle ${names} (${steps.join('; ')}); dependencies start one after another, so one of these references must go`,
    });
  }
  return issues;
}

/** Tarjan's algorithm; components come out in declaration order of their first member. */
function stronglyConnected(edges: Map<string, Edge[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const { to } of edges.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) as number, low.get(to) as number));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node) as number, index.get(to) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      components.push(component);
    }
  };
  const order = [...edges.keys()];
  for (const node of order) if (!index.has(node)) visit(node);
  const position = (name: string) => order.indexOf(name);
  for (const component of components) component.sort((a, b) => position(a) - position(b));
  return components.sort((a, b) => position(a[0] as string) - position(b[0] as string));
}

/** A shortest cycle through the component's first-declared member, found breadth first. */
function cycleThrough(component: string[], edges: Map<string, Edge[]>): { from: string; edge: Edge }[] {
  const start = component[0] as string;
  const inside = new Set(component);
  const cameFrom = new Map<string, { from: string; edge: Edge }>();
  const queue = [start];
  while (queue.length) {
    const node = queue.shift() as string;
    for (const edge of edges.get(node) ?? []) {
      if (!inside.has(edge.to)) continue;
      if (edge.to === start) {
        const steps = [{ from: node, edge }];
        let at = node;
        while (at !== start) {
          const step = cameFrom.get(at) as { from: string; edge: Edge };
          steps.unshift(step);
          at = step.from;
        }
        return steps;
      }
      if (!cameFrom.has(edge.to)) {
        cameFrom.set(edge.to, { from: node, edge });
        queue.push(edge.to);
      }
    }
  }
  return [];
}

/**
 * The order to start dependencies in: each after every dependency its env refers to, otherwise
 * in the order they are declared. Throws on a cycle, which validation has already rejected.
 */
export function startOrder(dependencies: Readonly<Record<string, EnvHolder>>): string[] {
  const edges = dependencyEdges(dependencies);
  const order: string[] = [];
  const started = new Set<string>();
  const names = Object.keys(dependencies);
  while (order.length < names.length) {
    const next = names.find(
      (name) => !started.has(name) && (edges.get(name) ?? []).every((edge) => started.has(edge.to)),
    );
    if (next === undefined)
      throw new Error(
        `dependencies refer to each other in a cycle: ${names.filter((n) => !started.has(n)).join(', ')}`,
      );
    order.push(next);
    started.add(next);
  }
  return order;
}

/** The addresses on the run's network: each dependency by its name and first port, the service as `service`. */
export function networkAddresses(
  service: { port: number },
  dependencies: Readonly<Record<string, { ports: readonly number[] }>>,
): Record<string, ContainerAddress> {
  const addresses: Record<string, ContainerAddress> = {
    [SERVICE_NAME]: { host: SERVICE_NAME, port: service.port },
  };
  for (const [name, dependency] of Object.entries(dependencies)) {
    const port = dependency.ports[0];
    addresses[name] = port === undefined ? { host: name } : { host: name, port };
  }
  return addresses;
}
