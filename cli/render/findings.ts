import type { Colors } from '../colors';
import { ExitCode } from '../exit-codes';
import type { Findings } from '../views/findings';

/** The lines that say what the operator must fix by hand; none when there is nothing. */
export function renderFindings(findings: Findings, colors: Colors): string[] {
  const lines: string[] = [];
  for (const instanceId of findings.notFound) {
    lines.push(`${colors.red('not found')} ${instanceId}: no such instance in ${findings.region}, and no ledger entry or session names it`);
  }
  for (const problem of findings.configuration) {
    const where = problem.accountId === undefined ? '' : ` ${problem.accountId} ${problem.region}`;
    lines.push(`${colors.red('configuration')}${where} ${problem.kind}: ${problem.detail}`);
  }
  for (const problem of findings.scopes ?? []) {
    lines.push(`${colors.red(problem.kind)} ${problem.accountId} ${problem.region}: not shown: ${problem.detail}`);
  }
  const denied = (findings.scopes ?? []).filter((problem) => problem.exitCode === ExitCode.configuration).length;
  const total = findings.notFound.length + findings.configuration.length + denied;
  const fix = denied > 0 ? 'the configuration, the spoke roles or the ids' : 'the configuration or the ids';
  if (total > 0) lines.push(colors.red(`${total} problem(s) reconcile cannot fix: correct ${fix} (exit code 3).`));
  return lines;
}
