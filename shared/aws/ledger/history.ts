/**
 * The history items: every attach, detach, skip, refusal and ledger release, kept HISTORY_TTL_DAYS; and each
 * instance's last decisions, against which a run tells a new skip or refusal from the same one again.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { HistoryEntry } from '../../converge/ports';
import { decisionsKey, historyKey } from './keys';
import { batchGet, expiresAt, type LedgerTable, send } from './table';

/** The history item of an entry recorded at `entry.at` (default: now), kept `historyTtlDays`. */
export function historyItem(entry: HistoryEntry, now: Date, historyTtlDays: number): Record<string, unknown> {
  const at = entry.at ?? now.toISOString();
  return { ...historyKey(entry.instanceId, at, entry.eniId, entry.action), ...entry, at, expiresAt: expiresAt(now, historyTtlDays) };
}

/** The item of an instance's last decisions; it expires with the history it summarises. */
export function lastDecisionsItem(instanceId: string, decisions: Readonly<Record<string, string>>, now: Date, historyTtlDays: number) {
  return { ...decisionsKey(instanceId), instanceId, decisions, at: now.toISOString(), expiresAt: expiresAt(now, historyTtlDays) };
}

/** An instance's last decisions as the item stores them. */
export function decisionsOf(item: Record<string, unknown>): Readonly<Record<string, string>> {
  return (item.decisions ?? {}) as Record<string, string>;
}

export function createHistory(table: LedgerTable, historyTtlDays: number) {
  const { documents, tableName, clock } = table;

  async function recordHistory(entry: HistoryEntry): Promise<void> {
    const item = historyItem(entry, clock.now(), historyTtlDays);
    await send('PutItem', () => documents.send(new PutCommand({ TableName: tableName, Item: item })));
  }

  async function readLastDecisions(instanceIds: readonly string[]): Promise<Map<string, Readonly<Record<string, string>>>> {
    const items = await batchGet(table, [...new Set(instanceIds)].map(decisionsKey));
    return new Map(items.map((item) => [String(item.instanceId), decisionsOf(item)]));
  }

  async function writeLastDecisions(instanceId: string, decisions: Readonly<Record<string, string>>): Promise<void> {
    // Expires with the history it summarises: an instance gone that long has nothing left to compare with.
    const item = lastDecisionsItem(instanceId, decisions, clock.now(), historyTtlDays);
    await send('PutItem', () => documents.send(new PutCommand({ TableName: tableName, Item: item })));
  }

  return { recordHistory, readLastDecisions, writeLastDecisions };
}
