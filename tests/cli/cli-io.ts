/** An in-memory CliIo: what the CLI printed, split by stream, and its JSON answer parsed. */
import type { CliIo } from '../../cli/main';

export interface CapturedIo extends CliIo {
  stdoutText(): string;
  stderrText(): string;
  json<T = Record<string, unknown>>(): T;
}

export function captureIo(options: { env?: Record<string, string | undefined>; tty?: boolean } = {}): CapturedIo {
  let out = '';
  let err = '';
  const tty = options.tty ?? false;
  return {
    stdout: { write: (chunk: string) => (out += chunk), isTTY: tty, columns: 160 },
    stderr: { write: (chunk: string) => (err += chunk), isTTY: tty, columns: 160 },
    env: options.env ?? { ...process.env },
    stdoutText: () => out,
    stderrText: () => err,
    json: <T>() => JSON.parse(out) as T,
  };
}
