/**
 * The DynamoDB ledger (item shapes pinned in docs/ARCHITECTURE.md). Every write is a single-item conditional write:
 * ENI items are replaced whole under an optimistic `version`, target items are updated with ADD/DELETE under a
 * limit condition. A lost race re-reads and retries a bounded number of times, then becomes a RetryableError.
 */
import { randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '../domain/errors';
import { freeSessionNumbers, MAX_SESSIONS_PER_ENI } from '../domain/session-number';
import type { SessionFacts } from '../domain/types';
import type {
  Clock,
  EniLedger,
  HistoryEntry,
  LedgerPort,
  Slot,
  SlotRequest,
  SlotReservation,
  TargetSourcePurpose,
  TargetSourceReservation,
} from '../converge/ports';
import { chunks } from './chunks';
import { hasCode, toDomainError } from './error-mapping';
import { createOutbox } from './outbox';

const MAX_RACE_ATTEMPTS = 8;
const BATCH_GET_LIMIT = 100;
const SECONDS_PER_DAY = 86_400;

export interface LedgerOptions {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly historyTtlDays: number;
  readonly clock?: Clock;
}

const eniKey = (eniId: string) => ({ pk: `eni#${eniId}`, sk: 'slots' });
const decisionsKey = (instanceId: string) => ({ pk: `decisions#${instanceId}`, sk: 'last' });
export const targetKey = (targetId: string) => ({ pk: `target#${targetId}`, sk: 'load' });

interface EniItem {
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
  eniId: string;
  instanceId?: string;
  slots: Record<string, Slot>;
  version: number;
  updatedAt: string;
}

function toEniLedger(item: Record<string, unknown>): EniLedger {
  const raw = item as unknown as EniItem;
  const slots = Object.values(raw.slots ?? {}).sort((a, b) => a.sessionNumber - b.sessionNumber);
  return { eniId: raw.eniId, ...(raw.instanceId ? { instanceId: raw.instanceId } : {}), slots, version: raw.version };
}

function isConditionFailure(error: unknown): boolean {
  return hasCode(error, 'ConditionalCheckFailedException');
}

/** A short random pause so racing writers do not collide again in lockstep. */
function jitter(attempt: number): Promise<void> {
  const ms = Math.floor(Math.random() * 10 * (attempt + 1));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Makes the slots agree with what EC2 shows: hand-made sessions become foreign slots (their numbers count against the
 * ENI's 3), foreign slots whose session is gone are dropped, and managed sessions the ledger lost are learned back.
 */
export function syncObservedSessions(slots: readonly Slot[], observed: readonly SessionFacts[], at: string): Slot[] {
  const observedIds = new Set(observed.map((session) => session.sessionId));
  const next = slots.filter((slot) => slot.owner !== 'foreign' || (slot.sessionId !== undefined && observedIds.has(slot.sessionId)));
  for (const session of observed) {
    const known = next.some(
      (slot) =>
        slot.sessionId === session.sessionId ||
        (session.reservationId !== undefined && slot.reservationId === session.reservationId),
    );
    if (known || next.some((slot) => slot.sessionNumber === session.sessionNumber)) continue;
    next.push({
      sessionNumber: session.sessionNumber,
      owner: session.managed ? 'managed' : 'foreign',
      state: 'active',
      sessionId: session.sessionId,
      targetId: session.targetId,
      ...(session.reservationId !== undefined ? { reservationId: session.reservationId } : {}),
      ...(session.instanceId !== undefined ? { instanceId: session.instanceId } : {}),
      updatedAt: at,
    });
  }
  return next;
}

function sameSlots(a: readonly Slot[], b: readonly Slot[]): boolean {
  const key = (slots: readonly Slot[]) => JSON.stringify([...slots].sort((x, y) => x.sessionNumber - y.sessionNumber));
  return key(a) === key(b);
}

export function createLedger(options: LedgerOptions): LedgerPort {
  const { documents, tableName, historyTtlDays } = options;
  const clock = options.clock ?? { now: () => new Date() };

  async function send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw toDomainError(error, `DynamoDB ${operation}`);
    }
  }

  async function readEni(eniId: string): Promise<EniLedger | undefined> {
    const answer = await send('GetItem', () => documents.send(new GetCommand({ TableName: tableName, Key: eniKey(eniId), ConsistentRead: true })));
    return answer.Item ? toEniLedger(answer.Item) : undefined;
  }

  /**
   * Read-modify-write of one ENI item under its version. `change` returns the new slots (undefined: nothing to
   * write) and a result; an empty slot list deletes the item.
   */
  async function mutateEni<R>(
    eniId: string,
    instanceId: string | undefined,
    change: (current: EniLedger | undefined) => { slots?: Slot[]; result: R },
  ): Promise<R> {
    for (let attempt = 0; attempt < MAX_RACE_ATTEMPTS; attempt += 1) {
      const current = await readEni(eniId);
      const { slots, result } = change(current);
      if (slots === undefined || (current !== undefined && sameSlots(current.slots, slots))) return result;
      if (slots.length === 0 && current === undefined) return result;
      const versionCondition = current
        ? { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': current.version } }
        : { ConditionExpression: 'attribute_not_exists(pk)' };
      try {
        if (slots.length === 0) {
          await send('DeleteItem', () => documents.send(new DeleteCommand({ TableName: tableName, Key: eniKey(eniId), ...versionCondition })));
        } else {
          const owner = instanceId ?? current?.instanceId;
          const item: EniItem = {
            ...eniKey(eniId),
            ...(owner ? { gsi1pk: `instance#${owner}`, gsi1sk: `eni#${eniId}`, instanceId: owner } : {}),
            eniId,
            slots: Object.fromEntries(slots.map((slot) => [String(slot.sessionNumber), slot])),
            version: (current?.version ?? 0) + 1,
            updatedAt: clock.now().toISOString(),
          };
          await send('PutItem', () => documents.send(new PutCommand({ TableName: tableName, Item: item, ...versionCondition })));
        }
        return result;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        await jitter(attempt);
      }
    }
    throw new RetryableError(`ledger: lost the race on ${eniId} ${MAX_RACE_ATTEMPTS} times`);
  }

  async function batchGet(keys: Array<{ pk: string; sk: string }>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (const batch of chunks(keys, BATCH_GET_LIMIT)) {
      let pending: Array<Record<string, unknown>> | undefined = batch;
      for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
        if (attempt >= MAX_RACE_ATTEMPTS) throw new RetryableError('ledger: BatchGetItem kept returning unprocessed keys');
        const request: Array<Record<string, unknown>> = pending;
        const answer = await send('BatchGetItem', () =>
          documents.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: request, ConsistentRead: true } } })),
        );
        items.push(...(answer.Responses?.[tableName] ?? []));
        pending = answer.UnprocessedKeys?.[tableName]?.Keys;
        if (pending && pending.length > 0) await jitter(attempt);
      }
    }
    return items;
  }

  async function readEniLedgers(eniIds: readonly string[]): Promise<Map<string, EniLedger>> {
    const items = await batchGet([...new Set(eniIds)].map(eniKey));
    return new Map(items.map((item) => toEniLedger(item)).map((ledger) => [ledger.eniId, ledger]));
  }

  async function readInstanceEniLedgers(instanceId: string): Promise<EniLedger[]> {
    const ledgers: EniLedger[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await send('Query', () =>
        documents.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': `instance#${instanceId}` },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      ledgers.push(...(page.Items ?? []).map(toEniLedger));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return ledgers;
  }

  async function readTargetLoads(targetIds: readonly string[]): Promise<Map<string, number>> {
    const ids = [...new Set(targetIds)];
    const items = await batchGet(ids.map(targetKey));
    const loads = new Map<string, number>(ids.map((id) => [id, 0]));
    for (const item of items) {
      const pk = String(item.pk);
      loads.set(pk.slice('target#'.length), Number(item.sourceCount ?? 0));
    }
    return loads;
  }

  async function reserveTargetSource(
    targetId: string,
    eniId: string,
    limit: number | null,
    purpose: TargetSourcePurpose = 'existing-session',
  ): Promise<TargetSourceReservation> {
    const notHeld = '(attribute_not_exists(sources) OR NOT contains(sources, :eniId))';
    // A session EC2 already has is counted whatever; only a new one waits for a target EC2 called full.
    const notMarkedFull = purpose === 'new-session' ? ' AND (attribute_not_exists(fullUntil) OR fullUntil <= :now)' : '';
    for (let attempt = 0; attempt < MAX_RACE_ATTEMPTS; attempt += 1) {
      const now = clock.now().toISOString();
      try {
        await send('UpdateItem', () =>
          documents.send(
            new UpdateCommand({
              TableName: tableName,
              Key: targetKey(targetId),
              UpdateExpression: 'ADD sources :eniSet, sourceCount :one SET targetId = :targetId, updatedAt = :at',
              ConditionExpression:
                (limit === null ? notHeld : `${notHeld} AND (attribute_not_exists(sourceCount) OR sourceCount < :limit)`) + notMarkedFull,
              ExpressionAttributeValues: {
                ':eniSet': new Set([eniId]),
                ':eniId': eniId,
                ':one': 1,
                ':targetId': targetId,
                ':at': now,
                ...(limit === null ? {} : { ':limit': limit }),
                ...(notMarkedFull === '' ? {} : { ':now': now }),
              },
            }),
          ),
        );
        return 'reserved';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      // Which condition failed? Re-read: ours already, or full. Neither means the item changed under us: retry.
      const answer = await send('GetItem', () =>
        documents.send(new GetCommand({ TableName: tableName, Key: targetKey(targetId), ConsistentRead: true })),
      );
      const sources = answer.Item?.sources as Set<string> | undefined;
      if (sources?.has(eniId)) return 'already-held';
      if (limit !== null && Number(answer.Item?.sourceCount ?? 0) >= limit) return 'full';
      if (notMarkedFull !== '' && String(answer.Item?.fullUntil ?? '') > now) return 'full';
      await jitter(attempt);
    }
    throw new RetryableError(`ledger: lost the race on target ${targetId} ${MAX_RACE_ATTEMPTS} times`);
  }

  async function releaseTargetSource(targetId: string, eniId: string): Promise<void> {
    try {
      await send('UpdateItem', () =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: targetKey(targetId),
            // A source we give back is room on EC2 too: a target marked full is worth trying again at once.
            UpdateExpression: 'DELETE sources :eniSet ADD sourceCount :minusOne SET updatedAt = :at REMOVE fullUntil',
            ConditionExpression: 'contains(sources, :eniId)',
            ExpressionAttributeValues: { ':eniSet': new Set([eniId]), ':eniId': eniId, ':minusOne': -1, ':at': clock.now().toISOString() },
          }),
        ),
      );
    } catch (error) {
      // Not (or no longer) a source of this target: releasing is already done.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async function markTargetFull(targetId: string, until: Date): Promise<void> {
    await send('UpdateItem', () =>
      documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: targetKey(targetId),
          UpdateExpression: 'SET fullUntil = :until, targetId = :targetId, updatedAt = :at',
          ExpressionAttributeValues: { ':until': until.toISOString(), ':targetId': targetId, ':at': clock.now().toISOString() },
        }),
      ),
    );
  }

  async function reserveSlot(request: SlotRequest): Promise<SlotReservation> {
    const at = clock.now().toISOString();
    const reservationId = `r-${randomUUID()}`;
    return mutateEni<SlotReservation>(request.eniId, request.instanceId, (current) => {
      const slots = syncObservedSessions(current?.slots ?? [], request.observedSessions, at);
      const held = slots.find((slot) => slot.owner === 'managed' && slot.state !== 'releasing' && slot.reservationId !== undefined);
      if (held?.reservationId !== undefined && held.targetId !== undefined) {
        return {
          slots,
          result: {
            kind: 'existing',
            reservationId: held.reservationId,
            sessionNumber: held.sessionNumber,
            targetId: held.targetId,
            ...(held.state === 'active' && held.sessionId !== undefined ? { sessionId: held.sessionId } : {}),
          },
        };
      }
      if (slots.length >= MAX_SESSIONS_PER_ENI) return { slots, result: { kind: 'full' } };
      const used = slots.map((slot) => slot.sessionNumber);
      const number =
        request.numberCandidates.find((candidate) => !used.includes(candidate)) ??
        freeSessionNumbers(used, request.preferredSessionNumber, 1)[0];
      if (number === undefined) return { slots, result: { kind: 'full' } };
      const slot: Slot = {
        sessionNumber: number,
        owner: 'managed',
        state: 'reserved',
        targetId: request.targetId,
        reservationId,
        instanceId: request.instanceId,
        updatedAt: at,
        heldUntil: request.heldUntil,
      };
      return { slots: [...slots, slot], result: { kind: 'reserved', reservationId, sessionNumber: number, targetId: request.targetId } };
    });
  }

  async function activateSlot(eniId: string, reservationId: string, sessionId: string): Promise<boolean> {
    const at = clock.now().toISOString();
    return mutateEni(eniId, undefined, (current) => {
      const slots = current?.slots ?? [];
      const slot = slots.find((candidate) => candidate.reservationId === reservationId);
      if (slot === undefined || (slot.state === 'active' && slot.sessionId === sessionId)) return { result: false };
      return {
        slots: slots.map((candidate) => {
          if (candidate !== slot) return candidate;
          const { heldUntil: _done, ...active } = slot;
          return { ...active, state: 'active' as const, sessionId, updatedAt: at };
        }),
        result: true,
      };
    });
  }

  async function holdSlot(eniId: string, reservationId: string, heldUntil: string | undefined): Promise<void> {
    await mutateEni(eniId, undefined, (current) => {
      const slots = current?.slots ?? [];
      const slot = slots.find((candidate) => candidate.reservationId === reservationId && candidate.state === 'reserved');
      if (slot === undefined || slot.heldUntil === heldUntil) return { result: undefined };
      const { heldUntil: _previous, ...rest } = slot;
      return { slots: slots.map((candidate) => (candidate === slot ? { ...rest, ...(heldUntil !== undefined ? { heldUntil } : {}) } : candidate)), result: undefined };
    });
  }

  async function markSlotReleasing(eniId: string, sessionId: string): Promise<void> {
    const at = clock.now().toISOString();
    await mutateEni(eniId, undefined, (current) => {
      const slots = current?.slots ?? [];
      const slot = slots.find((candidate) => candidate.sessionId === sessionId && candidate.owner === 'managed');
      if (slot === undefined || slot.state === 'releasing') return { result: undefined };
      return {
        slots: slots.map((candidate) => (candidate === slot ? { ...slot, state: 'releasing' as const, updatedAt: at } : candidate)),
        result: undefined,
      };
    });
  }

  async function removeSlot(eniId: string, match: { reservationId?: string; sessionId?: string }): Promise<EniLedger | undefined> {
    return mutateEni(eniId, undefined, (current) => {
      if (current === undefined) return { result: undefined };
      const matches = (slot: Slot) =>
        slot.owner === 'managed' &&
        ((match.reservationId !== undefined && slot.reservationId === match.reservationId) ||
          (match.sessionId !== undefined && slot.sessionId === match.sessionId));
      const slots = current.slots.filter((slot) => !matches(slot));
      return { slots, result: { ...current, slots } };
    });
  }

  async function learnForeignSessions(eniId: string, instanceId: string, observedSessions: readonly SessionFacts[]): Promise<void> {
    const at = clock.now().toISOString();
    await mutateEni(eniId, instanceId, (current) => ({ slots: syncObservedSessions(current?.slots ?? [], observedSessions, at), result: undefined }));
  }

  async function recordHistory(entry: HistoryEntry): Promise<void> {
    const now = clock.now();
    await send('PutItem', () =>
      documents.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `history#${entry.instanceId}`,
            sk: `${now.toISOString()}#${entry.eniId ?? '-'}#${entry.action}`,
            ...entry,
            at: now.toISOString(),
            expiresAt: Math.floor(now.getTime() / 1000) + historyTtlDays * SECONDS_PER_DAY,
          },
        }),
      ),
    );
  }

  async function readLastDecisions(instanceIds: readonly string[]): Promise<Map<string, Readonly<Record<string, string>>>> {
    const items = await batchGet([...new Set(instanceIds)].map(decisionsKey));
    return new Map(items.map((item) => [String(item.instanceId), (item.decisions ?? {}) as Record<string, string>]));
  }

  async function writeLastDecisions(instanceId: string, decisions: Readonly<Record<string, string>>): Promise<void> {
    const now = clock.now();
    await send('PutItem', () =>
      documents.send(
        new PutCommand({
          TableName: tableName,
          // Expires with the history it summarises: an instance gone for that long has nothing left to compare.
          Item: { ...decisionsKey(instanceId), instanceId, decisions, at: now.toISOString(), expiresAt: Math.floor(now.getTime() / 1000) + historyTtlDays * SECONDS_PER_DAY },
        }),
      ),
    );
  }

  async function listInstanceIds(): Promise<string[]> {
    const ids = new Set<string>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await send('Scan', () =>
        documents.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: 'begins_with(pk, :eni)',
            ProjectionExpression: 'instanceId',
            ExpressionAttributeValues: { ':eni': 'eni#' },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) if (typeof item.instanceId === 'string') ids.add(item.instanceId);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return [...ids];
  }

  return {
    readEniLedgers,
    readInstanceEniLedgers,
    readTargetLoads,
    reserveTargetSource,
    releaseTargetSource,
    markTargetFull,
    reserveSlot,
    activateSlot,
    holdSlot,
    markSlotReleasing,
    removeSlot,
    learnForeignSessions,
    recordHistory,
    readLastDecisions,
    writeLastDecisions,
    listInstanceIds,
    ...createOutbox(options),
  };
}
