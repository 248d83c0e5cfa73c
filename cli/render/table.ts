/**
 * Tables and text that fit the terminal. `width` is the terminal's column count, or undefined for a pipe or a file:
 * then nothing is wrapped, so `mirrorctl status > report.txt` keeps whole lines for grep.
 */
import { stripVTControlCharacters } from 'node:util';
import Table from 'cli-table3';
import type { Colors } from '../colors';

/** Below this a table cannot be read anyway; narrower terminals get the 80-column layout and wrap themselves. */
const MIN_WIDTH = 80;
/** One space either side of a cell's content. */
const CELL_PADDING = 2;
const MIN_COLUMN = 4;

const visibleLength = (text: string): number => stripVTControlCharacters(text).length;
const longestLine = (text: string): number => Math.max(0, ...text.split('\n').map(visibleLength));
const longestWord = (text: string): number =>
  Math.max(
    0,
    ...stripVTControlCharacters(text)
      .split(/\s+/)
      .map((word) => word.length),
  );

/** Content widths whose sum is at most `budget`: the widest columns give way first, never below `floor`. */
function shrink(natural: readonly number[], floor: readonly number[], budget: number): number[] | undefined {
  const widths = [...natural];
  let excess = widths.reduce((sum, width) => sum + width, 0) - budget;
  while (excess > 0) {
    let widest = -1;
    for (let column = 0; column < widths.length; column += 1) {
      if ((widths[column] ?? 0) > (floor[column] ?? 0) && (widest < 0 || (widths[column] ?? 0) > (widths[widest] ?? 0))) widest = column;
    }
    if (widest < 0) return undefined;
    widths[widest] = (widths[widest] ?? 0) - 1;
    excess -= 1;
  }
  return widths;
}

/** A cli-table3 table whose only colour is ours (its built-in red headings and grey borders ignore NO_COLOR). */
export function renderTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  colors: Colors,
  width: number | undefined,
): string {
  const heading = head.map((title) => colors.bold(title));
  const style = { head: [], border: [] };
  const natural = head.map((title, column) => Math.max(visibleLength(title), ...rows.map((row) => longestLine(row[column] ?? ''))));
  // Borders: one per column plus the last.
  const budget = width === undefined ? undefined : Math.max(width, MIN_WIDTH) - head.length * (CELL_PADDING + 1) - 1;
  const fits = budget === undefined || natural.reduce((sum, column) => sum + column, 0) <= budget;
  const table = (options: Partial<Table.TableConstructorOptions>) => {
    const built = new Table({ head: heading, style, ...options });
    built.push(...rows.map((row) => [...row]));
    return built.toString();
  };
  if (fits || budget === undefined) return table({});
  // First try wrapping between words (ids stay whole); if the words themselves are too wide, break anywhere.
  const byWords = shrink(
    natural,
    head.map((title, column) => Math.max(MIN_COLUMN, longestWord(title), ...rows.map((row) => longestWord(row[column] ?? '')))),
    budget,
  );
  const widths =
    byWords ??
    shrink(
      natural,
      head.map(() => MIN_COLUMN),
      budget,
    ) ??
    natural;
  return table({ colWidths: widths.map((column) => column + CELL_PADDING), wordWrap: true, wrapOnWordBoundary: byWords !== undefined });
}

/** A line of prose wrapped to the terminal, continuation lines indented; whole when piped. */
export function wrapText(line: string, width: number | undefined, indent = '    '): string {
  if (width === undefined) return line;
  const limit = Math.max(width, MIN_WIDTH);
  if (visibleLength(line) <= limit) return line;
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (visibleLength(candidate) <= limit || current.trim() === '') {
      current = candidate;
      continue;
    }
    out.push(current);
    current = `${indent}${word}`;
  }
  out.push(current);
  // A single word longer than the line (a long ARN) is cut into pieces rather than overflowing.
  return out.flatMap((piece) => chop(piece, limit, indent)).join('\n');
}

function chop(piece: string, limit: number, indent: string): string[] {
  if (visibleLength(piece) <= limit) return [piece];
  const plain = stripVTControlCharacters(piece);
  const pieces = [plain.slice(0, limit)];
  for (let start = limit; start < plain.length; start += limit - indent.length)
    pieces.push(`${indent}${plain.slice(start, start + limit - indent.length)}`);
  return pieces;
}
