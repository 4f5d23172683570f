import { clip, toOneLine } from './format.ts';

/** A sane cell width for a name from a user's config or a service. */
export const DEFAULT_MAX_CHARS = 80;

const ZWJ = '\u200d';

// Characters Markdown, GFM tables and GitHub give meaning to inside a line. HTML-significant ones
// and the two that end or open structure regardless of backslashes (| splits a table row before
// inline parsing; a backtick opens a code span) become character references, which CommonMark
// always treats as literal text; the rest take a backslash.
const REPLACEMENTS: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '|': '&#124;',
  '`': '&#96;',
  '\\': '\\\\',
  '*': '\\*',
  _: '\\_',
  '~': '\\~',
  '[': '\\[',
  ']': '\\]',
  $: '\\$',
  // GitHub links @user / @org/team (a notification) and #123 / owner/repo#123 (a cross-reference)
  // after rendering, so backslashes cannot stop them; a zero-width joiner breaks the pattern.
  '@': `@${ZWJ}`,
  '#': `#${ZWJ}`,
};

/**
 * Renders a string from a user's config or a service inert in Markdown, on one line: it shows as
 * the text it was (clipped to `maxChars` characters with an ellipsis), never as HTML, a link, a
 * mention, an issue reference, a code span, emphasis, math or a list, and never breaks a table
 * row. The output contains no raw `<`, `>`, `|` or backtick.
 */
export function escapeMarkdown(text: string, maxChars: number = DEFAULT_MAX_CHARS): string {
  const plain = clip(toOneLine(text), maxChars);
  let out = '';
  for (const ch of plain) out += REPLACEMENTS[ch] ?? ch;
  return (
    out
      // GFM autolinks bare URLs and www. domains; break the scheme separator and the prefix.
      .replace(/:\/\//g, `:${ZWJ}//`)
      .replace(/\bwww\./gi, (www) => `${www.slice(0, 3)}${ZWJ}.`)
      // At the start of a list item or cell, "1. " / "1) " opens an ordered list and "-", "+"
      // a bullet list or a thematic break.
      .replace(/^(\d{1,9})([.)])(?= |$)/, '$1\\$2')
      .replace(/^([-+])/, '\\$1')
  );
}
