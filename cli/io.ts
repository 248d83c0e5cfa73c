/**
 * Where mirrorctl writes and what environment it reads. The bin passes the real process; tests pass buffers, so the
 * programmatic entry `run(argv, io)` is the whole CLI minus the process.
 */
export interface OutputStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** The configuration environment (MIRROR_*, LEDGER_TABLE_NAME, NO_COLOR...). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
