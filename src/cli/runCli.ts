import { Command, CommanderError } from 'commander';
import { Cancellation, type CancellationOptions } from '../cancel.ts';
import { compareOffline } from '../compare/offline.ts';
import { runCalibration, runPaired } from '../compare/pairedRun.ts';
import { DEFAULT_CONFIG_PATH } from '../config/defaults.ts';
import { inertText } from '../containers/logs.ts';
import { ConfigError, ExitCode, errorMessage, exitCodeOf } from '../errors.ts';
import { redact } from '../redact.ts';
import { formatPoolTable, formatTerminalTable } from '../report/terminal.ts';
import { exitCodeForResult, exitCodeForVerdict, newRunId, runLoadgate } from '../run.ts';
import { TOOL_VERSION } from '../version.ts';
import { addK6OperatorCommand, addMergeCommand, runSegmentCommand } from './distributed.ts';
import { baselineOptions, type CliIo, collect, type RunCommandOptions } from './options.ts';
import { consoleProgress } from './progress.ts';

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
    .version(TOOL_VERSION, '-V, --version', "print loadgate's version")
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
      '--trend <where>',
      'chart p95 over the stored runs of git:[branch][#series], this run last (default: the --save-baseline store, when it is git:)',
    )
    .option(
      '--floor <metric=value>',
      'a practical floor, e.g. p95=10%, errorRate=0.5% (repeatable)',
      collect,
      [],
    )
    .option(
      '--segment <i/N>',
      "a target only: run runner i's share of N (k6's execution segment) and write its part for loadgate merge",
    )
    .option(
      '--start-at <time>',
      'with --segment: start the ladder at this ISO 8601 time, with the other runners',
    )
    .action(async (options: RunCommandOptions) => {
      if (options.segment !== undefined) {
        const segmentOptions = { ...options, segment: options.segment };
        await whileSignalsCancel(io, async (signal, onRunId) => {
          exitCode = await runSegmentCommand(segmentOptions, io, signal, onRunId);
        });
        return;
      }
      if (options.startAt !== undefined) {
        throw new ConfigError(
          '--start-at needs --segment: it starts the runners of a distributed run together',
          ['--start-at'],
        );
      }
      await whileSignalsCancel(io, async (signal, onRunId) => {
        const live = !options.quiet && io.isTty && !process.env.CI;
        const outcome = await runLoadgate({
          configPath: options.config,
          outDir: options.out,
          overrides: options.set,
          baseline: baselineOptions(options),
          progress: consoleProgress(io, live),
          signal,
          onRunId,
        });
        io.out(`\n${formatTerminalTable(outcome.result)}\n`);
        io.out(`\n${formatPoolTable(outcome.result)}\n`);
        io.out(`\n${outcome.result.summary}\n`);
        io.out(`result: ${outcome.resultPath}\nreport: ${outcome.reportPath}\n`);
        exitCode = exitCodeForResult(outcome.result);
        if (signal.aborted && !outcome.result.partial) {
          // The signal came after the load: the results are complete, but the run was stopped.
          io.err(
            `loadgate: cancelled after the load (${String(signal.reason)}); the results above are complete\n`,
          );
          exitCode = ExitCode.cancelled;
        }
      });
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

  addMergeCommand(program, io, { config: DEFAULT_CONFIG_PATH, out: DEFAULT_OUT_DIR }, (code) => {
    exitCode = code;
  });
  addK6OperatorCommand(program, io, { config: DEFAULT_CONFIG_PATH, out: DEFAULT_OUT_DIR });

  program
    .command('paired')
    .description('drive the base and the candidate alternately (ABBA) at one arrival rate and compare them')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_PATH)
    .option('-o, --out <dir>', 'where paired.json, report.md, slots and logs go', DEFAULT_OUT_DIR)
    .option('-s, --set <key=value>', 'override a setting (repeatable)', collect, [])
    .option('--base-ref <rev>', "the base: the service's Dockerfile built from this git revision")
    .option('--base-image <image>', 'the base: this image')
    .option(
      '--base-set <key=value>',
      "the base: the config's service with these settings (repeatable)",
      collect,
      [],
    )
    .option(
      '--rate <perSecond>',
      'arrivals per second, below the knee of the base (default paired.rate)',
      Number,
    )
    .option('--slot <seconds>', 'measured seconds per slot (default paired.slot, 10 s)', Number)
    .option('--warmup <seconds>', 'unmeasured seconds before each slot (default paired.warmup, 3 s)', Number)
    .option('--blocks <n>', 'ABBA blocks always run (default paired.blocks, 3)', Number)
    .option('--max-blocks <n>', 'ABBA blocks at most, while a test is undecided (default 6)', Number)
    .option('--floor <metric=value>', 'a practical floor, e.g. p95=10% (repeatable)', collect, [])
    .action(async (options: PairedCommandOptions) => {
      const bases = [options.baseRef, options.baseImage, options.baseSet.length > 0 ? 'set' : undefined];
      if (bases.filter((b) => b !== undefined).length !== 1) {
        throw new ConfigError('paired: give one of --base-ref, --base-image or --base-set', [
          '--base-ref/--base-image/--base-set',
        ]);
      }
      const outcome = await whileSignalsCancel(io, (signal, onRunId) =>
        runPaired({
          signal,
          runId: named(onRunId),
          configPath: options.config,
          overrides: options.set,
          outDir: options.out,
          progress: consoleProgress(io, false),
          base:
            options.baseRef !== undefined
              ? { ref: options.baseRef }
              : options.baseImage !== undefined
                ? { image: options.baseImage }
                : { set: options.baseSet },
          rate: options.rate,
          slotS: options.slot,
          warmupS: options.warmup,
          minBlocks: options.blocks,
          maxBlocks: options.maxBlocks,
          floors: options.floor,
        }),
      );
      io.out(`\n${outcome.reportMarkdown}\n`);
      for (const file of outcome.files) io.out(`wrote ${file}\n`);
      exitCode = exitCodeForVerdict(outcome.verdict);
    });

  program
    .command('calibrate')
    .description("run A/A blocks on this runner: each metric's noise, and the floors it implies")
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_PATH)
    .option('-o, --out <dir>', 'where calibration.json, slots and logs go', DEFAULT_OUT_DIR)
    .option('-s, --set <key=value>', 'override a setting (repeatable)', collect, [])
    .option(
      '--rate <perSecond>',
      'arrivals per second, as paired runs will use (default paired.rate)',
      Number,
    )
    .option('--slot <seconds>', 'measured seconds per slot (default paired.slot)', Number)
    .option('--warmup <seconds>', 'unmeasured seconds before each slot (default paired.warmup)', Number)
    .option('--blocks <n>', 'A/A blocks to run', Number, 6)
    .option('--blocks-per-check <n>', 'blocks a paired check will run', Number, 3)
    .option('--alpha <share>', 'false-alarm rate of a whole run', Number, 0.05)
    .action(async (options: CalibrateCommandOptions) => {
      const outcome = await whileSignalsCancel(io, (signal, onRunId) =>
        runCalibration({
          signal,
          runId: named(onRunId),
          configPath: options.config,
          overrides: options.set,
          outDir: options.out,
          progress: consoleProgress(io, false),
          rate: options.rate,
          slotS: options.slot,
          warmupS: options.warmup,
          minBlocks: options.blocks,
          plannedBlocks: options.blocksPerCheck,
          alpha: options.alpha,
        }),
      );
      io.out(`\n${outcome.text}`);
      for (const file of outcome.files) io.out(`wrote ${file}\n`);
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

/**
 * Runs `work` with SIGINT and SIGTERM turned into its abort signal (k6 stopped, containers
 * removed, then a CancelledError: exit 130) instead of Node's default of dying on the spot. A
 * second signal, or cancellation outlasting its deadline, stops waiting (src/cancel.ts): the
 * run's k6 and containers are removed as far as seconds allow, and what may be left is named.
 */
export async function whileSignalsCancel<T>(
  io: CliIo,
  work: (signal: AbortSignal, onRunId: (runId: string) => void) => Promise<T>,
  options: Pick<CancellationOptions, 'deadlineMs' | 'stopNow' | 'signals'> = {},
): Promise<T> {
  let runId: string | undefined;
  using cancellation = new Cancellation({
    ...options,
    runId: () => runId,
    onSignal: (signal, first) =>
      io.err(
        first
          ? `\nloadgate: ${signal} received, stopping k6 and the containers (a second signal stops at once)...\n`
          : `\nloadgate: ${signal} received again, stopping now...\n`,
      ),
  });
  return await cancellation.run((signal) =>
    work(signal, (id) => {
      runId = id;
    }),
  );
}

/** A run id made here, so that a hard stop knows what to clean up. */
function named(onRunId: (runId: string) => void): string {
  const runId = newRunId(new Date());
  onRunId(runId);
  return runId;
}

/**
 * The first error, then whatever cleanup failed after it (never only "An error was suppressed
 * during disposal"); inert, since it may quote a service's or k6's log, and without a secret the
 * config read, whatever quoted it.
 */
export function describeError(error: unknown): string {
  return redact(`loadgate: ${inertText(errorMessage(error))}`);
}

interface PairedCommandOptions {
  config: string;
  out: string;
  set: string[];
  baseRef?: string;
  baseImage?: string;
  baseSet: string[];
  rate?: number;
  slot?: number;
  warmup?: number;
  blocks?: number;
  maxBlocks?: number;
  floor: string[];
}

interface CalibrateCommandOptions {
  config: string;
  out: string;
  set: string[];
  rate?: number;
  slot?: number;
  warmup?: number;
  blocks: number;
  blocksPerCheck: number;
  alpha: number;
}

function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTty: Boolean(process.stdout.isTTY),
  };
}
