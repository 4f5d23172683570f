/** Latency samples sliced by (phase, level, request): the shape the reading, the records and the statistics share. */

/** Key of one (phase, level, request) slice. */
export function cellKey(phase: string, levelIndex: number, request: string): string {
  return `${phase}\u0000${levelIndex}\u0000${request}`;
}

export interface LatencySamples {
  /** ascending milliseconds per cellKey; a slice without samples is absent */
  byCell: Map<string, Float64Array>;
  /** the blocking detector's probes: ascending milliseconds per probe scenario's name */
  byProbe?: Map<string, Float64Array>;
  /** http_req_duration rows read (measured or not) */
  rows: number;
}
