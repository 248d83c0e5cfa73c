import Table from 'cli-table3';
import type { Colors } from '../colors';

/** A cli-table3 table whose only colour is ours: its built-in red headings and grey borders ignore NO_COLOR. */
export function table(head: readonly string[], colors: Colors): Table.Table {
  return new Table({ head: head.map((title) => colors.bold(title)), style: { head: [], border: [] } });
}
