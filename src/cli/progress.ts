import { type LoadProgress, levelLines, type ProgressSink } from '../progress.ts';
import { formatProgress } from '../report/terminal.ts';
import type { CliIo } from './options.ts';

/**
 * Steps as lines; on a terminal, the load's live line rewritten in place. In CI logs (no
 * terminal) the live line is left out and one line per level is printed, with its last figures.
 */
export function consoleProgress(io: CliIo, live: boolean): ProgressSink {
  let liveLineShown = false;
  const levels = levelLines((update) => io.out(`${formatProgress(update)}\n`));
  const clearLive = () => {
    if (liveLineShown) io.out('\r\x1b[2K');
    liveLineShown = false;
    levels.flush();
  };
  return {
    step(message) {
      clearLive();
      io.out(`${message}\n`);
    },
    warn(message) {
      clearLive();
      io.err(`warning: ${message}\n`);
    },
    load(update: LoadProgress) {
      if (live) {
        io.out(`\r\x1b[2K${formatProgress(update)}`);
        liveLineShown = true;
        return;
      }
      levels.update(update);
    },
  };
}
