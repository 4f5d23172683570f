import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { LadderPlan } from '../../k6-scripts/contract.ts';
import { InfraError } from '../errors.ts';
import { ALL_REQUESTS } from '../load/plan.ts';
import { cellKey, type LatencySamples } from './cells.ts';

export { cellKey, type LatencySamples } from './cells.ts';

/**
 * Per-request latencies from k6's CSV output (`k6 run --out csv=FILE.gz`): the raw material of
 * a percentile's spread, which k6's summary (aggregates only) cannot give. Only the
 * `http_req_duration` rows of measured scenarios are kept, sliced like the summary: by the
 * `scenario` column and the `req` tag in `extra_tags`.
 */

/** The metric whose samples are kept. */
export const LATENCY_METRIC = 'http_req_duration';

/** Collects samples line by line; pure, so tests can feed it text. */
export class LatencySampleCollector {
  private columns: { metric: number; value: number; scenario: number; extraTags: number } | null = null;
  private readonly scenarios: Map<string, { phase: string; levelIndex: number }>;
  private readonly wanted: Set<string> | null;
  private readonly chunks = new Map<string, number[]>();
  private readonly probeScenarios: Set<string>;
  private readonly probeChunks = new Map<string, number[]>();
  private rows = 0;
  private lineNumber = 0;

  constructor(plan: LadderPlan) {
    this.scenarios = new Map(
      plan.scenarios
        .filter((s) => s.measured)
        .map((s) => [s.name, { phase: s.phase, levelIndex: s.levelIndex }]),
    );
    this.probeScenarios = new Set((plan.probe?.scenarios ?? []).map((p) => p.name));
    // A plan without request names is sliced per level only, like the summary's `{scenario:…}`.
    this.wanted = plan.requestNames.length > 0 ? new Set(plan.requestNames) : null;
  }

  /** One line of the CSV, header first. Throws InfraError on a header that is not k6's. */
  add(line: string): void {
    this.lineNumber++;
    if (this.columns === null) {
      const header = splitCsvLine(line);
      const index = (name: string) => {
        const i = header.indexOf(name);
        if (i < 0)
          throw new InfraError(`k6 CSV output has no '${name}' column (header: ${line.slice(0, 200)})`);
        return i;
      };
      this.columns = {
        metric: index('metric_name'),
        value: index('metric_value'),
        scenario: index('scenario'),
        extraTags: index('extra_tags'),
      };
      return;
    }
    // Most rows are other metrics: skip them before splitting.
    if (!line.startsWith(LATENCY_METRIC) || line.charCodeAt(LATENCY_METRIC.length) !== 44) return;
    const cells = splitCsvLine(line);
    if (cells[this.columns.metric] !== LATENCY_METRIC) return;
    this.rows++;
    const scenarioName = cells[this.columns.scenario] ?? '';
    const scenario = this.scenarios.get(scenarioName);
    if (!scenario) {
      if (this.probeScenarios.has(scenarioName))
        push(this.probeChunks, scenarioName, this.duration(cells[this.columns.value]));
      return; // else a warm-up
    }
    let request = ALL_REQUESTS;
    if (this.wanted !== null) {
      const req = tagValue(cells[this.columns.extraTags] ?? '', 'req');
      if (req === null || !this.wanted.has(req)) return;
      request = req;
    }
    push(
      this.chunks,
      cellKey(scenario.phase, scenario.levelIndex, request),
      this.duration(cells[this.columns.value]),
    );
  }

  finish(): LatencySamples {
    if (this.columns === null) throw new InfraError('k6 CSV output is empty (no header)');
    return { byCell: sortedAll(this.chunks), byProbe: sortedAll(this.probeChunks), rows: this.rows };
  }

  private duration(text: string | undefined): number {
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) {
      throw new InfraError(`k6 CSV output line ${this.lineNumber}: '${text}' is not a duration`);
    }
    return value;
  }
}

function push(chunks: Map<string, number[]>, key: string, value: number): void {
  let chunk = chunks.get(key);
  if (!chunk) {
    chunk = [];
    chunks.set(key, chunk);
  }
  chunk.push(value);
}

function sortedAll(chunks: Map<string, number[]>): Map<string, Float64Array> {
  const sorted = new Map<string, Float64Array>();
  for (const [key, values] of chunks) sorted.set(key, Float64Array.from(values).sort());
  return sorted;
}

/**
 * Reads k6's CSV output (gzip when the name ends in .gz) into per-slice latencies. A missing or
 * damaged file is an InfraError.
 */
export async function readLatencySamples(path: string, plan: LadderPlan): Promise<LatencySamples> {
  const collector = new LatencySampleCollector(plan);
  const file = createReadStream(path);
  const input = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  try {
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    const failed = new Promise<never>((_, fail) => {
      file.once('error', fail);
      input.once('error', fail);
    });
    failed.catch(() => {}); // settled by the race below, or never
    const reading = (async () => {
      for await (const line of lines) if (line !== '') collector.add(line);
    })();
    await Promise.race([reading, failed]);
  } catch (error) {
    if (error instanceof InfraError) throw error;
    throw new InfraError(`k6 samples ${path} could not be read: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    file.destroy();
  }
  return collector.finish();
}

/** Fields of one CSV line (RFC 4180 quoting, as Go's encoding/csv writes it). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** A tag's value in k6's `extra_tags` column ("req=list&phase=clean&level=2"), or null. */
export function tagValue(extraTags: string, name: string): string | null {
  for (const pair of extraTags.split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq) === name) return pair.slice(eq + 1);
  }
  return null;
}
