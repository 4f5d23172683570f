import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  countRefusedConnections,
  isPostgresImage,
  parseSamplerLine,
  samplerCommand,
  samplerQuery,
} from './postgres.ts';

// The log of a Postgres 15 started with max_connections=4 and superuser_reserved_connections=1,
// then sent 5 sessions of a plain role, then 3 of that role and 2 superusers at once.
const refusedLog = readFileSync(
  join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'postgres', 'refused-connections.txt'),
  'utf8',
);

describe('the Postgres sampler', () => {
  it('counts both ways a full server turns a connection away', () => {
    expect(countRefusedConnections(refusedLog)).toBe(3);
    expect(countRefusedConnections(refusedLog.split('\n').slice(0, 2).join('\n'))).toBe(1);
    expect(countRefusedConnections('')).toBe(0);
  });

  it('reads its own lines of psql output and nothing else', () => {
    expect(parseSamplerLine('loadgate-pg|3|1|2')).toEqual({
      connections: 3,
      lockWaits: 1,
      idleInTransaction: 2,
    });
    expect(parseSamplerLine('')).toBeNull();
    expect(parseSamplerLine('Mon Nov 23 16:02:16 2026 (every 0.5s)')).toBeNull();
    expect(parseSamplerLine('loadgate-pg|3|x|2')).toBeNull();
  });

  it('leaves its own session out, and quotes the filters it is given', () => {
    expect(samplerQuery({})).toContain('pid <> pg_backend_pid()');
    expect(samplerQuery({ filterUser: "o'neil", filterDatabase: 'app' })).toContain(
      "usename = 'o''neil' AND datname = 'app'",
    );
    const command = samplerCommand({ user: 'demo', database: 'demo' }, 0.5, 90.2);
    // the query travels as an argument, never through a shell's parsing
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(command.slice(3)).toEqual([
      'loadgate-pg',
      `${samplerQuery({})} \\watch 0.5`,
      '91',
      'demo',
      'demo',
    ]);
  });

  it('recognizes Postgres images by name', () => {
    for (const image of [
      'postgres:15',
      'docker.io/library/postgres:16-alpine',
      'postgis/postgis:16-3.4',
      'timescale/timescaledb:latest-pg16',
      'postgres@sha256:abc',
    ])
      expect(isPostgresImage(image), image).toBe(true);
    for (const image of ['mysql:8', 'myorg/postgres-backup:1', 'redis', 'localhost:5000/app:1'])
      expect(isPostgresImage(image), image).toBe(false);
  });
});
