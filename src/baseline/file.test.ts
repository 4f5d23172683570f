import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lognormalSamples, syntheticBaseline } from '../compare/testing.ts';
import { ConfigError, ExitCode, exitCodeOf } from '../errors.ts';
import { checkBaselineTarget, parseBaseline, readBaseline, writeBaseline } from './file.ts';
import { BASELINE_VERSION } from './schema.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-baseline-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const baseline = syntheticBaseline([{ level: 2, request: 'list', samples: lognormalSamples(400, 1) }]);

async function configErrorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  expect(exitCodeOf(error)).toBe(ExitCode.config);
  return error as ConfigError;
}

describe('baseline files', () => {
  it('round-trips through a file, written atomically with no leftovers', async () => {
    const path = join(dir, 'round', 'baseline.json');
    await writeBaseline(path, baseline);
    expect(await readBaseline(path)).toEqual(baseline);
    expect((await readdir(join(dir, 'round'))).sort()).toEqual(['baseline.json']);
  });

  it('refuses what is not JSON, not a baseline, newer, or damaged, naming the file and the path', async () => {
    expect(() => parseBaseline('{"baselineVersion": 1, "cells": [', 'b.json')).toThrow(
      /baseline b\.json is not valid JSON .*left as it is/,
    );
    expect(() => parseBaseline('{"schemaVersion": 1}', 'result.json')).toThrow(
      /result\.json is not a loadgate baseline \(it has no baselineVersion\)/,
    );
    const future = JSON.stringify({ ...baseline, baselineVersion: BASELINE_VERSION + 1, newField: {} });
    expect(() => parseBaseline(future, 'b.json')).toThrow(
      new RegExp(
        `version ${BASELINE_VERSION + 1}, written by a newer loadgate; this one reads version ${BASELINE_VERSION}`,
      ),
    );
    const damaged = structuredClone(baseline) as unknown as { cells: { count: unknown }[] };
    (damaged.cells[0] as { count: unknown }).count = -3;
    try {
      parseBaseline(JSON.stringify(damaged), 'b.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^b\.json: cells\.0\.count: /)]);
    }
  });

  it('a missing baseline is a ConfigError', async () => {
    const error = await configErrorOf(readBaseline(join(dir, 'nope.json')));
    expect(error.message).toMatch(/nope\.json does not exist/);
  });

  it('never overwrites a damaged, newer or foreign file as a save target', async () => {
    await checkBaselineTarget(join(dir, 'new.json')); // absent: fine
    const ok = join(dir, 'ok.json');
    await writeBaseline(ok, baseline);
    await checkBaselineTarget(ok); // a baseline of this version: replaced

    const cases: [string, string, RegExp][] = [
      [
        'corrupt.json',
        '{"baselineVersion": 1, "cel',
        /will not overwrite .*corrupt\.json: baseline .* is not valid JSON/,
      ],
      [
        'future.json',
        JSON.stringify({ baselineVersion: 99 }),
        /will not overwrite .*future\.json: .*version 99/,
      ],
      ['notes.txt', 'my notes', /will not overwrite .*notes\.txt/],
    ];
    for (const [name, content, message] of cases) {
      const path = join(dir, name);
      await writeFile(path, content);
      const error = await configErrorOf(checkBaselineTarget(path));
      expect(error.message).toMatch(message);
      expect(await readFile(path, 'utf8')).toBe(content);
    }
  });
});
