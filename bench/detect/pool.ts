import type { Slot } from '../../src/compare/paired.ts';

/**
 * A variant's pool of recorded ABBA blocks, as saved to `<pool-dir>/<variant>.json`. Recording
 * appends to it, so a pool can be recorded in pieces; latencies are kept to the microsecond.
 */
export interface RecordedSlot extends Slot {
  /** the service container's CPU time during the slot (its cgroup), ms; null when unread */
  cpuMs: number | null;
  /** wall time of the slot, k6's start included, s */
  wallS: number;
}

export interface RecordedBlock {
  /** when recorded (ISO) */
  at: string;
  slots: RecordedSlot[];
}

export interface Pool {
  variant: string;
  rate: number;
  slotS: number;
  warmupS: number;
  /** seconds each recording session took to start its stack and prime its services */
  startupS: number[];
  blocks: RecordedBlock[];
}

type Saved<T> = Omit<T, 'samples' | 'canary'> & { samples?: number[]; canary?: number[] | null };

const round = (values: ArrayLike<number>) => Array.from(values, (v) => Math.round(v * 1000) / 1000);

/** The pool as JSON (arrays in place of Float64Arrays). */
export function poolToJson(pool: Pool): string {
  return JSON.stringify({
    ...pool,
    blocks: pool.blocks.map((b) => ({
      ...b,
      slots: b.slots.map((s) => ({
        ...s,
        canary: s.canary ? round(s.canary) : null,
        requests: s.requests.map((r) => ({ ...r, samples: round(r.samples) })),
      })),
    })),
  });
}

/** The pool from its JSON. */
export function poolFromJson(text: string): Pool {
  const saved = JSON.parse(text) as Omit<Pool, 'blocks'> & {
    blocks: {
      at: string;
      slots: (Saved<RecordedSlot> & { requests: Saved<Slot['requests'][number]>[] })[];
    }[];
  };
  return {
    ...saved,
    blocks: saved.blocks.map((b) => ({
      ...b,
      slots: b.slots.map((s) => ({
        ...s,
        canary: s.canary ? Float64Array.from(s.canary) : null,
        requests: s.requests.map((r) => ({ ...r, samples: Float64Array.from(r.samples ?? []) })),
      })) as RecordedSlot[],
    })),
  };
}
