import type { RecordedAction } from '../../shared/converge';
import type { Colors } from '../colors';
import type { ReconcileReport } from '../views/reconcile';
import { paintAction } from './actions';
import { scopesCovered } from './organization';
import { renderTable, wrapText } from './table';

/** Keeps and skips are the quiet majority on a healthy fleet: counted, not listed. */
const LISTED: ReadonlySet<RecordedAction> = new Set(['attach', 'detach', 'release', 'refuse', 'fail']);

export function renderReconcile(report: ReconcileReport, colors: Colors, width?: number): string {
  const lines = [
    `${colors.bold('Reconcile')} of ${report.scope.instanceIds.length} instance(s)${scopesCovered(report.scopes)}, trigger ${report.triggerEventId}`,
  ];
  const organization = report.scopes !== undefined;
  const changes = report.decisions.filter((record) => LISTED.has(record.action));
  if (changes.length > 0) {
    const rows = changes.map((record) => [
      ...(organization ? [record.accountId ?? '', record.region ?? ''] : []),
      record.instanceId,
      record.eniId ?? '-',
      paintAction(record.action, colors),
      record.sessionId ?? (record.sessionNumber !== undefined ? `#${record.sessionNumber}` : ''),
      record.targetId ?? '',
      record.reason,
    ]);
    const head = ['Instance', 'ENI', 'Action', 'Session', 'Target', 'Reason'];
    lines.push(renderTable(organization ? ['Account', 'Region', ...head] : head, rows, colors, width));
    for (const record of changes) {
      if (record.detail !== undefined && record.action !== 'release') {
        lines.push(
          wrapText(
            `${paintAction(record.action, colors)} ${record.instanceId}${record.eniId ? ` ${record.eniId}` : ''}: ${record.detail}`,
            width,
          ),
        );
      }
    }
  }
  const { totals } = report;
  const counts = [
    String(totals.attach),
    String(totals.detach),
    String(totals.release),
    String(totals.keep),
    String(totals.skip),
    totals.refuse > 0 ? colors.red(String(totals.refuse)) : '0',
    totals.fail > 0 ? colors.red(String(totals.fail)) : '0',
  ];
  lines.push(renderTable(['attached', 'detached', 'released', 'kept', 'skipped', 'refused', 'failed'], [counts], colors, width));
  for (const instanceId of report.notFound) {
    lines.push(`${colors.red('not found')} ${instanceId}: no such instance, and no ledger entry or session names it (exit code 3)`);
  }
  for (const scope of report.scopes ?? []) {
    if (scope.outcome === 'read') continue;
    lines.push(wrapText(`${colors.red(scope.outcome)} ${scope.accountId} ${scope.region}: not converged: ${scope.detail ?? ''}`, width));
  }
  const { pendingEvents, flushedEvents } = report;
  if (flushedEvents > 0) {
    lines.push(wrapText(`${flushedEvents} outcome event(s) left by earlier runs sent from the ledger's outbox.`, width));
  }
  if (pendingEvents.count > 0) {
    lines.push(
      wrapText(
        `${colors.yellow(`${pendingEvents.count} outcome event(s) pending`)}: the changes are made, EventBridge did not take their events ` +
          `(${pendingEvents.reason ?? 'unknown'}); they stay in the ledger's outbox for the next reconcile or sweep.`,
        width,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
