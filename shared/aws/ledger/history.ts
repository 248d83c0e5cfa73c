/**
 * The history items: every attach, detach, skip, refusal and ledger release, kept HISTORY_TTL_DAYS; and each
 * instance's last decisions, against which a run tells a new skip or refusal from the same one again. Both are
 * written with a run's other records, in one batch (run-records.ts).
 */
import type { HistoryEntry } from '../../converge/ports';
import { decisionsKey, historyKey } from './keys';
import { expiresAt } from './table';

/** The history item of an entry recorded at `entry.at` (default: now), kept `historyTtlDays`, under the scope's keys. */
export function historyItem(entry: HistoryEntry, now: Date, historyTtlDays: number, keyScope?: string): Record<string, unknown> {
  const at = entry.at ?? now.toISOString();
  return {
    ...historyKey(entry.instanceId, at, entry.eniId, entry.action, keyScope),
    ...entry,
    at,
    expiresAt: expiresAt(now, historyTtlDays),
  };
}

/** The item of an instance's last decisions; it expires with the history it summarises. */
export function lastDecisionsItem(
  instanceId: string,
  decisions: Readonly<Record<string, string>>,
  now: Date,
  historyTtlDays: number,
  keyScope?: string,
) {
  return { ...decisionsKey(instanceId, keyScope), instanceId, decisions, at: now.toISOString(), expiresAt: expiresAt(now, historyTtlDays) };
}

/** An instance's last decisions as the item stores them. */
export function decisionsOf(item: Record<string, unknown>): Readonly<Record<string, string>> {
  return (item.decisions ?? {}) as Record<string, string>;
}
