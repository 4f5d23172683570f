import type { PhaseConfig, StubConfig, ToxicConfig } from '../config/schema.ts';

/** One toxic as Toxiproxy's API takes it (POST /proxies/{name}/toxics). */
export interface ToxicBody {
  name: string;
  type: Exclude<ToxicConfig['type'], 'down'>;
  stream: 'downstream' | 'upstream';
  toxicity: number;
  attributes: Record<string, number>;
}

/** What one proxy does during a phase: enabled or down, and its toxics. */
export interface ProxyState {
  enabled: boolean;
  toxics: ToxicBody[];
}

/** A toxic from the config in Toxiproxy's terms (milliseconds, KB/s, bytes); `down` has none. */
export function toxicBody(toxic: ToxicConfig, index: number): ToxicBody | null {
  const named = (type: ToxicBody['type'], attributes: Record<string, number>) =>
    'stream' in toxic
      ? { name: `${type}_${index}`, type, stream: toxic.stream, toxicity: toxic.toxicity, attributes }
      : null;
  switch (toxic.type) {
    case 'latency':
      return named('latency', { latency: toxic.latencyMs, jitter: toxic.jitterMs });
    case 'timeout':
      return named('timeout', { timeout: toxic.timeoutMs });
    case 'reset_peer':
      return named('reset_peer', { timeout: toxic.timeoutMs });
    case 'bandwidth':
      return named('bandwidth', { rate: toxic.kilobytesPerSecond });
    case 'slow_close':
      return named('slow_close', { delay: toxic.delayMs });
    case 'limit_data':
      return named('limit_data', { bytes: toxic.bytes });
    case 'down':
      return null;
  }
}

/** Each proxy's state during a phase (null: no faults, every proxy clean and enabled). */
export function proxyStates(proxied: readonly string[], phase: PhaseConfig | null): Map<string, ProxyState> {
  const states = new Map<string, ProxyState>();
  for (const name of proxied) {
    const toxics = phase?.toxics[name] ?? [];
    states.set(name, {
      enabled: !toxics.some((t) => t.type === 'down'),
      toxics: toxics.map(toxicBody).filter((t): t is ToxicBody => t !== null),
    });
  }
  return states;
}

/** Whether a phase changes anything: toxics on a proxy or a stub's behaviour. */
export function hasFaults(phase: Pick<PhaseConfig, 'toxics' | 'stubs'>): boolean {
  return (
    Object.values(phase.toxics).some((toxics) => toxics.length > 0) ||
    Object.values(phase.stubs).some((stub) => stub.latency !== undefined || stub.errors !== undefined)
  );
}

const ms = (n: number) => `${Math.round(n * 10) / 10} ms`;
const percent = (rate: number) => `${Math.round(rate * 10000) / 100}%`;

function describeToxic(toxic: ToxicConfig): string {
  const affected = (t: { stream: string; toxicity: number }) =>
    `${t.stream === 'upstream' ? ', on requests' : ''}${t.toxicity < 1 ? `, ${percent(t.toxicity)} of connections` : ''}`;
  switch (toxic.type) {
    case 'latency':
      return `latency +${ms(toxic.latencyMs)}${toxic.jitterMs > 0 ? ` ± ${ms(toxic.jitterMs)}` : ''}${affected(toxic)}`;
    case 'timeout':
      return `${toxic.timeoutMs === 0 ? 'data stops (connections hang)' : `data stops, connections closed after ${ms(toxic.timeoutMs)}`}${affected(toxic)}`;
    case 'reset_peer':
      return `connections reset${toxic.timeoutMs > 0 ? ` after ${ms(toxic.timeoutMs)}` : ''}${affected(toxic)}`;
    case 'bandwidth':
      return `bandwidth ${toxic.kilobytesPerSecond} KB/s${affected(toxic)}`;
    case 'slow_close':
      return `closing delayed ${ms(toxic.delayMs)}${affected(toxic)}`;
    case 'limit_data':
      return `connections closed after ${toxic.bytes} bytes${affected(toxic)}`;
    case 'down':
      return 'down (connections refused)';
  }
}

export function describeLatency(latency: StubConfig['latency']): string {
  switch (latency.kind) {
    case 'fixed':
      return `latency ${ms(latency.ms)}`;
    case 'uniform':
      return `latency ${ms(latency.minMs)}–${ms(latency.maxMs)} (uniform)`;
    case 'lognormal':
      return `latency p50 ${ms(latency.p50Ms)}, p99 ${ms(latency.p99Ms)} (lognormal)`;
  }
}

/** One line per fault of a phase, for the report: "upstream: latency +780 ms ± 20 ms". */
export function describeFaults(phase: Pick<PhaseConfig, 'toxics' | 'stubs'>): string[] {
  const lines: string[] = [];
  for (const [name, toxics] of Object.entries(phase.toxics)) {
    if (toxics.length > 0) lines.push(`${name}: ${toxics.map(describeToxic).join(', ')}`);
  }
  for (const [name, stub] of Object.entries(phase.stubs)) {
    const parts = [
      ...(stub.latency ? [describeLatency(stub.latency)] : []),
      ...(stub.errors
        ? [
            stub.errors.length === 0
              ? 'no errors'
              : stub.errors.map((e) => `${e.status} for ${percent(e.rate)} of requests`).join(', '),
          ]
        : []),
    ];
    if (parts.length > 0) lines.push(`${name} (stub): ${parts.join(', ')}`);
  }
  return lines;
}
