import type { Colors } from '../colors';

/** One colour per action, the same in every command: green adds, yellow removes, red cannot. */
export function paintAction(action: string, colors: Colors): string {
  switch (action) {
    case 'attach':
      return colors.green(action);
    case 'detach':
    case 'release':
      return colors.yellow(action);
    case 'refuse':
    case 'fail':
      return colors.red(action);
    default:
      return colors.dim(action);
  }
}
