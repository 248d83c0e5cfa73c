/**
 * The outbox in the ledger table: every outcome event is written here with the change it announces, before it is
 * published, and deleted once EventBridge took it. What a failed PutEvents (or a crash before publishing) leaves
 * behind is published later by whoever flushes (shared/converge/outbox.ts): at least once, under a stable
 * `outcomeId` that consumers dedupe on.
 *
 * Items: `pk=outbox`, `sk=<at>#<outcomeId>`, the event's fields, `expiresAt` (the history's TTL, so an event that
 * can never be delivered does not stay for ever). One partition is enough: outcome events follow mutating EC2
 * calls, which EC2 refills at 5/s per account, far below a partition's 1,000 writes/s.
 */
import { type DynamoDBDocumentClient, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { Clock, OutboxPort, OutcomeEvent } from '../../converge/ports';
import { toDomainError } from '../error-mapping';
import { OUTBOX_PK, outboxKey } from './keys';
import { batchWrite, expiresAt } from './table';

export interface OutboxOptions {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly historyTtlDays: number;
  readonly clock?: Clock;
}

function toOutcomeEvent(item: Record<string, unknown>): OutcomeEvent {
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, ...event } = item;
  return event as unknown as OutcomeEvent;
}

/** The outbox item of an event, kept as long as the history. */
export function outboxItem(event: OutcomeEvent, now: Date, historyTtlDays: number): Record<string, unknown> {
  return { ...outboxKey(event), ...event, expiresAt: expiresAt(now, historyTtlDays) };
}

export function createOutbox(options: OutboxOptions): OutboxPort {
  const { documents, tableName, historyTtlDays } = options;
  const clock = options.clock ?? { now: () => new Date() };

  async function send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toDomainError(error, `DynamoDB ${operation} (outbox)`);
    }
  }

  return {
    async addToOutbox(event: OutcomeEvent): Promise<void> {
      const item = outboxItem(event, clock.now(), historyTtlDays);
      await send('PutItem', () => documents.send(new PutCommand({ TableName: tableName, Item: item })));
    },

    async readOutbox(writtenBefore: Date, limit: number): Promise<OutcomeEvent[]> {
      return send('Query', async () => {
        const events: OutcomeEvent[] = [];
        const pages = paginateQuery(
          { client: documents, pageSize: limit },
          {
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND sk < :before',
            ExpressionAttributeValues: { ':pk': OUTBOX_PK, ':before': writtenBefore.toISOString() },
            ConsistentRead: true,
          },
        );
        for await (const page of pages) {
          events.push(...(page.Items ?? []).map(toOutcomeEvent));
          if (events.length >= limit) break;
        }
        return events.slice(0, limit);
      });
    },

    async removeFromOutbox(events: readonly OutcomeEvent[]): Promise<void> {
      // Published events of a whole invocation go in one BatchWriteItem (25 per request); batchWrite maps errors.
      await batchWrite(
        { documents, tableName, clock },
        events.map((event) => ({ delete: outboxKey(event) })),
      );
    },
  };
}
