import picocolors from 'picocolors';
import type { CliIo, OutputStream } from './io';

export type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * Colour only for a terminal, never when NO_COLOR is set (https://no-color.org: any non-empty value), and
 * FORCE_COLOR turns it on for a pipe, as in most CLIs. --json output never goes through here.
 */
export function colorsFor(stream: OutputStream, env: CliIo['env']): Colors {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0';
  return picocolors.createColors(!noColor && (forced || stream.isTTY === true));
}
