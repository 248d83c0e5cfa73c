import { Presets, SingleBar } from 'cli-progress';
import type { OutputStream } from './io';

/** Below this many instances reconcile is over before a bar would be worth drawing. */
const PROGRESS_MIN_INSTANCES = 20;

export interface Progress {
  tick(): void;
  stop(): void;
}

const silent: Progress = { tick: () => undefined, stop: () => undefined };

/** A bar on stderr, only for a terminal (never in pipes, CI logs or captured output) and only for large fleets. */
export function startProgress(stderr: OutputStream, total: number, colorful: boolean): Progress {
  if (stderr.isTTY !== true || total < PROGRESS_MIN_INSTANCES) return silent;
  const bar = new SingleBar(
    {
      stream: stderr as unknown as NodeJS.WritableStream,
      format: 'converging {bar} {value}/{total} instances | {duration_formatted}',
      // A hidden cursor would stay hidden after Ctrl-C.
      hideCursor: false,
      clearOnComplete: true,
      barsize: 30,
      ...(colorful ? {} : { barCompleteChar: '#', barIncompleteChar: '-' }),
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    tick: () => bar.increment(),
    stop: () => bar.stop(),
  };
}
