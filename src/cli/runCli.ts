import { Command, CommanderError } from 'commander';
import type { BaselineRunOptions } from '../baseline/step.ts';
import { compareOffline } from '../compare/offline.ts';
import { ConfigError, ExitCode, exitCodeOf } from '../errors.ts';
import { formatPoolTable, formatTerminalTable } from '../report/terminal.ts';
import { exitCodeForVerdict, runLoadgate } from '../run.ts';
import { consoleProgress } from './progress.ts';

export const DEFAULT_CONFIG_PATH = '.github/loadgate.yml';
export const DEFAULT_OUT_DIR = 'loadgate-out';

/**
 * The command line: `loadgate run --config FILE --out DIR [--set k=v]...`.
 * Returns the exit status: 0 pass, 1 gate breach or regression, 2 config or usage error,
 * 3 infrastructure error.
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = ExitCode.pass;
  const program = new Command('loadgate')
    .description('Load regressions caught before they ship: a k6 ladder against your service in containers.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run loadgate --help for usage)');

  program
    .command('run')
    .description('start the service and its dependencies, drive the ladder, report and gate')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_PATH)
    .option('-o, --out <dir>', 'where result.json, report.md, k6 output and logs go', DEFAULT_OUT_DIR)
    .option(
      '-s, --set <key=value>',
      'override a setting, e.g. service.env.POOL_SIZE=5 (repeatable)',
      collect,
      [],
    )
    .option('-q, --quiet', 'no live progress, only steps and the final table')
    .option(
      '--baseline <where>',
      'compare with a baseline: a file, or git:[branch][#series] (its newest record)',
    )
    .option(
      '--save-baseline <where>',
      'when the run passes, save it as a baseline: a file, or git:[branch][#series]',
    )
    .option(
      '--floor <metric=value>',
      'a practical floor, e.g. p95=10%, errorRate=0.5% (repeatable)',
      collect,
      [],
    )
    .action(async (options: RunCommandOptions) => {
      const abort = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        io.err(`\nloadgate: ${signal} received, stopping k6 and the containers...\n`);
        abort.abort(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const live = !options.quiet && io.isTty && !process.env.CI;
        const outcome = await runLoadgate({
          configPath: options.config,
          outDir: options.out,
          overrides: options.set,
          baseline: baselineOptions(options),
          progress: consoleProgress(io, live),
          signal: abort.signal,
        });
        io.out(`\n${formatTerminalTable(outcome.result)}\n`);
        io.out(`\n${formatPoolTable(outcome.result)}\n`);
        io.out(`\n${outcome.result.summary}\n`);
        io.out(`result: ${outcome.resultPath}\nreport: ${outcome.reportPath}\n`);
        exitCode = exitCodeForVerdict(outcome.result.verdict);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });

  program
    .command('compare <baseline> <result>')
    .description(
      'compare two saved runs without running load: each a baseline file, a result.json or an output folder',
    )
    .option('-o, --out <dir>', 'write comparison.json and report.md (and the re-judged result.json) here')
    .option(
      '--floor <metric=value>',
      'a practical floor, e.g. p95=10%, errorRate=0.5% (repeatable)',
      collect,
      [],
    )
    .action(async (baseline: string, result: string, options: { out?: string; floor: string[] }) => {
      const outcome = await compareOffline({
        baselinePath: baseline,
        resultPath: result,
        floors: options.floor,
        ...(options.out !== undefined ? { outDir: options.out } : {}),
      });
      io.out(`${outcome.reportMarkdown}\n${outcome.verdict}: ${outcome.summary}\n`);
      for (const file of outcome.written) io.out(`wrote ${file}\n`);
      exitCode = exitCodeForVerdict(outcome.verdict);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.config;
    }
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.pass : ExitCode.config;
    }
    io.err(`${describeError(error)}\n`);
    return exitCodeOf(error);
  }
  return exitCode;
}

function describeError(error: unknown): string {
  if (error instanceof ConfigError && error.problems.length > 0) {
    return `loadgate: ${error.message}`;
  }
  if (error instanceof Error) return `loadgate: ${error.message}`;
  return `loadgate: ${String(error)}`;
}

interface RunCommandOptions {
  config: string;
  out: string;
  set: string[];
  quiet?: boolean;
  baseline?: string;
  saveBaseline?: string;
  floor: string[];
}

function baselineOptions(options: RunCommandOptions): BaselineRunOptions {
  return {
    ...(options.baseline !== undefined ? { baselinePath: options.baseline } : {}),
    ...(options.saveBaseline !== undefined ? { saveBaselinePath: options.saveBaseline } : {}),
    floors: options.floor,
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  isTty: boolean;
}

function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTty: Boolean(process.stdout.isTTY),
  };
}
