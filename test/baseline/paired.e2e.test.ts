import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Comparison, ComparisonSchema } from '../../src/compare/schema.ts';
import { listRunLeftovers } from '../../src/containers/leftovers.ts';
import { runCli } from '../helpers/cli.ts';

// Paired mode on the demo, as a user runs it: the candidate calls an upstream 20 ms slower than
// the base's (see paired-demo.yml); 3 ABBA blocks of 5 s slots at 40 req/s. About 2.5 minutes.
const config = join(import.meta.dirname, 'paired-demo.yml');

describe('loadgate paired on the demo', () => {
  const out = mkdtempSync(join(tmpdir(), 'loadgate-paired-e2e-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('alternates base and candidate and calls the slower upstream a regression of items, far larger than any of health', async () => {
    const run = await runCli([
      'paired',
      '--config',
      config,
      '--out',
      out,
      '--base-set',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own reference syntax
      'service.env.DEMO_UPSTREAM_URL=http://${upstream.host}:${upstream.port}/quote',
      '--rate',
      '40',
      '--slot',
      '5',
      '--warmup',
      '1',
      '--blocks',
      '3',
      '--max-blocks',
      '3',
    ]);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(1);
    const written = JSON.parse(readFileSync(join(out, 'paired.json'), 'utf8')) as {
      comparison: Comparison;
      blocks: { valid: boolean; reason: string | null }[];
      slots: {
        variant: string;
        block: number;
        canaryP50Ms: number | null;
        requests: { name: string; count: number }[];
      }[];
    };
    const comparison = ComparisonSchema.parse(written.comparison);
    expect(comparison).toMatchObject({ mode: 'paired', verdict: 'regressed' });
    // a busy machine may spoil a block (the canary moved against the others, the generator
    // saturated): it is left out with its reason. The block is the unit of the test, so two valid
    // blocks are a t(1) test: a change this large (+35%) needs them to agree closely
    expect(written.blocks).toHaveLength(3);
    expect(written.blocks.filter((b) => b.valid).length).toBeGreaterThanOrEqual(2);
    for (const block of written.blocks.filter((b) => !b.valid)) expect(block.reason).toMatch(/\w/);
    expect(written.slots.map((s) => s.variant[0]).join('')).toBe('bccbcbbcbccb');
    for (const slot of written.slots) {
      expect(slot.canaryP50Ms).not.toBeNull();
      expect(slot.requests.find((r) => r.name === 'items')?.count).toBeGreaterThan(100);
    }
    const items = comparison.metrics.find((m) => m.request === 'items' && m.metric === 'p50Ms');
    expect(items?.verdict).toBe('regressed');
    expect(items?.change).toBeGreaterThan(0.2);
    // health does not call the upstream; with more of items in flight on the candidate it may
    // genuinely slow a little, never by a share close to items'
    for (const health of comparison.metrics.filter((m) => m.request === 'health' && m.metric === 'p50Ms'))
      expect(health.change ?? 0).toBeLessThan((items?.change ?? 0) / 2);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('### Comparison: REGRESSED');
    expect(run.stdout).toMatch(/block 3 slot 4 \(base\): items \d+ requests, p50 [\d.]+ ms/);
    // this run's own containers (other runs may share the engine)
    const runId = /paired run (\S+),/.exec(run.stdout)?.[1];
    expect(runId).toBeDefined();
    expect(await listRunLeftovers(runId)).toEqual({ containers: 0, networks: 0 });
  });
});
