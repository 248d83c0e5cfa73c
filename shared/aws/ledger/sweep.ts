/**
 * The sweep's own ledger items: its cursor (`pk=sweep#cursor`, `sk=cursor`), the targets it counted last
 * (`pk=sweep#targets`, `sk=counted`), the audit of target items
 * (`pk=target#<id>`, `sk=load`) for sources no slot and no session account for (a crash between reserving the
 * target source and reserving the ENI slot, or a hand-made session deleted by hand, leaves one behind), the count
 * of a load balancer target's sources (attaches do not count them: no limit to enforce), and the
 * backfill of the tracked-ENI index (tracked-enis.ts) the slot holders are read through.
 * Single-item writes, like the rest of the ledger; the cursor has one writer (the sweep runs one at a time).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../converge/ports';
import type { SeenSource, SlotHoldersByTarget, SweepLedgerPort, TargetSources } from '../../converge/sweep-ports';
import { hasCode, toDomainError, withDomainErrors } from '../error-mapping';
import { COUNTED_TARGETS_KEY, cursorKey, HOME_KEY_SCOPE, targetKey } from './keys';
import { sourceSinceAttribute } from './target-load';
import { type BackfillOptions, createTrackedEnis } from './tracked-enis';

export interface SweepLedgerOptions {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock?: Clock;
  /** The scope whose cursor this is (keys.ts); absent: home. */
  readonly keyScope?: string;
  /** Every scope whose ENI items the target audit counts (a shared target's sources come from every account); default: this one. */
  readonly auditKeyScopes?: readonly string[];
  /** How much of the table one run's backfill step scans (tests make it small). */
  readonly backfill?: BackfillOptions;
}

export function createSweepLedger(options: SweepLedgerOptions): SweepLedgerPort {
  const { documents, tableName } = options;
  const clock = options.clock ?? { now: () => new Date() };
  const scopeCursorKey = cursorKey(options.keyScope);
  const tracked = createTrackedEnis({ documents, tableName, clock }, options.backfill);
  const auditKeyScopes = options.auditKeyScopes ?? [options.keyScope ?? HOME_KEY_SCOPE];

  async function readTargetSources(targetIds: readonly string[]): Promise<TargetSources[]> {
    const found: TargetSources[] = [];
    for (const targetId of new Set(targetIds)) {
      const answer = await withDomainErrors('DynamoDB GetItem', () =>
        documents.send(new GetCommand({ TableName: tableName, Key: targetKey(targetId), ConsistentRead: true })),
      );
      if (answer.Item === undefined) continue;
      const sources = [...((answer.Item.sources as Set<string> | undefined) ?? [])].sort();
      const sourceSince = new Map<string, string>();
      for (const eniId of sources) {
        const since = answer.Item[sourceSinceAttribute(eniId)];
        if (typeof since === 'string') sourceSince.set(eniId, since);
      }
      found.push({
        targetId,
        sources,
        sourceCount: Number(answer.Item.sourceCount ?? 0),
        updatedAt: String(answer.Item.updatedAt ?? ''),
        sourceSince,
      });
    }
    return found;
  }

  async function releaseSourceIfUnchanged(targetId: string, eniId: string, seen: SeenSource): Promise<string | undefined> {
    const at = clock.now().toISOString();
    const unchanged = 'since' in seen ? '#since = :seen' : 'attribute_not_exists(#since) AND updatedAt = :seen';
    try {
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: targetKey(targetId),
          UpdateExpression: 'DELETE sources :eniSet ADD sourceCount :minusOne SET updatedAt = :at REMOVE #since',
          ConditionExpression: `contains(sources, :eniId) AND ${unchanged}`,
          ExpressionAttributeNames: { '#since': sourceSinceAttribute(eniId) },
          ExpressionAttributeValues: {
            ':eniSet': new Set([eniId]),
            ':eniId': eniId,
            ':minusOne': -1,
            ':seen': 'since' in seen ? seen.since : seen.itemUpdatedAt,
            ':at': at,
          },
        }),
      );
      return at;
    } catch (error) {
      // The source was taken again (or, on an older item, anything changed) since we looked: left to the next sweep.
      if (hasCode(error, 'ConditionalCheckFailedException')) return undefined;
      throw toDomainError(error, 'DynamoDB UpdateItem');
    }
  }

  async function setLoadBalancerCount(targetId: string, sourceCount: number): Promise<void> {
    await withDomainErrors('DynamoDB UpdateItem', () =>
      documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: targetKey(targetId),
          UpdateExpression: 'SET sourceCount = :count, targetId = :targetId, updatedAt = :at REMOVE sources, fullUntil, freedSinceFull',
          ExpressionAttributeValues: { ':count': sourceCount, ':targetId': targetId, ':at': clock.now().toISOString() },
        }),
      ),
    );
  }

  async function readManagedSlotHolders(): Promise<SlotHoldersByTarget> {
    const holders = new Map<string, string[]>();
    for (const eni of await tracked.readTrackedEnis(auditKeyScopes)) {
      const targetIds = new Set(eni.slots.flatMap((slot) => (slot.owner === 'managed' && slot.targetId ? [slot.targetId] : [])));
      for (const targetId of targetIds) holders.set(targetId, [...(holders.get(targetId) ?? []), eni.eniId]);
    }
    return holders;
  }

  const cursor = {
    async read(): Promise<string | undefined> {
      const answer = await withDomainErrors('DynamoDB GetItem', () =>
        documents.send(new GetCommand({ TableName: tableName, Key: scopeCursorKey, ConsistentRead: true })),
      );
      const value = answer.Item?.lastInstanceId;
      return typeof value === 'string' && value !== '' ? value : undefined;
    },
    async write(lastInstanceId: string | undefined): Promise<void> {
      await withDomainErrors('DynamoDB PutItem', () =>
        documents.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...scopeCursorKey, lastInstanceId: lastInstanceId ?? '', updatedAt: clock.now().toISOString() },
          }),
        ),
      );
    },
  };

  const countedTargets = {
    async read(): Promise<readonly string[]> {
      const answer = await withDomainErrors('DynamoDB GetItem', () =>
        documents.send(new GetCommand({ TableName: tableName, Key: COUNTED_TARGETS_KEY, ConsistentRead: true })),
      );
      return [...((answer.Item?.targetIds as Set<string> | undefined) ?? [])].sort();
    },
    async write(targetIds: readonly string[]): Promise<void> {
      const item = { ...COUNTED_TARGETS_KEY, updatedAt: clock.now().toISOString() };
      // DynamoDB holds no empty set: no target counted is an item without the attribute.
      await withDomainErrors('DynamoDB PutItem', () =>
        documents.send(
          new PutCommand({ TableName: tableName, Item: targetIds.length > 0 ? { ...item, targetIds: new Set(targetIds) } : item }),
        ),
      );
    },
  };

  return {
    cursor,
    countedTargets,
    readTargetSources,
    releaseSourceIfUnchanged,
    setLoadBalancerCount,
    readManagedSlotHolders,
    trackedIndex: tracked.backfill,
  };
}
