import type { Merged } from '../result/schema.ts';
import { escapeMarkdown } from './escape.ts';

/**
 * What a merged run (several runners' parts) says about itself in report.md: how many runners,
 * how the figures were computed, how far apart they started, and each part's fate. Paths and
 * notes come from the parts' files, so they are escaped like any other untrusted text.
 */
export function mergedSection(merged: Merged): string[] {
  const used = merged.parts.filter((p) => p.used).length;
  const skew = merged.skewS === null ? 'none started' : `started within ${merged.skewS.toFixed(2)} s`;
  const lines = [
    `**Merged** from ${used} of ${merged.segments} runners (k6 execution segments; ${skew}, at most ${merged.maxSkewS} s allowed): counts add up over the runners, and percentiles are k6's own over the union of every runner's samples.`,
  ];
  const notes = merged.parts.filter((p) => !p.used || p.note !== null);
  for (const part of notes) {
    lines.push(
      `- segment ${escapeMarkdown(part.segment, 20)} (${escapeMarkdown(part.where, 120)}): ${part.used ? '' : 'left out; '}${escapeMarkdown(part.note ?? 'not used', 300)}`,
    );
  }
  for (const segment of merged.missing) lines.push(`- segment ${escapeMarkdown(segment, 20)}: missing`);
  return [lines.join('\n')];
}
