/** Renders the report twice: a terminal table (cli-table3) and the markdown written to BENCHMARKS.md. */
import Table from 'cli-table3';
import pc from 'picocolors';
import type { BenchReport, ReportRow, Verdict } from './model';

function colourVerdict(verdict: Verdict): string {
  if (verdict === 'PASS') return pc.green(verdict);
  if (verdict === 'MISS') return pc.red(verdict);
  return pc.dim(verdict);
}

export function renderTerminal(report: BenchReport): string {
  const lines: string[] = [];
  for (const section of report.sections) {
    const table = new Table({
      head: ['metric', 'measured', 'goal', 'verdict', 'note'].map((h) => pc.bold(h)),
      wordWrap: true,
      colWidths: [44, 18, 12, 14, 60],
    });
    for (const row of section.rows) {
      table.push([row.metric, row.measured, row.goal, colourVerdict(row.verdict), row.note ?? '']);
    }
    lines.push(pc.bold(section.title), ...(section.command === undefined ? [] : [pc.dim(section.command)]), table.toString());
  }
  if (report.findings.length > 0) {
    lines.push(pc.bold('Findings'), ...report.findings.map((finding) => `- ${finding}`));
  }
  return lines.join('\n');
}

/** A table cell's text: its pipes escaped, on one line. */
export function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function markdownRow(row: ReportRow): string {
  const cells = [row.metric, row.measured, row.goal, row.verdict, row.note ?? ''];
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

export function renderMarkdown(report: BenchReport): string {
  const { machine } = report;
  const out: string[] = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (see docs/PERFORMANCE.md for the method and how to read it). Every figure below is',
    'measured by the run described here; nothing is typed in by hand. Re-run the command to refresh this file.',
    '',
    `- Command: \`${report.command}\``,
    `- Options: \`${report.options}\``,
    `- Date: ${report.startedAt.toISOString()}`,
    `- Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB memory, Node ${machine.nodeVersion}, ${machine.platform}`,
    '',
  ];
  for (const section of report.sections) {
    out.push(`## ${section.title}`, '');
    if (section.command !== undefined) out.push(`Command: \`${section.command}\``, '');
    out.push('| metric | measured | goal | verdict | note |', '| --- | --- | --- | --- | --- |');
    out.push(...section.rows.map(markdownRow), '');
  }
  if (report.findings.length > 0) {
    out.push('## Findings', '', ...report.findings.map((finding) => `- ${finding}`), '');
  }
  return out.join('\n');
}
