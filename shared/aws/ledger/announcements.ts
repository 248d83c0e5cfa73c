/**
 * Announced unmanaged sessions in the ledger: one small item per session (`pk=unmanaged#<sessionId>`,
 * `sk=announced`) with the fingerprint last announced and when it was first seen, so each is announced once and
 * again only when it changes. The item expires HISTORY_TTL_DAYS after its last announcement: a session still there
 * then is announced again, which is a reminder, not noise.
 */
import { BatchGetCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AnnouncementPort } from '../../converge/governance-ports';
import type { Clock } from '../../converge/ports';
import type { Announcement } from '../../domain/unmanaged-sessions';
import { chunks } from '../../util/chunks';
import { hasCode, toDomainError, withDomainErrors } from '../error-mapping';

const BATCH_GET_LIMIT = 100;
const SECONDS_PER_DAY = 86_400;

export function announcementKey(sessionId: string): { pk: string; sk: string } {
  return { pk: `unmanaged#${sessionId}`, sk: 'announced' };
}

export interface AnnouncementLedgerOptions {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly historyTtlDays: number;
  readonly clock?: Clock;
}

export function createAnnouncementLedger(options: AnnouncementLedgerOptions): AnnouncementPort {
  const { documents, tableName, historyTtlDays } = options;
  const clock = options.clock ?? { now: () => new Date() };

  return {
    async read(sessionIds: readonly string[]): Promise<Map<string, Announcement>> {
      const found = new Map<string, Announcement>();
      for (const batch of chunks([...new Set(sessionIds)], BATCH_GET_LIMIT)) {
        let pending: Array<Record<string, unknown>> | undefined = batch.map(announcementKey);
        while (pending !== undefined && pending.length > 0) {
          const keys: Array<Record<string, unknown>> = pending;
          const answer = await withDomainErrors('DynamoDB BatchGetItem', () =>
            documents.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } })),
          );
          for (const item of answer.Responses?.[tableName] ?? []) {
            const sessionId = String(item.pk).slice('unmanaged#'.length);
            found.set(sessionId, { fingerprint: String(item.fingerprint), firstSeenAt: String(item.firstSeenAt) });
          }
          pending = answer.UnprocessedKeys?.[tableName]?.Keys;
        }
      }
      return found;
    },

    async record(sessionId: string, announcement: Announcement, previousFingerprint: string | undefined): Promise<boolean> {
      const now = clock.now();
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...announcementKey(sessionId),
              ...announcement,
              announcedAt: now.toISOString(),
              expiresAt: Math.floor(now.getTime() / 1000) + historyTtlDays * SECONDS_PER_DAY,
            },
            ConditionExpression: previousFingerprint === undefined ? 'attribute_not_exists(pk)' : 'fingerprint = :previous',
            ...(previousFingerprint === undefined ? {} : { ExpressionAttributeValues: { ':previous': previousFingerprint } }),
          }),
        );
        return true;
      } catch (error) {
        if (hasCode(error, 'ConditionalCheckFailedException')) return false;
        throw toDomainError(error, 'DynamoDB PutItem (announcement)');
      }
    },
  };
}
