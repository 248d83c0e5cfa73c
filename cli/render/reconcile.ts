import type { RecordedAction } from '../../shared/converge';
import type { Colors } from '../colors';
import type { ReconcileReport } from '../views/reconcile';
import { paintAction } from './actions';
import { table } from './table';

/** Keeps and skips are the quiet majority on a healthy fleet: counted, not listed. */
const LISTED: ReadonlySet<RecordedAction> = new Set(['attach', 'detach', 'release', 'refuse', 'fail']);

export function renderReconcile(report: ReconcileReport, colors: Colors): string {
  const lines = [`${colors.bold('Reconcile')} of ${report.scope.instanceIds.length} instance(s), trigger ${report.triggerEventId}`];
  const changes = report.decisions.filter((record) => LISTED.has(record.action));
  if (changes.length > 0) {
    const detail = table(['Instance', 'ENI', 'Action', 'Session', 'Target', 'Reason'], colors);
    for (const record of changes) {
      detail.push([
        record.instanceId,
        record.eniId ?? '-',
        paintAction(record.action, colors),
        record.sessionId ?? (record.sessionNumber !== undefined ? `#${record.sessionNumber}` : ''),
        record.targetId ?? '',
        record.reason,
      ]);
    }
    lines.push(detail.toString());
    for (const record of changes) {
      if (record.detail !== undefined && record.action !== 'release') {
        lines.push(`${paintAction(record.action, colors)} ${record.instanceId}${record.eniId ? ` ${record.eniId}` : ''}: ${record.detail}`);
      }
    }
  }
  const summary = table(['attached', 'detached', 'released', 'kept', 'skipped', 'refused', 'failed'], colors);
  const { totals } = report;
  summary.push([
    String(totals.attach),
    String(totals.detach),
    String(totals.release),
    String(totals.keep),
    String(totals.skip),
    totals.refuse > 0 ? colors.red(String(totals.refuse)) : '0',
    totals.fail > 0 ? colors.red(String(totals.fail)) : '0',
  ]);
  lines.push(summary.toString());
  return `${lines.join('\n')}\n`;
}
