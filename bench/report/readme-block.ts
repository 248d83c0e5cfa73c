/**
 * The README's "Performance" table, written by `npm run bench` between two markers so that it never goes stale:
 * every judged row (PASS, MISS, not measured) of the sections marked `inReadme`, against its goal, with the command
 * and the date of the run. Only a run that writes BENCHMARKS.md itself rewrites it.
 */
import type { BenchReport } from './model';
import { escapeCell } from './render';

export const README_BLOCK_START = '<!-- bench:headline:start (written by `npm run bench`; edits here are overwritten) -->';
export const README_BLOCK_END = '<!-- bench:headline:end -->';

export function renderReadmeBlock(report: BenchReport): string {
  const rows = report.sections
    .filter((section) => section.inReadme)
    .flatMap((section) => section.rows.filter((row) => row.verdict !== 'info'));
  return [
    README_BLOCK_START,
    `Last run: \`${report.command}\` on ${report.startedAt.toISOString().slice(0, 10)}, ${report.machine.cores} cores`,
    `(${report.machine.cpuModel}); load average, notes and the command of each figure: [BENCHMARKS.md](BENCHMARKS.md).`,
    '',
    '| figure | measured | goal | verdict |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${[row.metric, row.measured, row.goal, row.verdict].map(escapeCell).join(' | ')} |`),
    README_BLOCK_END,
  ].join('\n');
}

/** The README with its block replaced; an error when the markers are missing or out of order (nothing is guessed). */
export function replaceReadmeBlock(readme: string, block: string): string {
  const start = readme.indexOf(README_BLOCK_START);
  const end = readme.indexOf(README_BLOCK_END);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no bench block: add the lines "${README_BLOCK_START}" and "${README_BLOCK_END}"`);
  }
  return `${readme.slice(0, start)}${block}${readme.slice(end + README_BLOCK_END.length)}`;
}
