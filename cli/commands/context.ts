import { colorsFor, type Colors } from '../colors';
import type { CliIo } from '../io';
import type { CommonOptions } from '../options';
import { startProgress, type Progress } from '../progress';
import { openSession, type CliSession } from '../session';

/** What a command body gets: a ready session and the one way to print its result. */
export interface CommandContext {
  readonly session: CliSession;
  /** A progress bar on stderr over `total` steps (silent off a terminal or for small totals). */
  progress(total: number): Progress;
  /** Prints the report: JSON alone on stdout with --json, else the human rendering. */
  emit<T>(report: T, render: (report: T, colors: Colors) => string): void;
}

export type CommandBody<O> = (context: CommandContext, options: O) => Promise<number>;

/** Wires a commander action to a body and hands the body's exit code to `setExitCode`. */
export function action<O extends CommonOptions>(io: CliIo, setExitCode: (code: number) => void, body: CommandBody<O>) {
  return async (options: O): Promise<void> => {
    const session = openSession(io, options);
    const context: CommandContext = {
      session,
      progress: (total) => startProgress(io.stderr, total, colorsFor(io.stderr, io.env).isColorSupported),
      emit(report, render) {
        io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : render(report, colorsFor(io.stdout, io.env)));
      },
    };
    setExitCode(await body(context, options));
  };
}
