/**
 * How the Actions runner reads a step's output for workflow commands (actions/runner,
 * ActionCommandManager): a line whose trimmed text starts with `::` is a command
 * `::name key=value,...::data`; a line containing `##[name key=value;]data` is a legacy one;
 * `::stop-commands::TOKEN` ignores every line until one that is exactly `::TOKEN::`. Tests feed
 * the action's real stdout through this to see which commands a runner would execute.
 */
export interface RunnerCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
}

export function runnerCommands(stdout: string): RunnerCommand[] {
  const commands: RunnerCommand[] = [];
  let stopToken: string | null = null;
  for (const raw of stdout.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (stopToken !== null) {
      if (line === `::${stopToken}::`) stopToken = null;
      continue;
    }
    const command = parseV2(line) ?? parseV1(line);
    if (!command) continue;
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
