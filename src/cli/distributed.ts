import type { Command } from 'commander';
import { parseDurationMs } from '../config/units.ts';
import { writeK6OperatorRun } from '../distributed/k6OperatorRun.ts';
import { runMerge } from '../distributed/mergeRun.ts';
import { runSegment } from '../distributed/segmentRun.ts';
import { parseSegmentArg, parseStartAt } from '../distributed/segments.ts';
import { ConfigError, ExitCode } from '../errors.ts';
import { formatTerminalTable } from '../report/terminal.ts';
import { exitCodeForVerdict } from '../run.ts';
import { baselineOptions, type CliIo, collect } from './options.ts';
import { consoleProgress } from './progress.ts';

/**
 * The distributed side of the command line: `loadgate run --segment i/N [--start-at TIME]` (one
 * runner's share of a run against a deployed target) and `loadgate merge DIR…` (the parts made
 * one run: gated, compared and reported as a single run is).
 */

export interface SegmentCommandOptions {
  config: string;
  out: string;
  set: string[];
  quiet?: boolean;
  segment: string;
  startAt?: string;
  baseline?: string;
  saveBaseline?: string;
  trend?: string;
  floor: string[];
}

/** `loadgate run --segment`: writes the part and prints this runner's share; 130 when cancelled. */
export async function runSegmentCommand(
  options: SegmentCommandOptions,
  io: CliIo,
  signal: AbortSignal,
  onRunId?: (runId: string) => void,
): Promise<number> {
  const misplaced = [
    options.baseline !== undefined ? '--baseline' : null,
    options.saveBaseline !== undefined ? '--save-baseline' : null,
    options.trend !== undefined ? '--trend' : null,
    options.floor.length > 0 ? '--floor' : null,
  ].filter((o) => o !== null);
  if (misplaced.length > 0) {
    const problem = `${misplaced.join(', ')}: a segment is one runner's share, never gated or compared on its own; give ${misplaced.length === 1 ? 'it' : 'them'} to loadgate merge`;
    throw new ConfigError(problem, [problem]);
  }
  const segment = parseSegmentArg(options.segment);
  const live = !options.quiet && io.isTty && !process.env.CI;
  const outcome = await runSegment({
    configPath: options.config,
    outDir: options.out,
    overrides: options.set,
    progress: consoleProgress(io, live),
    segment,
    ...(options.startAt !== undefined ? { startAtMs: parseStartAt(options.startAt) } : {}),
    signal,
    ...(onRunId ? { onRunId } : {}),
  });
  io.out(`\nthis runner's share (segment ${options.segment}):\n`);
  io.out(`${formatTerminalTable({ levels: outcome.levels, loadModel: outcome.manifest.plan.model })}\n`);
  io.out(`part: ${outcome.manifestPath}\n`);
  return outcome.manifest.partial ? ExitCode.cancelled : ExitCode.pass;
}

interface MergeCommandOptions {
  config: string;
  out: string;
  set: string[];
  segments?: string;
  maxSkew?: string;
  baseline?: string;
  saveBaseline?: string;
  trend?: string;
  floor: string[];
}

/** Registers `loadgate merge`; `done` receives the exit status. */
export function addMergeCommand(
  program: Command,
  io: CliIo,
  defaults: { config: string; out: string },
  done: (exitCode: number) => void,
): void {
  program
    .command('merge <dirs...>')
    .description(
      'merge the parts of a distributed run (loadgate run --segment, or k6-operator runners) into one run: gate, compare, report',
    )
    .option('-c, --config <file>', 'the config file the runners used', defaults.config)
    .option('-o, --out <dir>', 'where result.json and report.md go', defaults.out)
    .option('-s, --set <key=value>', 'the settings the runners overrode (repeatable)', collect, [])
    .option('--segments <n>', 'the number of runners; a segment none of the parts ran is missing')
    .option(
      '--max-skew <duration>',
      "how far a part's start may lie from the others' (default 10% of a level, at least 1s)",
    )
    .option(
      '--baseline <where>',
      'compare with a baseline: a file, or git:[branch][#series] (its newest record)',
    )
    .option(
      '--save-baseline <where>',
      'when the merged run passes, save it as a baseline: a file, or git:[branch][#series]',
    )
    .option('--trend <where>', 'chart p95 over the stored runs of git:[branch][#series], this run last')
    .option('--floor <metric=value>', 'a practical floor, e.g. p95=10% (repeatable)', collect, [])
    .action(async (dirs: string[], options: MergeCommandOptions) => {
      const outcome = await runMerge({
        configPath: options.config,
        overrides: options.set,
        partDirs: dirs,
        outDir: options.out,
        progress: consoleProgress(io, false),
        baseline: baselineOptions(options),
        ...(options.maxSkew !== undefined ? { maxSkewS: parseMaxSkewS(options.maxSkew) } : {}),
        ...(options.segments !== undefined ? { expectedCount: parseSegments(options.segments) } : {}),
      });
      io.out(`\n${formatTerminalTable(outcome.result)}\n`);
      io.out(`\n${outcome.result.summary}\n`);
      io.out(`result: ${outcome.resultPath}\nreport: ${outcome.reportPath}\n`);
      // a partial merge: a runner's part is missing or unusable, which is the runners' failure
      done(outcome.result.partial ? ExitCode.infra : exitCodeForVerdict(outcome.result.verdict));
    });
}

function parseMaxSkewS(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    const problem = `--max-skew ${text}: write a duration such as 2s or 500ms`;
    throw new ConfigError(problem, [problem]);
  }
  return ms / 1000;
}

function parseSegments(text: string): number {
  return parseSegmentArg(`${text}/${text}`).count;
}

interface K6OperatorCommandOptions {
  config: string;
  out: string;
  set: string[];
  parallelism: string;
  name: string;
  namespace?: string;
  volumeClaim: string;
  image?: string;
}

/** Registers `loadgate k6-operator`: writes the manifests, prints the commands that follow. */
export function addK6OperatorCommand(
  program: Command,
  io: CliIo,
  defaults: { config: string; out: string },
): void {
  program
    .command('k6-operator')
    .description(
      "write a k6-operator TestRun (and the ConfigMap of its script) that drives the config's target from N runners, for loadgate merge",
    )
    .option('-c, --config <file>', 'the config file (its target is loaded)', defaults.config)
    .option('-o, --out <dir>', 'where k6-operator.yaml goes', defaults.out)
    .option(
      '-s, --set <key=value>',
      'override a setting (repeatable); give the same to loadgate merge',
      collect,
      [],
    )
    .requiredOption('--parallelism <n>', 'the number of runners, each with its execution segment')
    .requiredOption(
      '--volume-claim <name>',
      'a ReadWriteMany PersistentVolumeClaim the runners write their parts to',
    )
    .option('--name <name>', 'the TestRun, and the prefix of its runners and ConfigMap', 'loadgate')
    .option('--namespace <namespace>', 'the namespace of the TestRun and its ConfigMap')
    .option('--image <image>', "the runners' image (default grafana/k6 at loadgate's pinned k6)")
    .action(async (options: K6OperatorCommandOptions) => {
      const outcome = await writeK6OperatorRun({
        configPath: options.config,
        overrides: options.set,
        outDir: options.out,
        name: options.name,
        ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
        parallelism: parseSegments(options.parallelism),
        volumeClaim: options.volumeClaim,
        ...(options.image !== undefined ? { image: options.image } : {}),
      });
      io.out(`wrote ${outcome.path}
`);
      for (const s of outcome.manifests.segments)
        io.out(`  runner ${s.runner}: k6 execution segment ${s.executionSegment}
`);
      io.out(`then:
${outcome.steps.map((s) => `  ${s}`).join('\n')}
`);
    });
}
