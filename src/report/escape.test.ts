import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { countReliability } from '../../test/helpers/reliability.ts';
import { DEFAULT_MAX_CHARS, escapeMarkdown } from './escape.ts';

const ZWJ = '\u200d';

/** Characters Markdown or GitHub give meaning to, mixed with plain ones. */
const hostileChar = fc.constantFrom(
  ...'<>|`@#&\\[]()!*_~$:/.-+=\n\r\t w1a'.split(''),
  '\u2028',
  '\u202e',
  '\u0000',
  '\u001b',
  '😀',
);
const hostileString = fc.oneof(
  fc.string({ unit: hostileChar, maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

let hostileTried = 0;

describe('escapeMarkdown', () => {
  afterAll(() =>
    countReliability('hostileInputs', hostileTried, 'generated strings through the Markdown escaping'),
  );

  it('leaves plain names alone', () => {
    expect(escapeMarkdown('items')).toBe('items');
    expect(escapeMarkdown('GET items 2')).toBe('GET items 2');
    expect(escapeMarkdown('45.2')).toBe('45.2');
  });

  it('turns HTML into text', () => {
    expect(escapeMarkdown('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(escapeMarkdown('&lt;b&gt;')).toBe('&amp;lt;b&amp;gt;');
  });

  it('keeps a table row whole', () => {
    expect(escapeMarkdown('a | b')).toBe('a &#124; b');
    expect(escapeMarkdown('a\\|b')).toBe('a\\\\&#124;b');
  });

  it('opens no code span', () => {
    expect(escapeMarkdown('`rm -rf /`')).toBe('&#96;rm -rf /&#96;');
  });

  it('breaks mentions, issue references and email autolinks', () => {
    expect(escapeMarkdown('@octocat')).toBe(`@${ZWJ}octocat`);
    expect(escapeMarkdown('@org/team')).toBe(`@${ZWJ}org/team`);
    expect(escapeMarkdown('owner/repo#1')).toBe(`owner/repo#${ZWJ}1`);
    expect(escapeMarkdown('a@b.com')).toBe(`a@${ZWJ}b.com`);
  });

  it('makes no link', () => {
    expect(escapeMarkdown('[link](javascript:alert(1))')).toBe('\\[link\\](javascript:alert(1))');
    expect(escapeMarkdown('![img](https://x.test/a.png)')).toBe(`!\\[img\\](https:${ZWJ}//x.test/a.png)`);
    expect(escapeMarkdown('see www.example.com')).toBe(`see www${ZWJ}.example.com`);
  });

  it('makes no emphasis, math, list or heading', () => {
    expect(escapeMarkdown('*a* _b_ ~~c~~ $x$')).toBe('\\*a\\* \\_b\\_ \\~\\~c\\~\\~ \\$x\\$');
    expect(escapeMarkdown('1. first')).toBe('1\\. first');
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('# title')).toBe(`#${ZWJ} title`);
    expect(escapeMarkdown('> quote')).toBe('&gt; quote');
  });

  it('puts everything on one line', () => {
    expect(escapeMarkdown('a\nb\r\nc\u2028d\te\u001b[31m')).toBe('a b c d e [31m'.replace('[', '\\['));
    expect(escapeMarkdown('  spaced   out  ')).toBe('spaced out');
  });

  it('drops bidi controls', () => {
    expect(escapeMarkdown('abc\u202edef')).toBe('abcdef');
  });

  it('clips a 100 kB string with an ellipsis', () => {
    const out = escapeMarkdown('x'.repeat(100_000));
    expect(out).toBe(`${'x'.repeat(DEFAULT_MAX_CHARS - 1)}…`);
    expect(escapeMarkdown('y'.repeat(500), 10)).toBe(`${'y'.repeat(9)}…`);
  });

  it('never splits a surrogate pair when clipping', () => {
    const out = escapeMarkdown('😀'.repeat(50), 10);
    expect(Array.from(out)).toEqual([...Array(9).fill('😀'), '…']);
  });

  it('never emits a raw <, >, |, backtick or line break', () => {
    fc.assert(
      fc.property(hostileString, (text) => {
        hostileTried++;
        const out = escapeMarkdown(text);
        expect(out).not.toMatch(/[<>|`\n\r\u2028\u2029]/);
      }),
    );
  });

  it('leaves every & the start of its own entity and every @ unlinkable', () => {
    fc.assert(
      fc.property(hostileString, (text) => {
        hostileTried++;
        const out = escapeMarkdown(text);
        expect(out).not.toMatch(/&(?!(amp|lt|gt|#124|#96);)/);
        expect(out).not.toMatch(new RegExp(`@(?!${ZWJ})`));
        expect(out).not.toMatch(/:\/\//);
      }),
    );
  });

  it('escapes every [ and ] so no link can form', () => {
    fc.assert(
      fc.property(hostileString, (text) => {
        hostileTried++;
        // Every [ or ] is preceded by an odd number of backslashes.
        for (const match of escapeMarkdown(text).matchAll(/(\\*)[[\]]/g)) {
          expect((match[1] ?? '').length % 2).toBe(1);
        }
      }),
    );
  });

  it('stays within the clip length plus what escaping adds', () => {
    fc.assert(
      fc.property(hostileString, fc.integer({ min: 1, max: 100 }), (text, max) => {
        hostileTried++;
        // The longest replacement is 6 characters (&#124;) for one character.
        expect(escapeMarkdown(text, max).length).toBeLessThanOrEqual(max * 6 + 2);
      }),
    );
  });
});
