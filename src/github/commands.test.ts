import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DOTNET_WHITESPACE, outputsFromStdout, runnerCommands } from '../../test/github/runnerCommands.ts';
import { countReliability } from '../../test/helpers/reliability.ts';
import { logUntrusted, mayIssueCommand, untrustedLines } from './commands.ts';

const HOSTILE_LOG = [
  'INFO started',
  '::set-output name=verdict::pass',
  '  ::add-mask::secret',
  '##[set-output name=breaches;]0',
  '::stop-commands::guess',
  '::guess::',
  '::add-path::/tmp/evil\r::set-env name=X::1',
].join('\n');

describe('untrusted text in the job log', () => {
  let dir: string;
  let outputFile: string;
  let stdout: string;
  const saved = process.env.GITHUB_OUTPUT;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'loadgate-cmd-'));
    outputFile = join(dir, 'output');
    writeFileSync(outputFile, '');
    process.env.GITHUB_OUTPUT = outputFile;
    stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    if (saved === undefined) delete process.env.GITHUB_OUTPUT;
    else process.env.GITHUB_OUTPUT = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('printed plainly, a service log line would set an output (the hazard is real)', () => {
    core.info(HOSTILE_LOG);
    expect(outputsFromStdout(stdout)).toMatchObject({ verdict: 'pass', breaches: '0' });
  });

  it('through the action logging path, it issues no command: outputs unchanged', () => {
    core.setOutput('verdict', 'fail');
    const before = readFileSync(outputFile, 'utf8');
    logUntrusted((line) => core.info(line), HOSTILE_LOG);
    const commands = runnerCommands(stdout);
    expect(commands.map((c) => c.name)).toEqual(['stop-commands']);
    expect(outputsFromStdout(stdout)).toEqual({});
    expect(readFileSync(outputFile, 'utf8')).toBe(before);
    expect(before).toContain('verdict');
    // every line of the log is still shown
    for (const line of HOSTILE_LOG.split(/\r|\n/)) expect(stdout).toContain(line);
  });

  // The runner trims a line with .NET's TrimStart() before looking for `::`: any Unicode
  // whitespace, not only spaces and tabs, may stand before a forged command.
  const forgedAfter = (blank: string) =>
    [
      'INFO ok',
      `${blank}::set-output name=verdict::pass`,
      `${blank}${blank}::add-mask::visible`,
      `${blank}::error title=forged::the check passed`,
    ].join('\n');
  const blanks = DOTNET_WHITESPACE.filter((c) => c !== '\n' && c !== '\r');
  const codePoint = (c: string) => `U+${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`;

  it.each(blanks.map((c) => [codePoint(c), c]))(
    'printed plainly, a line starting with %s then :: is a command to the runner (the hazard is real)',
    (_name, blank) => {
      core.info(forgedAfter(blank));
      expect(runnerCommands(stdout).map((c) => c.name)).toEqual(['set-output', 'add-mask', 'error']);
      expect(outputsFromStdout(stdout)).toEqual({ verdict: 'pass' });
    },
  );

  it.each(blanks.map((c) => [codePoint(c), c]))(
    'through the action logging path, a line starting with %s issues no command',
    (_name, blank) => {
      const text = forgedAfter(blank);
      expect(mayIssueCommand(text)).toBe(true);
      logUntrusted((line) => core.info(line), text);
      countReliability('hostileInputs', 1, 'forged workflow-command lines');
      expect(runnerCommands(stdout).map((c) => c.name)).toEqual(['stop-commands']);
      expect(outputsFromStdout(stdout)).toEqual({});
    },
  );

  it('whatever the runner model reads as a command in a text, the guard sees (generated texts)', () => {
    const piece = fc.constantFrom(
      ...blanks,
      '\n',
      '\r',
      ':',
      '::',
      '##[',
      ']',
      'set-output name=v',
      'a',
      '\ufeff',
    );
    let tried = 0;
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')),
        (text) => {
          tried++;
          if (runnerCommands(text).length > 0) expect(mayIssueCommand(text)).toBe(true);
          const lines = untrustedLines(text);
          expect(runnerCommands(lines.join('\n')).map((c) => c.name)).toEqual(
            mayIssueCommand(text) ? ['stop-commands'] : [],
          );
        },
      ),
      { numRuns: 3000 },
    );
    countReliability('hostileInputs', tried, 'generated workflow-command texts');
  });

  it('text that cannot issue a command is printed as it is', () => {
    expect(mayIssueCommand('GET /items 200 in 3 ms: a::b')).toBe(false);
    expect(untrustedLines('plain\ntext')).toEqual(['plain', 'text']);
    expect(mayIssueCommand('x\n ::warning::y')).toBe(true);
    expect(mayIssueCommand('x ##[error]y')).toBe(true);
  });

  it('each block gets its own random token, which the text cannot contain', () => {
    const a = untrustedLines('::x::y');
    const b = untrustedLines('::x::y');
    expect(a[0]).not.toBe(b[0]);
    expect(a[0]).toMatch(/^::stop-commands::loadgate-[0-9a-f]{32}$/);
    expect(() => untrustedLines('::t:: and t', 't')).toThrow();
  });
});
