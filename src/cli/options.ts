import type { BaselineRunOptions } from '../baseline/step.ts';

// What the commands share: the output channels, repeated options, the baseline flags.

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  isTty: boolean;
}

export interface RunCommandOptions {
  config: string;
  out: string;
  set: string[];
  quiet?: boolean;
  baseline?: string;
  saveBaseline?: string;
  trend?: string;
  floor: string[];
  segment?: string;
  startAt?: string;
}

export function baselineOptions(
  options: Pick<RunCommandOptions, 'baseline' | 'saveBaseline' | 'trend' | 'floor'>,
): BaselineRunOptions {
  // a run saved to a history shows that history's trend
  const trendFrom =
    options.trend ?? (options.saveBaseline?.startsWith('git:') ? options.saveBaseline : undefined);
  return {
    ...(options.baseline !== undefined ? { baselinePath: options.baseline } : {}),
    ...(options.saveBaseline !== undefined ? { saveBaselinePath: options.saveBaseline } : {}),
    ...(trendFrom !== undefined ? { trendFrom } : {}),
    floors: options.floor,
  };
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
