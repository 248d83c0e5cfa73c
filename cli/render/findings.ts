import type { Colors } from '../colors';
import type { Findings } from '../views/findings';

/** The lines that say what the operator must fix by hand; none when there is nothing. */
export function renderFindings(findings: Findings, colors: Colors): string[] {
  const lines: string[] = [];
  for (const instanceId of findings.notFound) {
    lines.push(`${colors.red('not found')} ${instanceId}: no such instance in ${findings.region}, and no ledger entry or session names it`);
  }
  for (const problem of findings.configuration) lines.push(`${colors.red('configuration')} ${problem.kind}: ${problem.detail}`);
  const total = findings.notFound.length + findings.configuration.length;
  if (total > 0) lines.push(colors.red(`${total} problem(s) reconcile cannot fix: correct the configuration or the ids (exit code 3).`));
  return lines;
}
