/**
 * What one instance run records, written together: its history entries, its outcome events (the outbox) and, when
 * they changed, its last decisions, in one BatchWriteItem instead of a PutItem each. None of these items is
 * conditional: converge writes them before the conditional ledger write that makes the change (an activation, a
 * slot removed), so that a change is never recorded without its event.
 */
import type { HistoryEntry, OutcomeEvent, RunRecords } from '../../converge/ports';
import { historyItem, lastDecisionsItem } from './history';
import { historyKey, outboxKey } from './keys';
import { outboxItem } from './outbox';
import { batchWrite, type LedgerTable } from './table';

export function createRunRecords(table: LedgerTable, historyTtlDays: number) {
  async function writeRecords(records: RunRecords): Promise<void> {
    const now = table.clock.now();
    const { lastDecisions } = records;
    await batchWrite(table, [
      ...records.outbox.map((event) => ({ put: outboxItem(event, now, historyTtlDays) })),
      ...records.history.map((entry) => ({ put: historyItem(entry, now, historyTtlDays, table.keyScope) })),
      ...(lastDecisions
        ? [{ put: lastDecisionsItem(lastDecisions.instanceId, lastDecisions.decisions, now, historyTtlDays, table.keyScope) }]
        : []),
    ]);
  }

  async function discardRecords(records: { readonly history: readonly HistoryEntry[]; readonly outbox: readonly OutcomeEvent[] }) {
    const historyKeys = records.history.flatMap((entry) =>
      entry.at === undefined ? [] : [historyKey(entry.instanceId, entry.at, entry.eniId, entry.action, table.keyScope)],
    );
    await batchWrite(
      table,
      [...records.outbox.map(outboxKey), ...historyKeys].map((key) => ({ delete: key })),
    );
  }

  return { writeRecords, discardRecords };
}
