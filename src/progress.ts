/** Live state of the load, as the k6 runner reports it every couple of seconds. */
export interface LoadProgress {
  phase: string;
  levelIndex: number;
  levelCount: number;
  level: number;
  model: 'closed' | 'open';
  elapsedS: number;
  totalS: number;
  /** p95 of the current level so far; null before its first response */
  p95Ms: number | null;
  /** share of failed requests in the current level so far, 0..1; null before any */
  errorRate: number | null;
}

/**
 * Where a run tells what it is doing. The CLI shows it on a terminal, the action in the job
 * log; tests collect it. Implementations must be cheap: `load` is called while k6 runs.
 */
export interface ProgressSink {
  step(message: string): void;
  load(update: LoadProgress): void;
  warn(message: string): void;
}

/**
 * One line per level, for logs that cannot rewrite a line (CI): each level's last figures,
 * printed when the next level begins or at `flush()` (the load is over, or a step interrupts),
 * so a level's line never shows it before its first responses.
 */
export function levelLines(print: (update: LoadProgress) => void): {
  update(update: LoadProgress): void;
  flush(): void;
} {
  let pending: LoadProgress | null = null;
  const flush = () => {
    if (pending) print(pending);
    pending = null;
  };
  return {
    update(update) {
      if (pending && (pending.phase !== update.phase || pending.levelIndex !== update.levelIndex)) flush();
      pending = update;
    },
    flush,
  };
}
