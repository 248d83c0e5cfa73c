/**
 * The target items: per traffic mirror target, the ENIs it serves (`sources`, a string set) and their count,
 * updated with ADD/DELETE under a limit condition, and `fullUntil` when EC2 refused a source beyond its limit, with
 * `freedSinceFull`: our sources given back since, less the new ones taken since. Only that balance is room EC2 has
 * gained: a session replaced on the same target gives its source back and takes it again, leaving the target full.
 * Each source carries the time it was taken (`since#<eni>`): the sweep's audit judges a source no slot explains by
 * its own age, so a busy target's other writes never keep an orphan from being released.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TargetSourcePurpose, TargetSourceReservation } from '../../converge/ports';
import { RetryableError } from '../../domain/errors';
import { targetIdOf, targetKey } from './keys';
import { applied, appliedOr, batchGet, ITEM_ON_CONDITION_FAILURE, jitter, type LedgerTable, MAX_RACE_ATTEMPTS, send } from './table';

/** The attribute holding when the ENI became a source of the target (an item written before it has none). */
export const sourceSinceAttribute = (eniId: string): string => `since#${eniId}`;

export function createTargetLoad(table: LedgerTable) {
  const { documents, tableName, clock } = table;

  async function readTargetLoads(targetIds: readonly string[]): Promise<Map<string, number>> {
    const ids = [...new Set(targetIds)];
    const items = await batchGet(table, ids.map(targetKey));
    const loads = new Map<string, number>(ids.map((id) => [id, 0]));
    for (const item of items) loads.set(targetIdOf(String(item.pk)), Number(item.sourceCount ?? 0));
    return loads;
  }

  async function reserveTargetSource(
    targetId: string,
    eniId: string,
    limit: number | null,
    purpose: TargetSourcePurpose = 'existing-session',
  ): Promise<TargetSourceReservation> {
    const notHeld = '(attribute_not_exists(sources) OR NOT contains(sources, :eniId))';
    // A session EC2 already has is counted whatever; only a new one waits for a target EC2 called full, unless
    // one of our sources was given back since and not yet taken again.
    const isNew = purpose === 'new-session';
    const notMarkedFull = isNew ? ' AND (attribute_not_exists(fullUntil) OR fullUntil <= :now OR freedSinceFull > :zero)' : '';
    for (let attempt = 0; attempt < MAX_RACE_ATTEMPTS; attempt += 1) {
      const now = clock.now().toISOString();
      const reserved = await appliedOr('UpdateItem', () =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: targetKey(targetId),
            UpdateExpression: `ADD sources :eniSet, sourceCount :one${isNew ? ', freedSinceFull :minusOne' : ''} SET targetId = :targetId, updatedAt = :at, #since = :at`,
            ConditionExpression:
              (limit === null ? notHeld : `${notHeld} AND (attribute_not_exists(sourceCount) OR sourceCount < :limit)`) + notMarkedFull,
            ExpressionAttributeNames: { '#since': sourceSinceAttribute(eniId) },
            ExpressionAttributeValues: {
              ':eniSet': new Set([eniId]),
              ':eniId': eniId,
              ':one': 1,
              ':targetId': targetId,
              ':at': now,
              ...(limit === null ? {} : { ':limit': limit }),
              ...(isNew ? { ':now': now, ':zero': 0, ':minusOne': -1 } : {}),
            },
            ...ITEM_ON_CONDITION_FAILURE,
          }),
        ),
      );
      if (reserved.applied) return 'reserved';
      // Which condition failed? The item it failed on tells (read when DynamoDB gave none): ours already, or full.
      // Neither means the item changed under us: retry.
      const item =
        reserved.current ??
        (
          await send('GetItem', () =>
            documents.send(new GetCommand({ TableName: tableName, Key: targetKey(targetId), ConsistentRead: true })),
          )
        ).Item;
      const sources = item?.sources as Set<string> | undefined;
      if (sources?.has(eniId)) return 'already-held';
      if (limit !== null && Number(item?.sourceCount ?? 0) >= limit) return 'full';
      if (notMarkedFull !== '' && stillMarkedFull(item, now)) return 'full';
      await jitter(attempt);
    }
    throw new RetryableError(`ledger: lost the race on target ${targetId} ${MAX_RACE_ATTEMPTS} times`);
  }

  async function releaseTargetSource(targetId: string, eniId: string): Promise<void> {
    // A failed condition: not (or no longer) a source of this target, so releasing is already done.
    await applied('UpdateItem', () =>
      documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: targetKey(targetId),
          // A source we give back is room on EC2 too, for one new session: a full mark stays, the room is counted.
          UpdateExpression: 'DELETE sources :eniSet ADD sourceCount :minusOne, freedSinceFull :one SET updatedAt = :at REMOVE #since',
          ConditionExpression: 'contains(sources, :eniId)',
          ExpressionAttributeNames: { '#since': sourceSinceAttribute(eniId) },
          ExpressionAttributeValues: {
            ':eniSet': new Set([eniId]),
            ':eniId': eniId,
            ':minusOne': -1,
            ':one': 1,
            ':at': clock.now().toISOString(),
          },
        }),
      ),
    );
  }

  async function markTargetFull(targetId: string, until: Date): Promise<void> {
    await send('UpdateItem', () =>
      documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: targetKey(targetId),
          UpdateExpression: 'SET fullUntil = :until, freedSinceFull = :zero, targetId = :targetId, updatedAt = :at',
          ExpressionAttributeValues: {
            ':until': until.toISOString(),
            ':zero': 0,
            ':targetId': targetId,
            ':at': clock.now().toISOString(),
          },
        }),
      ),
    );
  }

  return { readTargetLoads, reserveTargetSource, releaseTargetSource, markTargetFull };
}

/** EC2 called the target full less than the re-check time ago, and no source of ours it gave back is left unused. */
function stillMarkedFull(item: Record<string, unknown> | undefined, now: string): boolean {
  return String(item?.fullUntil ?? '') > now && Number(item?.freedSinceFull ?? 0) <= 0;
}
