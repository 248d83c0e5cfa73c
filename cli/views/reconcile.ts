/** What reconcile did, as data (also the --json document). */
import type { DecisionRecord, RecordedAction } from '../../shared/converge';
import type { Scope } from '../scope';

export interface ReconcileReport {
  readonly command: 'reconcile';
  readonly triggerEventId: string;
  readonly scope: Scope;
  readonly totals: Readonly<Record<RecordedAction, number>>;
  readonly decisions: readonly DecisionRecord[];
}

const ACTIONS: readonly RecordedAction[] = ['attach', 'detach', 'keep', 'skip', 'refuse', 'release', 'fail'];

export function buildReconcileReport(records: readonly DecisionRecord[], scope: Scope, triggerEventId: string): ReconcileReport {
  const totals = Object.fromEntries(ACTIONS.map((action) => [action, records.filter((record) => record.action === action).length]));
  return { command: 'reconcile', triggerEventId, scope, totals: totals as Record<RecordedAction, number>, decisions: records };
}
