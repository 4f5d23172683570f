/**
 * How the Actions runner reads a step's output for workflow commands (actions/runner,
 * ActionCommand.TryParseV2 and ActionCommandManager): lines end at CR, LF or CRLF (.NET's
 * ReadLine); a line whose text after .NET's TrimStart() starts with `::` is a command
 * `::name key=value,...::data`; a line containing `##[name key=value;]data` is a legacy one;
 * `::stop-commands::TOKEN` ignores every line until a command named TOKEN (case-insensitive).
 * Tests feed the action's real stdout through this to see which commands a runner would execute.
 */

/**
 * The characters .NET's Char.IsWhiteSpace() accepts, which TrimStart() removes: the Unicode
 * space separators (Zs), the line and paragraph separators, U+0009–U+000D and U+0085 (NEL).
 * JavaScript's trim() differs: it keeps NEL and removes U+FEFF, which .NET keeps.
 */
export const DOTNET_WHITESPACE: readonly string[] = [
  ...range(0x09, 0x0d),
  ' ',
  '\u0085',
  '\u00a0',
  '\u1680',
  ...range(0x2000, 0x200a),
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
];

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));
}

/** .NET's String.TrimStart(): every leading Char.IsWhiteSpace character removed. */
export function dotnetTrimStart(text: string): string {
  let start = 0;
  while (start < text.length && DOTNET_WHITESPACE.includes(text[start] as string)) start++;
  return text.slice(start);
}
export interface RunnerCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
}

export function runnerCommands(stdout: string): RunnerCommand[] {
  const commands: RunnerCommand[] = [];
  let stopToken: string | null = null;
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    const command = parseV2(dotnetTrimStart(line)) ?? parseV1(line);
    if (!command) continue;
    if (stopToken !== null) {
      if (command.name.toLowerCase() === stopToken.toLowerCase()) stopToken = null;
      continue;
    }
    if (command.name === 'stop-commands') stopToken = command.data;
    commands.push(command);
  }
  return commands;
}

/** The outputs a runner would take from `::set-output` commands in a step's stdout. */
export function outputsFromStdout(stdout: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const c of runnerCommands(stdout)) {
    if (c.name === 'set-output' && c.properties.name) outputs[c.properties.name] = c.data;
  }
  return outputs;
}

function unescapeData(text: string): string {
  return text.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');
}

function unescapeProperty(text: string): string {
  return unescapeData(text).replaceAll('%3A', ':').replaceAll('%2C', ',');
}

function parseV2(line: string): RunnerCommand | null {
  if (!line.startsWith('::')) return null;
  const end = line.indexOf('::', 2);
  if (end < 0) return null;
  const info = line.slice(2, end);
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  if (name === '') return null;
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const pair of info.slice(space + 1).split(',')) {
      const eq = pair.indexOf('=');
      if (eq > 0) properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { name, properties, data: unescapeData(line.slice(end + 2)) };
}

function parseV1(line: string): RunnerCommand | null {
  const start = line.indexOf('##[');
  if (start < 0) return null;
  const close = line.indexOf(']', start);
  if (close < 0) return null;
  const info = line.slice(start + 3, close);
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const pair of info.slice(space + 1).split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) properties[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
    }
  }
  return { name, properties, data: line.slice(close + 1) };
}

/** The `name<<delimiter` blocks of a runner file command (GITHUB_OUTPUT, GITHUB_STATE), as the runner reads them. */
export function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i] as string);
    if (!m) continue;
    const value: string[] = [];
    for (i += 1; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i] as string);
    values[m[1] as string] = value.join('\n');
  }
  return values;
}
