/**
 * The DynamoDB ledger (item shapes pinned in docs/ARCHITECTURE.md), one file per kind of item it stores: ENI slots
 * (eni-slots.ts), target loads (target-load.ts), history (history.ts), the outbox (outbox.ts), the ENI items the
 * sweep tracks (tracked-enis.ts); their keys in keys.ts; planning's one read (plan-items.ts) and a run's records
 * (run-records.ts). Every ledger change is a single-item conditional write; a lost race re-reads and retries a
 * bounded number of times, then becomes a RetryableError. History, outbox and last decisions are unconditional and
 * go in batches.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock, LedgerPort } from '../../converge/ports';
import { createEniSlots } from './eni-slots';
import { createOutbox } from './outbox';
import { createPlanItems } from './plan-items';
import { createRunRecords } from './run-records';
import { createTargetLoad } from './target-load';
import { createTrackedEnis } from './tracked-enis';

export interface LedgerOptions {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly historyTtlDays: number;
  readonly clock?: Clock;
  /** The (account, Region) whose ENI and instance items this ledger reads and writes (keys.ts); absent: home. */
  readonly keyScope?: string;
}

export function createLedger(options: LedgerOptions): LedgerPort {
  const table = {
    documents: options.documents,
    tableName: options.tableName,
    clock: options.clock ?? { now: () => new Date() },
    ...(options.keyScope ? { keyScope: options.keyScope } : {}),
  };
  const tracked = createTrackedEnis(table);
  return {
    ...createEniSlots(table),
    ...createTargetLoad(table),
    ...createOutbox(options),
    listInstanceIds: async () => [...new Set((await tracked.readTrackedEnis()).flatMap((eni) => (eni.instanceId ? [eni.instanceId] : [])))],
    ...createPlanItems(table),
    ...createRunRecords(table, options.historyTtlDays),
  };
}
