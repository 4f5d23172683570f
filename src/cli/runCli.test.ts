import { describe, expect, it } from 'vitest';
import { TOOL_VERSION } from '../version.ts';
import { runCli } from './runCli.ts';

describe('loadgate --version', () => {
  it("prints loadgate's version and exits 0", async () => {
    for (const flag of ['--version', '-V']) {
      const out: string[] = [];
      const code = await runCli([flag], { out: (t) => out.push(t), err: () => {}, isTty: false });
      expect(code).toBe(0);
      expect(out.join('')).toBe(`${TOOL_VERSION}\n`);
    }
    expect(TOOL_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
