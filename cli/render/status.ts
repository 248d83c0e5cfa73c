import type { Colors } from '../colors';
import { DRIFT_KINDS, type StatusEni, type StatusInstance, type StatusReport } from '../views/status';
import { renderFindings } from './findings';
import { scopesCovered } from './organization';
import { renderTable, wrapText } from './table';

function sessionsCell(eni: StatusEni, colors: Colors): string {
  if (eni.sessions.length === 0) return colors.dim('none');
  return eni.sessions
    .map((session) => {
      const owner = session.owner === 'managed' ? 'ours' : colors.cyan('hand-made');
      const ledger = session.recorded ? '' : ` ${colors.yellow('(not in ledger)')}`;
      return `#${session.sessionNumber} ${session.sessionId} -> ${session.targetId} ${owner}${ledger}`;
    })
    .join('\n');
}

function ledgerCell(eni: StatusEni, colors: Colors): string {
  if (eni.ledger === null || eni.ledger.slots.length === 0) return colors.dim('no slots');
  return eni.ledger.slots
    .map((slot) => {
      const state = slot.state === 'active' ? slot.state : colors.yellow(slot.state);
      return `#${slot.sessionNumber} ${slot.owner} ${state}${slot.sessionId ? ` ${slot.sessionId}` : ''}`;
    })
    .join('\n');
}

function renderInstance(instance: StatusInstance, colors: Colors, width: number | undefined): string[] {
  const facts = [instance.state, instance.instanceType, instance.tagged ? 'tagged' : 'untagged'].filter((part) => part !== undefined);
  const driftNote = instance.drift.length === 0 ? colors.green('in sync') : colors.yellow(`drift: ${instance.drift.length}`);
  const lines = [`${colors.bold(instance.instanceId)}  ${facts.join('  ')}  ${driftNote}`];
  if (instance.enis.length > 0) {
    const rows = instance.enis.map((eni) => [
      eni.eniId,
      eni.attached ? String(eni.deviceIndex ?? '-') : colors.yellow('detached'),
      sessionsCell(eni, colors),
      ledgerCell(eni, colors),
    ]);
    lines.push(renderTable(['ENI', 'Device', 'Sessions on EC2', 'Ledger slots'], rows, colors, width));
  }
  for (const drift of instance.drift) {
    lines.push(wrapText(`  ${colors.yellow('drift')} ${drift.kind}${drift.eniId ? ` ${drift.eniId}` : ''}: ${drift.detail}`, width));
  }
  for (const refusal of instance.refusals) {
    lines.push(
      wrapText(`  ${colors.red('refused')} ${refusal.reason}${refusal.eniId ? ` ${refusal.eniId}` : ''}: ${refusal.detail}`, width),
    );
  }
  return lines;
}

export function renderStatus(report: StatusReport, colors: Colors, width?: number): string {
  const scope = report.scope.source === 'sweep' ? 'tagged instances, managed sessions and ledger entries' : 'named instances';
  const lines = [`${colors.bold('Status')} of ${report.instances.length} instance(s): ${scope}${scopesCovered(report.scopes)}`, ''];
  const organization = report.scopes !== undefined;
  let group: string | undefined;
  for (const instance of report.instances) {
    // An organization's instances come grouped by account and Region: each group gets its heading.
    const where = `account ${instance.accountId} Region ${instance.region}`;
    if (organization && where !== group) lines.push(colors.bold(`── ${where}`), '');
    group = where;
    lines.push(...renderInstance(instance, colors, width), '');
  }

  const targetRows = report.targets.map((target) => [
    ...(organization ? [target.accountId ?? '', target.region ?? ''] : []),
    ...(target.exists
      ? [
          target.targetId,
          target.kind ?? '',
          target.sourceLimit === null ? 'none' : String(target.sourceLimit ?? ''),
          // No limit, so attaches do not count it: the sweep does, every run.
          target.sourceLimit === null ? `${target.ledgerSources} (last sweep)` : String(target.ledgerSources),
        ]
      : [target.targetId, colors.red('not found on EC2'), '', String(target.ledgerSources)]),
  ]);
  const targetHead = ['Target', 'Kind', 'Source limit', 'Sources (ledger)'];
  lines.push(renderTable(organization ? ['Account', 'Region', ...targetHead] : targetHead, targetRows, colors, width));

  if (report.drift.total === 0) {
    lines.push(colors.green('No drift.'));
  } else {
    const kinds = DRIFT_KINDS.filter((kind) => report.drift.byKind[kind] > 0).map((kind) => `${kind} ${report.drift.byKind[kind]}`);
    lines.push(
      wrapText(`${colors.yellow(`Drift: ${report.drift.total}`)} (${kinds.join(', ')}). Run \`mirrorctl reconcile\` to converge.`, width),
    );
  }
  lines.push(...renderFindings(report.findings, colors).map((line) => wrapText(line, width)));
  return `${lines.join('\n')}\n`;
}
