import type { Command } from 'commander';
import { type Colors, colorsFor } from '../colors';
import { ConfigurationError, ExitCode, UsageError } from '../exit-codes';
import { describeFailure, type Failure } from '../failures';
import type { CliIo } from '../io';
import type { CommonOptions } from '../options';
import { type Progress, startProgress } from '../progress';
import { type CliSession, openSession } from '../session';

/** What a command body gets: a ready session and the one way to print its result. */
export interface CommandContext {
  readonly session: CliSession;
  /** A progress bar on stderr over `total` steps (silent off a terminal or for small totals). */
  progress(total: number): Progress;
  /** Prints the report: JSON alone on stdout with --json, else the human rendering for the terminal's width. */
  emit<T>(report: T, render: (report: T, colors: Colors, width: number | undefined) => string): void;
}

export type CommandBody<O> = (context: CommandContext, options: O) => Promise<ExitCode>;

/** An error already told to the user, with the exit code it deserves; main.ts prints it. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/**
 * Wires a commander action to a body and hands the body's exit code to `setExitCode`. Options may come before or
 * after the subcommand (`mirrorctl --profile ops status` = `mirrorctl status --profile ops`): both are merged here.
 */
export function action<O extends CommonOptions>(io: CliIo, setExitCode: (code: number) => void, body: CommandBody<O>) {
  return async (_options: O, command: Command): Promise<void> => {
    const options = command.optsWithGlobals<O>();
    let session: CliSession | undefined;
    try {
      session = await openSession(io, options);
      const context: CommandContext = {
        session,
        progress: (total) => startProgress(io.stderr, total, colorsFor(io.stderr, io.env).isColorSupported),
        emit(report, render) {
          // A terminal gets lines that fit it; a pipe or a file gets them whole.
          const width = io.stdout.isTTY ? io.stdout.columns : undefined;
          io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : render(report, colorsFor(io.stdout, io.env), width));
        },
      };
      setExitCode(await body(context, options));
    } catch (error) {
      if (!(error instanceof Error) || error instanceof CommandFailure || error instanceof UsageError) throw error;
      if (error instanceof ConfigurationError) throw new CommandFailure({ message: error.message, exitCode: ExitCode.configuration });
      throw new CommandFailure(
        describeFailure(error, {
          ...(process.env.AWS_PROFILE !== undefined && { profile: process.env.AWS_PROFILE }),
          ...(process.env.AWS_REGION !== undefined && { region: process.env.AWS_REGION }),
          ...(session !== undefined && { table: session.config.tableName }),
        }),
      );
    }
  };
}
