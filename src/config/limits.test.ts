import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countReliability } from '../../test/helpers/reliability.ts';
import { boundedTimeout, MAX_TIMER_MS } from '../deadline.ts';
import { ConfigError, InfraError } from '../errors.ts';
import { runLadder } from '../load/k6.ts';
import { buildLadderPlan } from '../load/plan.ts';
import { configFromText, readConfig } from './read.ts';
import { CONFIG_LIMITS } from './schema.ts';
import { VALID_YAML, validRaw } from './testConfigs.ts';
import { formatDuration, plannedLoadS, validateConfig } from './validate.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-limits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const withLoad = (load: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
  const raw = validRaw();
  Object.assign(raw.load, load);
  return { ...raw, ...extra };
};

describe('the bounds of a config', () => {
  it('200,000 levels are a ConfigError naming the bound, in either model (no stack overflow)', async () => {
    const levels = Array.from({ length: 200_000 }, (_, i) => i + 1);
    for (const model of ['closed', 'open']) {
      const { errors } = validateConfig(withLoad({ model, levels }));
      expect(errors).toContain('load.levels: 200000 levels; at most 100');
    }
    const yaml = (count: number) =>
      VALID_YAML.replace('levels: [1, 5, 10, 20]', `levels: [${levels.slice(0, count).join(', ')}]`);
    expect(() => configFromText(yaml(5_000), 'big.yml')).toThrow(ConfigError);
    expect(() => configFromText(yaml(5_000), 'big.yml')).toThrow(
      /load\.levels: 5000 levels; at most 100 \(line \d+\)/,
    );
    // the file itself: refused by its size before YAML spends seconds on it
    const file = join(dir, 'big.yml');
    await writeFile(file, yaml(200_000));
    await expect(readConfig(file)).rejects.toThrow(
      /big\.yml is \d+ bytes, over the 1048576 bytes a config may be/,
    );
    countReliability('hostileInputs', 4, 'configs past their bounds');
  });

  it('a duration too long to be a number (Infinity) or past its bound is refused, never stored as null', () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { levelDuration: `1${'0'.repeat(400)}s` },
        `load.levelDuration: "1${'0'.repeat(56)}..." is too long; at most 1h`,
      ],
      [{ levelDuration: '2h' }, 'load.levelDuration: 2h is too long; at most 1h'],
      [{ warmup: '31m' }, 'load.warmup: 31m is too long; at most 30m'],
      [{ requestTimeout: '11m' }, 'load.requestTimeout: 11m is too long; at most 10m'],
    ];
    for (const [load, message] of cases) {
      const { config, errors } = validateConfig(withLoad(load));
      expect(config).toBeUndefined();
      expect(
        errors.some((e) => e.startsWith(message)),
        `${errors.join('\n')}\nwanted ${message}`,
      ).toBe(true);
    }
    const raw = validRaw();
    raw.service.startupTimeout = `${'9'.repeat(330)}h`;
    expect(validateConfig(raw).errors.join('\n')).toMatch(
      /service\.startupTimeout: .* is too long; at most 1h/,
    );
    countReliability('hostileInputs', cases.length + 1, 'configs past their bounds');
  });

  it('a plan longer than a run may take is refused with its total, each part within bounds', () => {
    // 100 levels of 1 h: each setting is allowed, together they are 100 h
    const levels = Array.from({ length: 100 }, (_, i) => i + 1);
    const { errors } = validateConfig(withLoad({ levels, levelDuration: '1h', warmup: '0s' }));
    expect(errors).toContainEqual(
      expect.stringMatching(
        /^load: the ladder would take 100 h \(1 phase\(s\) × 100 levels × \(0s warm-up \+ 3600s\), plus drains\), over the 6 h a run may take/,
      ),
    );
    const longest = validateConfig(
      withLoad({ levels: [1, 2, 3], levelDuration: '1h', warmup: '30m' }, { gate: { thresholds: [] } }),
    );
    // 4 h 30 min of long levels is within the bound
    expect(longest.errors).toEqual([]);
    expect(formatDuration(plannedLoadS(longest.config as NonNullable<typeof longest.config>))).toBe(
      '4 h 30 min',
    );
  });

  it('the plan total is the one buildLadderPlan lays out (generated shapes)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3600 }),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 0, max: 30 }),
        (levelCount, phaseCount, levelDurationS, warmupS, requestTimeoutMs, idleS) => {
          const raw = withLoad(
            {
              levels: Array.from({ length: levelCount }, (_, i) => i + 1),
              levelDuration: `${levelDurationS}s`,
              warmup: `${warmupS}s`,
              requestTimeout: `${requestTimeoutMs}ms`,
              ...(idleS > 0 ? { probe: { path: '/health', rate: '5/s', idle: `${idleS}s` } } : {}),
            },
            { phases: Array.from({ length: phaseCount }, (_, i) => `p${i}`), gate: { thresholds: [] } },
          );
          const { config } = validateConfig(raw);
          if (!config) return; // past the plan bound: refused, nothing to lay out
          const plan = buildLadderPlan({
            baseUrl: 'http://127.0.0.1:1',
            model: 'closed',
            levels: config.load.levels,
            levelDurationS: config.load.levelDurationS,
            warmupS: config.load.warmupS,
            requestTimeoutMs: config.load.requestTimeoutMs,
            requests: [{ name: 'a', path: '/' }],
            phases: config.phases.map((p) => p.name),
            ...(config.load.probe ? { probe: config.load.probe } : {}),
          });
          expect(plannedLoadS(config)).toBeCloseTo(plan.totalS, 2);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('no timer can exceed what setTimeout keeps: the longest plan is far below it, and a longer timer is refused', () => {
    expect(CONFIG_LIMITS.planS * 1000 * 2).toBeLessThan(MAX_TIMER_MS);
    expect(CONFIG_LIMITS.durationMs).toBeLessThan(MAX_TIMER_MS);
    expect(() => boundedTimeout(() => {}, 2 ** 31)).toThrow(RangeError);
    expect(() => boundedTimeout(() => {}, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    clearTimeout(boundedTimeout(() => {}, MAX_TIMER_MS));
  });

  it('k6 is never started with a time limit a timer cannot keep (it would stop it at once)', async () => {
    const plan = buildLadderPlan({
      baseUrl: 'http://127.0.0.1:1',
      model: 'closed',
      levels: [1],
      levelDurationS: 1,
      warmupS: 0,
      requestTimeoutMs: 100,
      requests: [{ name: 'a', path: '/' }],
    });
    const error = await runLadder({
      k6: { path: join(dir, 'no-k6-here'), version: '2.2.0' },
      plan: { ...plan, totalS: 25 * 24 * 3600 },
      outDir: join(dir, 'k6-out'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as Error).message).toMatch(/^k6's time limit of \d+ s is beyond what a timer can wait/);
  });

  it('says a plan’s length in hours, minutes and seconds', () => {
    expect([45, 150, 3600, 6000, 21_600].map(formatDuration)).toEqual([
      '45 s',
      '2 min 30 s',
      '1 h',
      '1 h 40 min',
      '6 h',
    ]);
  });

  it('a missing load.script is found when the config is read, before anything starts', async () => {
    const configDir = join(dir, 'scripted');
    await mkdir(join(configDir, 'folder.js'), { recursive: true });
    const yaml = (script: string) =>
      VALID_YAML.replace('  requests:\n    - name: items\n      path: /items\n', `  script: ${script}\n`);
    await writeFile(join(configDir, 'missing.yml'), yaml('k6/load.js'));
    await writeFile(join(configDir, 'folder.yml'), yaml('folder.js'));
    await expect(readConfig(join(configDir, 'missing.yml'))).rejects.toThrow(
      `load.script: k6/load.js (${join(configDir, 'k6', 'load.js')}) does not exist; the path is relative to the config file's folder (${configDir})`,
    );
    await expect(readConfig(join(configDir, 'folder.yml'))).rejects.toThrow(
      /load\.script: folder\.js .* is a folder/,
    );
    await writeFile(join(configDir, 'k6-script.js'), 'export default function () {}\n');
    await writeFile(join(configDir, 'present.yml'), yaml('k6-script.js'));
    expect((await readConfig(join(configDir, 'present.yml'))).config.load.script).toBe('k6-script.js');
  });
});
