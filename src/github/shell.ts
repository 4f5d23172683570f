/**
 * Quotes one word for a POSIX shell (bash, zsh, dash): the shell reads it back as exactly this
 * text, with no expansion, substitution or word splitting. Plain words stay bare; anything with
 * a control character (a newline, an escape) uses bash's $'…' so the command stays on one line.
 */
export function shellQuote(word: string): string {
  // The first character is never "=" or "~" (zsh's =cmd and every shell's ~user expand).
  if (/^[A-Za-z0-9_./-][A-Za-z0-9_./,:=+%@-]*$/.test(word)) return word;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we look for
  if (/[\u0000-\u001f\u007f]/.test(word)) {
    let out = "$'";
    for (const ch of word) {
      const code = ch.codePointAt(0) as number;
      if (ch === '\\' || ch === "'") out += `\\${ch}`;
      else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else out += ch;
    }
    return `${out}'`;
  }
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line from words, each quoted with shellQuote. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
