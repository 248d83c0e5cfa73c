/** The CLI's exit codes: scripts and CI branch on them (docs/CLI.md, "Exit codes"). */
export const ExitCode = {
  /** Nothing to do: plan done, status in sync, reconcile without failures. */
  ok: 0,
  /** Drift that `reconcile` can fix (status), failures while converging (reconcile), or AWS unreachable. */
  findings: 1,
  /** Bad arguments or a malformed variable: nothing was read or written. */
  usage: 2,
  /** The configuration names something that does not exist or cannot be used, or AWS refused access: fix it by hand. */
  configuration: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake in the command line or the configuration; the message names the flag or the variable. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Something the user controls is wrong or missing in AWS (a stack, a table, credentials, access); exit code 3. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** The strictest of several outcomes: configuration problems outrank drift, drift outranks nothing to do. */
export function worstOf(...codes: readonly ExitCode[]): ExitCode {
  const rank: readonly ExitCode[] = [ExitCode.ok, ExitCode.findings, ExitCode.configuration, ExitCode.usage];
  return codes.reduce((worst, code) => (rank.indexOf(code) > rank.indexOf(worst) ? code : worst), ExitCode.ok);
}
