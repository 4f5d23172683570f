// Compose's `${VAR}` interpolation and the shell words of a string command, as compose reads them.

/** One piece of compose interpolation: `$$`, `${NAME…}` or `$NAME`. */
export const INTERPOLATION =
  /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Compose text as a loadgate template: variables become `${env.NAME}` (read at run time, kept
 * secret), defaults and alternatives are decided now, literal `${` is escaped as `$${`.
 */
export function interpolateTemplate(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  problem: (message: string) => void,
): string {
  let out = '';
  let literal = '';
  const flush = () => {
    out += literal.replaceAll('${', () => '$${');
    literal = '';
  };
  let last = 0;
  for (const match of text.matchAll(INTERPOLATION)) {
    literal += text.slice(last, match.index);
    last = (match.index ?? 0) + match[0].length;
    if (match[0] === '$$') {
      literal += '$';
      continue;
    }
    const name = (match[1] ?? match[4]) as string;
    const decided = decide(name, match[2], match[3] ?? '', env, problem);
    if (decided.kind === 'variable') {
      flush();
      out += `\${env.${name}}`;
    } else literal += decided.text;
  }
  literal += text.slice(last);
  flush();
  return out;
}

/** Compose text with its variables read now (for values that are not secrets: an image tag, a port). */
export function interpolateValue(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  problem: (message: string) => void,
): string {
  return text.replace(
    INTERPOLATION,
    (
      whole,
      braced: string | undefined,
      op: string | undefined,
      arg: string | undefined,
      bare: string | undefined,
    ) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare) as string;
      const decided = decide(name, op, arg ?? '', env, problem);
      return decided.kind === 'variable' ? (env[name] ?? '') : decided.text;
    },
  );
}

/** What `${NAME<op><arg>}` stands for: the variable itself, or text decided by whether it is set. */
export function decide(
  name: string,
  op: string | undefined,
  arg: string,
  env: Readonly<Record<string, string | undefined>>,
  problem: (message: string) => void,
): { kind: 'variable' } | { kind: 'text'; text: string } {
  const value = Object.hasOwn(env, name) ? env[name] : undefined;
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (op) {
    case undefined:
    case ':?':
    case '?':
      if (op !== undefined && !(op === ':?' ? nonEmpty : set))
        problem(`\${${name}${op}${arg}}: ${arg || `${name} is required`}`);
      return { kind: 'variable' };
    case ':-':
      return nonEmpty ? { kind: 'variable' } : { kind: 'text', text: arg };
    case '-':
      return set
        ? nonEmpty
          ? { kind: 'variable' }
          : { kind: 'text', text: '' }
        : { kind: 'text', text: arg };
    case ':+':
      return { kind: 'text', text: nonEmpty ? arg : '' };
    case '+':
      return { kind: 'text', text: set ? arg : '' };
    default:
      return { kind: 'variable' };
  }
}

/**
 * A compose `command:` string split into words as compose does (quotes and backslashes, no
 * shell: `$` and operators stay text). A library such as shell-quote expands variables, which
 * compose has already done by then.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string))
        word += text[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
