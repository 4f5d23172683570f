import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { Inputs, Outputs } from './inputs.ts';

// action.yml, the constants the code reads inputs by, the README's table and the example
// workflows must agree: a renamed input that one of them misses is a silent misconfiguration.
const root = join(import.meta.dirname, '..', '..');
const action = YAML.parse(readFileSync(join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { description: string }>;
};
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The README table as it must read, made from action.yml. */
function actionTables(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|').replace(/\s+/g, ' ').trim();
  const inputs = Object.entries(action.inputs).map(
    ([name, spec]) =>
      `| \`${name}\` | ${spec.default ? `\`${cell(spec.default)}\`` : '—'} | ${cell(spec.description)} |`,
  );
  const outputs = Object.entries(action.outputs).map(
    ([name, spec]) => `| \`${name}\` | ${cell(spec.description)} |`,
  );
  return [
    '| Input | Default | What it does |',
    '| --- | --- | --- |',
    ...inputs,
    '',
    '| Output | What it holds |',
    '| --- | --- |',
    ...outputs,
  ].join('\n');
}

function between(text: string, start: string, end: string): string | null {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  return from < 0 || to < 0 ? null : text.slice(from + start.length, to).trim();
}

describe('the action interface', () => {
  it('action.yml declares exactly the inputs and outputs the code uses', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(Inputs).sort());
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(Outputs).sort());
  });

  it('the README table matches action.yml (copy the expected text into README.md when this fails)', () => {
    expect(between(readme, '<!-- action-table:start -->', '<!-- action-table:end -->')).toBe(actionTables());
  });

  it('the example workflows pass only inputs the action has, and name a mode it knows', () => {
    const dir = join(root, 'examples', 'workflows');
    // each uses the action once, but the distributed run: its runners, then its merge
    const uses: Record<string, number> = {
      'loadgate-pr.yml': 1,
      'loadgate-comment.yml': 1,
      'loadgate-nightly.yml': 1,
      'loadgate-release.yml': 1,
      'loadgate-distributed.yml': 2,
    };
    for (const file of Object.keys(uses)) {
      const workflow = YAML.parse(readFileSync(join(dir, file), 'utf8')) as {
        permissions: Record<string, string>;
        concurrency: { group: string };
        jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
      };
      for (const job of Object.values(workflow.jobs)) {
        const checkout = job.steps.find((s) => s.uses?.startsWith('actions/checkout@'));
        const action = job.steps.find((s) => s.uses?.startsWith('loadgate/loadgate@'));
        if (!checkout) continue;
        // the git store pushes and fetches with the token input: no credentials left on disk
        expect(checkout.with?.['persist-credentials'], file).toBe(false);
        // paired mode (pr mode's default) builds the base commit, which a shallow clone lacks
        const paired = action?.with?.mode === 'pr' && action.with.paired !== 'off' && !action.with.parts;
        if (paired) expect(checkout.with?.['fetch-depth'], file).toBe(0);
      }
      expect(workflow.permissions, file).toBeDefined();
      expect(workflow.concurrency.group, file).toMatch(/^loadgate-/);
      const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
      const ours = steps.filter((s) => s.uses?.startsWith('loadgate/loadgate@'));
      expect(ours, file).toHaveLength(uses[file] as number);
      for (const key of ours.flatMap((step) => Object.keys(step.with ?? {})))
        expect(Object.values(Inputs), `${file}: ${key}`).toContain(key);
      expect(readme, `README links ${file}`).toContain(`examples/workflows/${file}`);
    }
  });
});
