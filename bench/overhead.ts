// loadgate's overhead on the demo, measured from outside as a user runs it (dist/cli.js on this
// Node): the wall time it adds around the load (start, waits, teardown, report; image builds
// excluded) and the CPU its own node process uses while k6 runs, as a share of one core.
// It prints figures measured in one run against the targets; it asserts nothing.
//
//   npm run bench:overhead [-- --runs N]     (Linux: it reads /proc; needs the engine and k6)
//
// How: the CLI runs as a child process. Its output lines are timestamped as they arrive; a
// poller reads /proc every 50 ms for the CLI's CPU ticks and for its `k6 run` child, whose
// start time comes from /proc (to 10 ms) and whose end is when it disappears. Image builds
// (cache checks, once the warm-up run has built the images) are taken from the "building X"
// and "X ready in S s" lines and subtracted.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..');
const cliPath = join(repoRoot, 'dist', 'cli.js');
const configPath = join(repoRoot, 'examples', 'demo', 'loadgate.yml');
const outRoot = join(repoRoot, 'out', 'bench-overhead');
const LADDER = ['load.levels=[1,2,4,8]', 'load.levelDuration=5s', 'load.warmup=2s'];
const WARMUP_LADDER = ['load.levels=[1]', 'load.levelDuration=1s', 'load.warmup=0s'];
const TARGETS = { addedS: 15, cpuShareOfCore: 0.05 };
const POLL_MS = 50;
/** The CLI's step lines worth a place in the timeline (not the per-level progress or the table). */
const STEP_LINE = /^(loadgate \S+: run|building |\S+ ready in |driving |removing |result: )/;
const TICKS_PER_S = clockTicksPerSecond();

interface ProcStat {
  comm: string;
  state: string;
  ppid: number;
  /** user + system CPU, in clock ticks */
  cpuTicks: number;
  /** since boot, in clock ticks */
  startTicks: number;
}

interface Line {
  atS: number;
  text: string;
}

interface Measured {
  exitCode: number | null;
  wallS: number;
  lines: Line[];
  k6: { startS: number; endS: number; cpuS: number } | null;
  cli: { cpuAtK6StartS: number; cpuAtK6EndS: number; cpuLastS: number };
  stderr: string;
}

function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid ..." where comm may hold spaces and parentheses
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime 15, starttime 22
  const field = (n: number) => Number(fields[n - 3]);
  return {
    comm: text.slice(open + 1, close),
    state: fields[0] ?? '?',
    ppid: field(4),
    cpuTicks: field(14) + field(15),
    startTicks: field(22),
  };
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function uptimeS(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
}

function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** Runs the CLI once and samples it and its k6 child until it exits. */
function measureRun(outDir: string, overrides: readonly string[]): Promise<Measured> {
  const args = [cliPath, 'run', '--config', configPath, '--out', outDir, '-q'];
  for (const o of overrides) args.push('--set', o);
  const t0 = performance.now();
  const nowS = () => (performance.now() - t0) / 1000;
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid as number;
  const lines: Line[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const atS = nowS();
    const parts = (pending + chunk).split('\n');
    pending = parts.pop() ?? '';
    for (const text of parts) lines.push({ atS, text });
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });

  let k6Pid: number | null = null;
  let k6: Measured['k6'] = null;
  let k6CpuTicks = 0;
  const cli = { cpuAtK6StartS: Number.NaN, cpuAtK6EndS: Number.NaN, cpuLastS: 0 };
  const poll = () => {
    const self = readStat(pid);
    if (self) cli.cpuLastS = self.cpuTicks / TICKS_PER_S;
    if (k6Pid === null) {
      for (const candidate of childPids(pid)) {
        const stat = readStat(candidate);
        // the load run, not `k6 version` from the start-up checks
        if (stat?.comm !== 'k6' || commandLine(candidate)[1] !== 'run') continue;
        k6Pid = candidate;
        // k6 started this long ago, to the clock tick
        const ageS = uptimeS() - stat.startTicks / TICKS_PER_S;
        k6 = { startS: nowS() - Math.max(0, ageS), endS: Number.NaN, cpuS: 0 };
        cli.cpuAtK6StartS = cli.cpuLastS;
        k6CpuTicks = stat.cpuTicks;
      }
    } else if (k6Pid !== null && k6 !== null && Number.isNaN(k6.endS)) {
      const stat = readStat(k6Pid);
      if (stat && stat.state !== 'Z' && stat.ppid === pid) {
        k6CpuTicks = stat.cpuTicks;
      } else {
        k6.endS = nowS();
        k6.cpuS = k6CpuTicks / TICKS_PER_S;
        cli.cpuAtK6EndS = cli.cpuLastS;
      }
    }
  };
  const timer = setInterval(poll, POLL_MS);
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (exitCode) => {
      const wallS = nowS();
      clearInterval(timer);
      if (pending) lines.push({ atS: wallS, text: pending });
      done({ exitCode, wallS, lines, k6, cli, stderr });
    });
  });
}

interface Breakdown {
  buildS: number;
  ready: { name: string; seconds: number }[];
  /** k6's own test-run duration (its summary), and the plan's scheduled duration */
  k6TestRunS: number | null;
  planS: number | null;
  resultPath: string | null;
}

function breakdown(lines: readonly Line[]): Breakdown {
  const buildStarted = new Map<string, number>();
  let buildS = 0;
  const ready: Breakdown['ready'] = [];
  let resultPath: string | null = null;
  for (const { atS, text } of lines) {
    const building = /^building (\S+) /.exec(text);
    if (building?.[1]) buildStarted.set(building[1], atS);
    const isReady = /^(\S+) ready in ([\d.]+) s$/.exec(text);
    if (isReady?.[1]) {
      const seconds = Number(isReady[2]);
      ready.push({ name: isReady[1], seconds });
      const builtAt = buildStarted.get(isReady[1]);
      // the container's start began `seconds` before this line; its build before that
      if (builtAt !== undefined) buildS += Math.max(0, atS - seconds - builtAt);
    }
    const result = /^result: (.+)$/.exec(text);
    if (result?.[1]) resultPath = result[1];
  }
  let k6TestRunS: number | null = null;
  let planS: number | null = null;
  if (resultPath && existsSync(resultPath)) {
    const dir = dirname(resultPath);
    const result = JSON.parse(readFileSync(resultPath, 'utf8')) as { files?: { k6Summary?: string } };
    const summaryPath = join(dir, result.files?.k6Summary ?? 'k6-summary.json');
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as {
      state?: { testRunDurationMs?: number };
    };
    const ms = summary.state?.testRunDurationMs;
    k6TestRunS = typeof ms === 'number' ? ms / 1000 : null;
    const planPath = join(dir, 'k6-plan.json');
    if (existsSync(planPath))
      planS = (JSON.parse(readFileSync(planPath, 'utf8')) as { totalS: number }).totalS;
  }
  return { buildS, ready, k6TestRunS, planS, resultPath };
}

const s = (seconds: number) => `${seconds.toFixed(1)} s`;
const pct = (share: number) => `${(share * 100).toFixed(2)}%`;
const verdict = (ok: boolean) => (ok ? 'within target' : 'MISSED');

async function main(): Promise<number> {
  if (process.platform !== 'linux') {
    console.error('bench:overhead reads /proc: it runs on Linux only');
    return 3;
  }
  if (!existsSync(cliPath)) {
    console.error(`${cliPath} is missing: npm run build first`);
    return 3;
  }
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg > 0 ? Math.max(1, Number(process.argv[runsArg + 1]) || 1) : 1;

  console.log(`loadgate overhead on examples/demo: --set ${LADDER.join(' --set ')}`);
  console.log(
    `dist/cli.js on Node ${process.version}, ${TICKS_PER_S} clock ticks/s, polling every ${POLL_MS} ms`,
  );
  console.log('warm-up run (builds the images once; not measured) ...');
  const warm = await measureRun(join(outRoot, 'warm-up'), WARMUP_LADDER);
  if (warm.exitCode !== 0 && warm.exitCode !== 1) {
    console.error(`the warm-up run failed (exit ${warm.exitCode}):\n${warm.stderr}`);
    return 3;
  }

  for (let run = 1; run <= runs; run++) {
    const m = await measureRun(join(outRoot, `run-${run}`), LADDER);
    if (m.exitCode !== 0 && m.exitCode !== 1) {
      console.error(`run ${run} failed (exit ${m.exitCode}):\n${m.stderr}`);
      return 3;
    }
    if (!m.k6 || Number.isNaN(m.k6.endS)) {
      console.error(`run ${run}: k6 was never seen as a child of the CLI (pid sampling every ${POLL_MS} ms)`);
      return 3;
    }
    const b = breakdown(m.lines);
    const k6LifeS = m.k6.endS - m.k6.startS;
    const loadS = b.k6TestRunS ?? k6LifeS;
    const beforeS = m.k6.startS - b.buildS;
    const afterS = m.wallS - m.k6.endS;
    const addedS = m.wallS - b.buildS - loadS;
    const cliCpuDuringK6S = m.cli.cpuAtK6EndS - m.cli.cpuAtK6StartS;
    const cpuShare = cliCpuDuringK6S / k6LifeS;
    console.log(`\nrun ${run}: exit ${m.exitCode}, wall ${s(m.wallS)}`);
    console.log(
      `  before k6       ${s(beforeS)}  node start, config, engine and k6 checks, containers (${b.ready
        .map((r) => `${r.name} ready in ${s(r.seconds)}`)
        .join(', ')})`,
    );
    console.log(`  image builds    ${s(b.buildS)}  (cache checks after the warm-up; excluded)`);
    console.log(
      `  k6 process      ${s(k6LifeS)}  its test run ${b.k6TestRunS === null ? '?' : s(b.k6TestRunS)}, plan ${b.planS === null ? '?' : s(b.planS)}; k6's own CPU ${s(m.k6.cpuS)} (${pct(m.k6.cpuS / k6LifeS)} of a core)`,
    );
    console.log(`  after k6        ${s(afterS)}  teardown of the containers, gate, result.json, report.md`);
    console.log(
      `  added           ${s(addedS)}  = wall - image builds - k6's test run     target < ${TARGETS.addedS} s: ${verdict(addedS < TARGETS.addedS)}`,
    );
    console.log(
      `  CPU while k6 ran ${s(cliCpuDuringK6S)} of loadgate's node over ${s(k6LifeS)} = ${pct(cpuShare)} of one core     target < ${pct(TARGETS.cpuShareOfCore)}: ${verdict(cpuShare < TARGETS.cpuShareOfCore)}`,
    );
    console.log('  timeline (s since the CLI was spawned):');
    const events = [
      ...m.lines.filter((l) => STEP_LINE.test(l.text)),
      { atS: m.k6.startS, text: '[k6 process started]' },
      { atS: m.k6.endS, text: '[k6 process ended]' },
      { atS: m.wallS, text: `[CLI exited ${m.exitCode}]` },
    ].sort((a, b) => a.atS - b.atS);
    for (const e of events) console.log(`    ${e.atS.toFixed(2).padStart(6)}  ${e.text}`);
    console.log(
      `  (loadgate's node used ${s(m.cli.cpuLastS)} of CPU over the whole run; output in ${b.resultPath ? dirname(b.resultPath) : '?'})`,
    );
  }
  return 0;
}

process.exitCode = await main();
