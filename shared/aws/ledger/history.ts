/**
 * The history items: every attach, detach, skip, refusal and ledger release, kept HISTORY_TTL_DAYS; and each
 * instance's last decisions, against which a run tells a new skip or refusal from the same one again.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { HistoryEntry } from '../../converge/ports';
import { decisionsKey, historyKey } from './keys';
import { batchGet, expiresAt, type LedgerTable, send } from './table';

export function createHistory(table: LedgerTable, historyTtlDays: number) {
  const { documents, tableName, clock, keyScope } = table;

  async function recordHistory(entry: HistoryEntry): Promise<void> {
    const now = clock.now();
    const at = now.toISOString();
    await send('PutItem', () =>
      documents.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...historyKey(entry.instanceId, at, entry.eniId, entry.action, keyScope),
            ...entry,
            at,
            expiresAt: expiresAt(now, historyTtlDays),
          },
        }),
      ),
    );
  }

  async function readLastDecisions(instanceIds: readonly string[]): Promise<Map<string, Readonly<Record<string, string>>>> {
    const items = await batchGet(
      table,
      [...new Set(instanceIds)].map((instanceId) => decisionsKey(instanceId, keyScope)),
    );
    return new Map(items.map((item) => [String(item.instanceId), (item.decisions ?? {}) as Record<string, string>]));
  }

  async function writeLastDecisions(instanceId: string, decisions: Readonly<Record<string, string>>): Promise<void> {
    const now = clock.now();
    await send('PutItem', () =>
      documents.send(
        new PutCommand({
          TableName: tableName,
          // Expires with the history it summarises: an instance gone that long has nothing left to compare with.
          Item: {
            ...decisionsKey(instanceId, keyScope),
            instanceId,
            decisions,
            at: now.toISOString(),
            expiresAt: expiresAt(now, historyTtlDays),
          },
        }),
      ),
    );
  }

  return { recordHistory, readLastDecisions, writeLastDecisions };
}
