import type { Decision } from '../../shared/domain/types';
import type { Colors } from '../colors';
import type { PlannedInstance, PlanReport } from '../views/plan';
import { paintAction } from './actions';
import { renderFindings } from './findings';
import { scopesCovered } from './organization';
import { renderTable, wrapText } from './table';

function instanceState(instance: PlannedInstance): string {
  const parts = [instance.state, instance.instanceType, instance.tagged ? 'tagged' : 'untagged'];
  return parts.filter((part) => part !== undefined).join(' ');
}

function sessionCell(decision: Decision): string {
  switch (decision.action) {
    case 'attach':
      return `new #${decision.sessionNumberCandidates[0] ?? '?'} -> ${decision.targetCandidates[0] ?? '(no target)'}`;
    case 'detach':
    case 'keep':
      return `${decision.sessionId} -> ${decision.targetId}`;
    default:
      return '';
  }
}

export function renderPlan(report: PlanReport, colors: Colors, width?: number): string {
  const lines: string[] = [];
  const scope = report.scope.source === 'sweep' ? 'tagged instances, managed sessions and ledger entries' : 'named instances';
  lines.push(`${colors.bold('Plan')} (dry run) for ${report.instances.length} instance(s): ${scope}${scopesCovered(report.scopes)}`);
  const organization = report.scopes !== undefined;
  if (report.instances.length === 0) {
    lines.push('Nothing in scope.', ...renderFindings(report.findings, colors));
    return `${lines.map((line) => wrapText(line, width)).join('\n')}\n`;
  }
  const rows: string[][] = [];
  for (const instance of report.instances) {
    for (const decision of instance.decisions) {
      rows.push([
        ...(organization ? [instance.accountId ?? '', instance.region ?? ''] : []),
        instance.instanceId,
        instanceState(instance),
        decision.eniId ?? '-',
        paintAction(decision.action, colors),
        sessionCell(decision),
        decision.reason,
      ]);
    }
  }
  const head = ['Instance', 'State', 'ENI', 'Action', 'Session -> target', 'Reason'];
  lines.push(renderTable(organization ? ['Account', 'Region', ...head] : head, rows, colors, width));

  const refusals = report.instances.flatMap((instance) => instance.decisions.filter((decision) => decision.action === 'refuse'));
  for (const refusal of refusals) {
    if (refusal.action === 'refuse')
      lines.push(`${colors.red('refused')} ${refusal.instanceId}${refusal.eniId ? ` ${refusal.eniId}` : ''}: ${refusal.detail}`);
  }
  const repairs = report.instances.flatMap((instance) =>
    instance.ledgerRepairs.map((repair) => ({ instanceId: instance.instanceId, repair })),
  );
  if (repairs.length > 0) {
    lines.push(colors.bold('Ledger repairs converge would make first:'));
    for (const { instanceId, repair } of repairs) {
      lines.push(
        repair.kind === 'release-stale-slot'
          ? `  release ${instanceId} ${repair.eniId} slot #${repair.sessionNumber} (${repair.state}, no session on EC2)`
          : `  record ${instanceId} ${repair.eniId} session ${repair.sessionId} #${repair.sessionNumber}`,
      );
    }
  }
  const { totals } = report;
  lines.push(
    `Would attach ${totals.attach}, detach ${totals.detach}, keep ${totals.keep}, skip ${totals.skip}, refuse ${totals.refuse}; ` +
      `ledger repairs ${totals.ledgerRepairs}. ${colors.dim('Nothing was written.')}`,
    ...renderFindings(report.findings, colors),
  );
  return `${lines.map((line) => wrapText(line, width)).join('\n')}\n`;
}
