/** The history items: every attach, detach, skip, refusal and ledger release, kept HISTORY_TTL_DAYS. */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { HistoryEntry } from '../../converge/ports';
import { historyKey } from './keys';
import { expiresAt, send, type LedgerTable } from './table';

export function createHistory(table: LedgerTable, historyTtlDays: number) {
  const { documents, tableName, clock } = table;

  async function recordHistory(entry: HistoryEntry): Promise<void> {
    const now = clock.now();
    const at = now.toISOString();
    await send('PutItem', () =>
      documents.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...historyKey(entry.instanceId, at, entry.eniId, entry.action), ...entry, at, expiresAt: expiresAt(now, historyTtlDays) },
        }),
      ),
    );
  }

  return { recordHistory };
}
