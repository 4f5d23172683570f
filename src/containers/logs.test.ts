import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countReliability } from '../../test/helpers/reliability.ts';
import { describeError } from '../cli/runCli.ts';
import { InfraError } from '../errors.ts';
import { inertText, isControl, tailFile } from './logs.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-logs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// What a hostile or careless service can print: a window title, a screen clear, a cursor move
// over earlier lines, colours, an 8-bit CSI, a bell, a right-to-left override.
const HOSTILE = [
  'INFO starting',
  '\x1b]0;loadgate: all checks passed\x07\x1b[2J\x1b[H\x1b[1A\x1b[2K\x1b[32mPASS\x1b[0m',
  'progress 10%\rprogress 100%',
  '\x9b31mred\x9b0m \u202eevil.sh\u202c',
  'ERROR cannot start\r',
].join('\n');

describe('log text shown to a user', () => {
  it('is inert: every control sequence shown as its escape, lines and tabs kept', () => {
    expect(inertText(HOSTILE).split('\n')).toEqual([
      'INFO starting',
      '\\x1b]0;loadgate: all checks passed\\x07\\x1b[2J\\x1b[H\\x1b[1A\\x1b[2K\\x1b[32mPASS\\x1b[0m',
      'progress 10%\\x0dprogress 100%',
      '\\x9b31mred\\x9b0m \\u202eevil.sh\\u202c',
      'ERROR cannot start\\x0d',
    ]);
    expect(inertText('a\tb\r\nc')).toBe('a\tb\nc');
  });

  it('holds for any text: nothing a terminal acts on is left, and inert text stays as it is', () => {
    let tried = 0;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        tried++;
        const inert = inertText(text);
        // plain booleans: an expect per generated text costs more than the function under test
        return [...inert].every((c) => !isControl(c.codePointAt(0) as number)) && inertText(inert) === inert;
      }),
      { numRuns: 1000 },
    );
    countReliability('hostileInputs', tried, 'generated log texts made inert');
  });

  it("the tail of a service's log, and an error quoting it, reach the terminal inert", async () => {
    const log = join(dir, 'service.log');
    await writeFile(log, `${HOSTILE}\n`);
    const tail = await tailFile(log, 3);
    expect(tail).not.toContain('\x1b');
    expect(tail).toContain('\\x9b31mred');
    const shown = describeError(
      new InfraError(`the service exited during the load; last lines:\n${HOSTILE}`),
    );
    expect([...shown].filter((c) => isControl(c.codePointAt(0) as number))).toEqual([]);
    expect(shown).toContain('\\x1b[32mPASS');
    countReliability('hostileInputs', 2, 'log tails with escape sequences');
  });
});
