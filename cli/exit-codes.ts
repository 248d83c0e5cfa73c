/** The CLI's exit codes: scripts and CI branch on them. */
export const ExitCode = {
  ok: 0,
  /** status found drift, reconcile had failures (refusals are answers: exit 0), or a read failed. */
  findings: 1,
  /** Bad arguments or bad configuration: nothing was read or written. */
  usage: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake in the command line or the configuration; the message names the flag or the variable. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
