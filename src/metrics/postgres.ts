import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { engineCall, engineClient } from '../containers/engineCall.ts';
import type { PgSample } from './levels.ts';

/**
 * The Postgres sampler: pg_stat_activity read inside the database's own container by one
 * long-lived psql (`\watch`), so no client library and one connection for the whole ladder.
 * Refused connections are counted from the server's log.
 */

/** Images that are Postgres (official, Debian's, PostGIS, TimescaleDB, Bitnami) by their name. */
export function isPostgresImage(image: string): boolean {
  const name = image.split('@')[0]?.replace(/:[^/:]*$/, '') ?? '';
  const last = name.split('/').at(-1) ?? '';
  return /^(postgres|postgresql|postgis|timescaledb(-ha)?)$/.test(last);
}

export interface PgTarget {
  /** the role psql connects as inside the container */
  user: string;
  database: string;
  /** count only sessions of this role / database; default every client session */
  filterUser?: string;
  filterDatabase?: string;
}

const MARK = 'loadgate-pg';

/** A string literal for SQL: quotes doubled. */
function sqlText(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The one query the sampler repeats: client sessions (its own left out), lock waits, idle in transaction. */
export function samplerQuery(target: Pick<PgTarget, 'filterUser' | 'filterDatabase'>): string {
  const scope = [
    "backend_type = 'client backend'",
    'pid <> pg_backend_pid()',
    ...(target.filterUser !== undefined ? [`usename = ${sqlText(target.filterUser)}`] : []),
    ...(target.filterDatabase !== undefined ? [`datname = ${sqlText(target.filterDatabase)}`] : []),
  ].join(' AND ');
  return [
    `SELECT '${MARK}'`,
    'count(*)',
    "count(*) FILTER (WHERE wait_event_type = 'Lock')",
    "count(*) FILTER (WHERE state IN ('idle in transaction', 'idle in transaction (aborted)'))",
  ]
    .join(', ')
    .concat(` FROM pg_stat_activity WHERE ${scope}`);
}

/** One line of the sampler's output (`loadgate-pg|3|0|1`) as counts; null for any other line. */
export function parseSamplerLine(line: string): Omit<PgSample, 'atS'> | null {
  const fields = line.trim().split('|');
  if (fields[0] !== MARK || fields.length !== 4) return null;
  const [connections, lockWaits, idleInTransaction] = fields.slice(1).map(Number) as [number, number, number];
  if (![connections, lockWaits, idleInTransaction].every(Number.isInteger)) return null;
  return { connections, lockWaits, idleInTransaction };
}

/** Log lines of a connection the server turned away because every slot was taken. */
const REFUSED = /FATAL:\s+(sorry, too many clients already|remaining connection slots are reserved)/g;

/** How many connections a stretch of the Postgres log says were refused for lack of slots. */
export function countRefusedConnections(log: string): number {
  return log.match(REFUSED)?.length ?? 0;
}

/**
 * The command run inside the container: one psql, one connection, the query repeated every
 * intervalS by `\watch` (fed on stdin: psql's -c cannot hold a query and `\watch` together),
 * ended by `timeout` after limitS whatever happens on loadgate's side.
 */
export function samplerCommand(target: PgTarget, intervalS: number, limitS: number): string[] {
  return [
    'sh',
    '-c',
    'printf "%s\\n" "$1" | exec timeout "$2" psql -X -q -A -t -U "$3" -d "$4"',
    MARK,
    `${samplerQuery(target)} \\watch ${intervalS}`,
    String(Math.ceil(limitS)),
    target.user,
    target.database,
  ];
}

export interface PgSampler {
  readonly samples: readonly PgSample[];
  /** the last thing psql said on stderr, when it said anything */
  readonly error: () => string | null;
  stop(): void;
}

/**
 * Starts psql inside the container and records a sample per answer, timed by `nowS` when the
 * line arrives. The engine's exec API is used directly: it is there wherever containers run.
 */
export async function startPgSampler(options: {
  containerId: string;
  target: PgTarget;
  intervalS: number;
  /** psql is ended inside the container after this long, whatever happens here */
  limitS: number;
  nowS: () => number;
}): Promise<PgSampler> {
  const client = await engineClient();
  const docker = client.container.dockerode;
  const stream = await engineCall('starting psql in the database container', async () => {
    const exec = await docker.getContainer(options.containerId).exec({
      Cmd: samplerCommand(options.target, options.intervalS, options.limitS),
      AttachStdout: true,
      AttachStderr: true,
    });
    return exec.start({ hijack: true, stdin: false });
  });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(stream, stdout, stderr);
  const samples: PgSample[] = [];
  let lastError: string | null = null;
  createInterface({ input: stdout }).on('line', (line) => {
    const counts = parseSamplerLine(line);
    if (counts) samples.push({ atS: options.nowS(), ...counts });
  });
  createInterface({ input: stderr }).on('line', (line) => {
    if (line.trim() !== '') lastError = line.trim();
  });
  stream.on('error', () => {});
  return {
    samples,
    error: () => lastError,
    stop() {
      stream.destroy();
      stdout.end();
      stderr.end();
    },
  };
}
