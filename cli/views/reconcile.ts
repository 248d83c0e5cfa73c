/** What reconcile did, as data (also the --json document). */
import type { DecisionRecord, RecordedAction } from '../../shared/converge';
import type { ScopeFields } from '../across-scopes';
import type { UndeliveredEvents } from '../outcome-delivery';
import type { ReconcileOutcome } from '../reconcile-run';
import type { Scope } from '../scope';
import type { ScopeOutcome } from './organization';

export interface ReconcileReport {
  readonly command: 'reconcile';
  readonly triggerEventId: string;
  readonly scope: Scope;
  readonly totals: Readonly<Record<RecordedAction, number>>;
  readonly decisions: ReadonlyArray<DecisionRecord & ScopeFields>;
  /** Instances named with --instance that EC2 does not know and for which converge had nothing to do. */
  readonly notFound: readonly string[];
  /** Outcome events of changes that were made but that EventBridge did not take (yet). */
  readonly pendingEvents: { readonly count: number; readonly reason?: string };
  /** Outcome events earlier runs left in the ledger's outbox, sent by this run before it converged. */
  readonly flushedEvents: number;
  /** Organization: each (account, Region) covered, converged or why not; each decision names its own. */
  readonly scopes?: readonly ScopeOutcome[];
}

const ACTIONS: readonly RecordedAction[] = ['attach', 'detach', 'keep', 'skip', 'refuse', 'release', 'fail'];

export function buildReconcileReport(
  { records, notFound }: ReconcileOutcome,
  scope: Scope,
  triggerEventId: string,
  delivery: Pick<UndeliveredEvents, 'pending' | 'reason'>,
  flushedEvents: number,
  scopes?: readonly ScopeOutcome[],
): ReconcileReport {
  const reason = delivery.reason();
  const pendingEvents = { count: delivery.pending().length, ...(reason !== undefined && { reason }) };
  const totals = Object.fromEntries(ACTIONS.map((action) => [action, records.filter((record) => record.action === action).length]));
  return {
    command: 'reconcile',
    triggerEventId,
    scope,
    totals: totals as Record<RecordedAction, number>,
    decisions: records,
    notFound,
    pendingEvents,
    flushedEvents,
    ...(scopes !== undefined && { scopes }),
  };
}
