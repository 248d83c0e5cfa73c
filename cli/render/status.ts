import type { Colors } from '../colors';
import { DRIFT_KINDS, type StatusEni, type StatusInstance, type StatusReport } from '../views/status';
import { table } from './table';

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

function renderInstance(instance: StatusInstance, colors: Colors): string[] {
  const facts = [instance.state, instance.instanceType, instance.tagged ? 'tagged' : 'untagged'].filter((part) => part !== undefined);
  const driftNote = instance.drift.length === 0 ? colors.green('in sync') : colors.yellow(`drift: ${instance.drift.length}`);
  const lines = [`${colors.bold(instance.instanceId)}  ${facts.join('  ')}  ${driftNote}`];
  if (instance.enis.length > 0) {
    const enis = table(['ENI', 'Device', 'Sessions on EC2', 'Ledger slots'], colors);
    for (const eni of instance.enis) {
      enis.push([eni.eniId, eni.attached ? String(eni.deviceIndex ?? '-') : colors.yellow('detached'), sessionsCell(eni, colors), ledgerCell(eni, colors)]);
    }
    lines.push(enis.toString());
  }
  for (const drift of instance.drift) {
    lines.push(`  ${colors.yellow('drift')} ${drift.kind}${drift.eniId ? ` ${drift.eniId}` : ''}: ${drift.detail}`);
  }
  for (const refusal of instance.refusals) {
    lines.push(`  ${colors.red('refused')} ${refusal.reason}${refusal.eniId ? ` ${refusal.eniId}` : ''}: ${refusal.detail}`);
  }
  return lines;
}

export function renderStatus(report: StatusReport, colors: Colors): string {
  const scope = report.scope.source === 'sweep' ? 'tagged instances, managed sessions and ledger entries' : 'named instances';
  const lines = [`${colors.bold('Status')} of ${report.instances.length} instance(s): ${scope}`, ''];
  for (const instance of report.instances) lines.push(...renderInstance(instance, colors), '');

  const targets = table(['Target', 'Kind', 'Source limit', 'Sources (ledger)'], colors);
  for (const target of report.targets) {
    targets.push(
      target.exists
        ? [target.targetId, target.kind ?? '', target.sourceLimit === null ? 'none' : String(target.sourceLimit ?? ''), String(target.ledgerSources)]
        : [target.targetId, colors.red('not found on EC2'), '', String(target.ledgerSources)],
    );
  }
  lines.push(targets.toString());

  if (report.drift.total === 0) {
    lines.push(colors.green('No drift.'));
  } else {
    const kinds = DRIFT_KINDS.filter((kind) => report.drift.byKind[kind] > 0).map((kind) => `${kind} ${report.drift.byKind[kind]}`);
    lines.push(`${colors.yellow(`Drift: ${report.drift.total}`)} (${kinds.join(', ')}). Run \`mirrorctl reconcile\` to converge.`);
  }
  return `${lines.join('\n')}\n`;
}
