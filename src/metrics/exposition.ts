import { InfraError } from '../errors.ts';

/**
 * A parser for the Prometheus text exposition format (0.0.4) and OpenMetrics 1.0 text, as
 * client_python, client_golang, the Java simpleclient, Micrometer and prom-client print them.
 * Written here because the npm parsers available merge labelled histograms, drop their
 * count and sum, or reject the `NaN` a summary prints before its first observation.
 * Pure: text in, families out.
 */

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'untyped'
  | 'unknown';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** the sample's own name, suffix included: `x_bucket`, `x_total`, `x_count` */
  name: string;
  labels: Labels;
  /** NaN, +Infinity and -Infinity as written */
  value: number;
}

export interface MetricFamily {
  /** as declared by `# TYPE` (OpenMetrics counters without `_total`), or the sample's name */
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

/** The service's metrics page is not the exposition format; uncaught, exit 3 like any failing service. */
export class ExpositionError extends InfraError {
  constructor(
    message: string,
    readonly lineNumber: number,
  ) {
    super(`line ${lineNumber}: ${message}`);
  }
}

const TYPES = new Set<string>([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'untyped',
  'unknown',
]);

/** The sample-name suffixes each type allows after its family's name. */
const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  gauge: [],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['_count', '_sum', '_created'],
  info: ['_info'],
  stateset: [],
  untyped: [],
  unknown: [],
};

const ALL_SUFFIXES = [...new Set(Object.values(SUFFIXES).flat())];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/**
 * Every metric family in an exposition, in the order first seen. Throws ExpositionError with
 * the line number on a line that is not valid exposition text.
 */
export function parseExposition(text: string): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    let found = families.get(name);
    if (!found) {
      found = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, found);
    }
    return found;
  };

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const lineNumber = i + 1;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE|UNIT|EOF)\b\s*(\S*)\s?(.*)$/.exec(line);
      if (!meta) continue; // a plain comment
      const [, keyword, name = '', rest = ''] = meta;
      if (keyword === 'EOF') break;
      if (!METRIC_NAME.test(name))
        throw new ExpositionError(`# ${keyword} without a metric name`, lineNumber);
      if (keyword === 'TYPE') {
        const type = rest.trim().toLowerCase();
        if (!TYPES.has(type)) throw new ExpositionError(`unknown metric type "${rest.trim()}"`, lineNumber);
        family(name).type = type as MetricType;
      } else if (keyword === 'HELP') {
        family(name).help = unescapeHelp(rest);
      }
      continue;
    }
    const sample = parseSampleLine(line, lineNumber);
    family(familyNameOf(sample.name, families)).samples.push(sample);
  }
  return [...families.values()];
}

/** The family a sample belongs to: its own name, or a declared family whose type allows the suffix. */
function familyNameOf(sampleName: string, families: ReadonlyMap<string, MetricFamily>): string {
  if (families.has(sampleName)) return sampleName;
  for (const suffix of ALL_SUFFIXES) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    const family = families.get(base);
    if (family && SUFFIXES[family.type].includes(suffix)) return base;
  }
  return sampleName;
}

function parseSampleLine(line: string, lineNumber: number): Sample {
  let at = 0;
  const fail = (message: string): never => {
    throw new ExpositionError(`${message}: ${JSON.stringify(line.slice(0, 200))}`, lineNumber);
  };
  const name = METRIC_NAME.exec(line)?.[0];
  if (!name) return fail('expected a metric name');
  at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at++;
    for (;;) {
      while (line[at] === ' ' || line[at] === '\t') at++;
      if (line[at] === '}') {
        at++;
        break;
      }
      const labelName = LABEL_NAME.exec(line.slice(at))?.[0];
      if (!labelName) return fail('expected a label name');
      at += labelName.length;
      while (line[at] === ' ') at++;
      if (line[at] !== '=') return fail(`expected "=" after label ${labelName}`);
      at++;
      while (line[at] === ' ') at++;
      if (line[at] !== '"') return fail(`expected a quoted value for label ${labelName}`);
      at++;
      let value = '';
      for (;;) {
        const c = line[at];
        if (c === undefined) return fail(`unterminated value of label ${labelName}`);
        at++;
        if (c === '"') break;
        if (c === '\\') {
          const escaped = line[at];
          at++;
          value +=
            escaped === 'n' ? '\n' : escaped === '"' ? '"' : escaped === '\\' ? '\\' : `\\${escaped ?? ''}`;
        } else {
          value += c;
        }
      }
      labels[labelName] = value;
      while (line[at] === ' ' || line[at] === '\t') at++;
      // The Java simpleclient writes a comma after the last label too: {a="1",}
      if (line[at] === ',') at++;
      else if (line[at] !== '}') return fail('expected "," or "}" after a label');
    }
  }
  // OpenMetrics exemplars follow " # ": they describe one observation, not the series.
  const rest = line.slice(at).split(' # ')[0] as string;
  const fields = rest.trim().split(/\s+/);
  if (!/^\s/.test(rest) || fields[0] === '') return fail('expected a space and a value');
  const value = parseValue(fields[0] as string);
  if (value === undefined) return fail(`"${fields[0]}" is not a number`);
  if (fields.length > 2) return fail('unexpected text after the timestamp');
  if (fields.length === 2 && parseValue(fields[1] as string) === undefined)
    return fail(`"${fields[1]}" is not a timestamp`);
  return { name, labels, value };
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** A sample value as Go's ParseFloat reads it: decimals, exponents, NaN, ±Inf. */
export function parseValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity')
    return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  return NUMBER.test(text) ? Number(text) : undefined;
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}
