import { wilsonInterval } from '../../src/compare/stats.ts';

/**
 * A rate measured on checks drawn from a pool of B distinct blocks. The checks share blocks, so
 * they are not independent: the interval is Wilson's with n = B (the pool's distinct blocks, the
 * independent units it holds), not n = checks. With checks of 3 to 6 blocks even B overstates
 * what the pool knows about the first look's blocks; it is the conservative choice the
 * benchmark can afford, and the table says so.
 */
export interface Rate {
  events: number;
  checks: number;
  distinct: number;
  rate: number;
  low: number;
  high: number;
}

export function rateOf(events: number, checks: number, distinct: number): Rate {
  const rate = checks > 0 ? events / checks : Number.NaN;
  const [low, high] = checks > 0 ? wilsonInterval(rate * distinct, distinct) : [0, 1];
  return { events, checks, distinct, rate, low, high };
}

/** "3% (0–21%)" */
export function rateText(r: Rate): string {
  if (!(r.checks > 0)) return '—';
  const p = (x: number) => `${Math.round(x * 100)}`;
  return `${p(r.rate)}% (${p(r.low)}–${p(r.high)}%)`;
}
