import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findK6OfRun, isK6OfRun, K6_RUN_ID_ENV, stopK6OfRun } from './orphans.ts';

describe('orphaned k6', () => {
  const root = mkdtempSync(join(tmpdir(), 'loadgate-orphans-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('knows a run’s k6 by the whole variable, not a prefix of it', () => {
    const environ = ['PATH=/usr/bin', `${K6_RUN_ID_ENV}=20261123-210000-abcdef`, ''].join('\0');
    expect(isK6OfRun(environ, '20261123-210000-abcdef')).toBe(true);
    expect(isK6OfRun(environ, '20261123-210000-abc')).toBe(false);
    expect(isK6OfRun(`X${K6_RUN_ID_ENV}=20261123-210000-abcdef`, '20261123-210000-abcdef')).toBe(false);
    expect(isK6OfRun(environ, '')).toBe(false);
  });

  it('reads only pid folders and skips the unreadable', async () => {
    const proc = join(root, 'proc');
    for (const [name, environ] of [
      ['12', `${K6_RUN_ID_ENV}=r1\0`],
      ['13', `${K6_RUN_ID_ENV}=r2\0`],
      ['self', `${K6_RUN_ID_ENV}=r1\0`],
    ]) {
      mkdirSync(join(proc, name as string), { recursive: true });
      writeFileSync(join(proc, name as string, 'environ'), environ as string);
    }
    mkdirSync(join(proc, '14')); // no environ: gone meanwhile
    expect(await findK6OfRun('r1', proc)).toEqual([12]);
    expect(await findK6OfRun('r1', join(root, 'nowhere'))).toEqual([]);
  });

  it('finds and ends a real process of the run, and leaves another run’s alone', async () => {
    const start = (runId: string) => {
      const child = spawn('sleep', ['60'], {
        env: { ...process.env, [K6_RUN_ID_ENV]: runId },
        detached: true,
      });
      const ended = new Promise<NodeJS.Signals | null>((done) =>
        child.once('exit', (_code, signal) => done(signal)),
      );
      return { pid: child.pid, ended, child };
    };
    const ours = start(`orphans-test-${process.pid}`);
    const theirs = start(`orphans-other-${process.pid}`);
    try {
      expect(await findK6OfRun(`orphans-test-${process.pid}`)).toEqual([ours.pid]);
      expect(await stopK6OfRun(`orphans-test-${process.pid}`)).toBe(1);
      expect(await ours.ended).toBe('SIGKILL');
      expect(await findK6OfRun(`orphans-test-${process.pid}`)).toEqual([]);
      expect(await findK6OfRun(`orphans-other-${process.pid}`)).toEqual([theirs.pid]);
    } finally {
      ours.child.kill('SIGKILL');
      theirs.child.kill('SIGKILL');
    }
  });
});
