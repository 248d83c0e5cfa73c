/**
 * The ENI items: one per source ENI, its session slots replaced whole under an optimistic `version`. The slot
 * policy (which slot an attach takes, what EC2's sessions teach) is the domain's (shared/domain/eni-slots.ts); here
 * it is applied in a read-modify-write that re-reads and retries a lost race a bounded number of times.
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SlotRequest } from '../../converge/ports';
import {
  chooseSlot,
  type EniLedger,
  markReleasing,
  matchesSlot,
  type ReleaseMark,
  type Releaser,
  type ReservationIntent,
  type Slot,
  type SlotMatch,
  type SlotReservation,
  syncObservedSessions,
} from '../../domain/eni-slots';
import { RetryableError } from '../../domain/errors';
import type { SessionFacts } from '../../domain/types';
import { eniKey, INSTANCE_INDEX, instanceIndexKey, instanceIndexPk, trackedIndexKey } from './keys';
import {
  applied,
  batchGet,
  ITEM_ON_CONDITION_FAILURE,
  isConditionFailure,
  itemOfConditionFailure,
  jitter,
  type LedgerTable,
  MAX_RACE_ATTEMPTS,
  send,
} from './table';

interface EniItem {
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
  gsi2pk: string;
  gsi2sk: string;
  eniId: string;
  instanceId?: string;
  slots: Record<string, Slot>;
  version: number;
  updatedAt: string;
}

export function toEniLedger(item: Record<string, unknown>): EniLedger {
  const raw = item as unknown as EniItem;
  const slots = Object.values(raw.slots ?? {}).sort((a, b) => a.sessionNumber - b.sessionNumber);
  return { eniId: raw.eniId, ...(raw.instanceId ? { instanceId: raw.instanceId } : {}), slots, version: raw.version };
}

function sameSlots(a: readonly Slot[], b: readonly Slot[]): boolean {
  const key = (slots: readonly Slot[]) => JSON.stringify([...slots].sort((x, y) => x.sessionNumber - y.sessionNumber));
  return key(a) === key(b);
}

export function createEniSlots(table: LedgerTable) {
  const { documents, tableName, clock, keyScope } = table;

  async function readEni(eniId: string): Promise<EniLedger | undefined> {
    const answer = await send('GetItem', () =>
      documents.send(new GetCommand({ TableName: tableName, Key: eniKey(eniId, keyScope), ConsistentRead: true })),
    );
    return answer.Item ? toEniLedger(answer.Item) : undefined;
  }

  /**
   * Read-modify-write of one ENI item under its version. `change` returns the new slots (undefined: nothing to
   * write) and a result; an empty slot list deletes the item. `known`: the item as the caller already read it (null:
   * no item), written against without reading it again. A lost race goes on from the item the failed write was
   * checked against, as DynamoDB returns it (ITEM_ON_CONDITION_FAILURE), and re-reads only when it returned none.
   */
  async function mutateEni<R>(
    eniId: string,
    instanceId: string | undefined,
    change: (current: EniLedger | undefined) => { slots?: Slot[]; result: R },
    known?: EniLedger | null,
  ): Promise<R> {
    return (await mutateEniItem(eniId, instanceId, change, known)).result;
  }

  /** mutateEni, also giving the item as it stands after the change (null: none), for the caller's next write. */
  async function mutateEniItem<R>(
    eniId: string,
    instanceId: string | undefined,
    change: (current: EniLedger | undefined) => { slots?: Slot[]; result: R },
    known?: EniLedger | null,
  ): Promise<{ result: R; item: EniLedger | null }> {
    let lastSeen: EniLedger | null | undefined = known;
    for (let attempt = 0; attempt < MAX_RACE_ATTEMPTS; attempt += 1) {
      const current = lastSeen !== undefined ? (lastSeen ?? undefined) : await readEni(eniId);
      const { slots, result } = change(current);
      if (slots === undefined || (current !== undefined && sameSlots(current.slots, slots))) return { result, item: current ?? null };
      if (slots.length === 0 && current === undefined) return { result, item: null };
      const versionCondition = current
        ? {
            ConditionExpression: 'version = :version',
            ExpressionAttributeValues: { ':version': current.version },
            ...ITEM_ON_CONDITION_FAILURE,
          }
        : { ConditionExpression: 'attribute_not_exists(pk)', ...ITEM_ON_CONDITION_FAILURE };
      try {
        if (slots.length === 0) {
          await send('DeleteItem', () =>
            documents.send(new DeleteCommand({ TableName: tableName, Key: eniKey(eniId, keyScope), ...versionCondition })),
          );
          return { result, item: null };
        }
        const owner = instanceId ?? current?.instanceId;
        const item: EniItem = {
          ...eniKey(eniId, keyScope),
          ...trackedIndexKey(eniId, keyScope),
          ...(owner ? { ...instanceIndexKey(owner, eniId, keyScope), instanceId: owner } : {}),
          eniId,
          slots: Object.fromEntries(slots.map((slot) => [String(slot.sessionNumber), slot])),
          version: (current?.version ?? 0) + 1,
          updatedAt: clock.now().toISOString(),
        };
        await send('PutItem', () => documents.send(new PutCommand({ TableName: tableName, Item: item, ...versionCondition })));
        return { result, item: toEniLedger(item as unknown as Record<string, unknown>) };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const failedOn = itemOfConditionFailure(error);
        lastSeen = failedOn === undefined ? undefined : toEniLedger(failedOn);
        await jitter(attempt);
      }
    }
    throw new RetryableError(`ledger: lost the race on ${eniId} ${MAX_RACE_ATTEMPTS} times`);
  }

  async function readEniLedgers(eniIds: readonly string[]): Promise<Map<string, EniLedger>> {
    const items = await batchGet(
      table,
      [...new Set(eniIds)].map((eniId) => eniKey(eniId, keyScope)),
    );
    return new Map(items.map((item) => toEniLedger(item)).map((ledger) => [ledger.eniId, ledger]));
  }

  async function readInstanceEniLedgers(instanceId: string): Promise<EniLedger[]> {
    return send('Query', async () => {
      const ledgers: EniLedger[] = [];
      const pages = paginateQuery(
        { client: documents },
        {
          TableName: tableName,
          IndexName: INSTANCE_INDEX,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': instanceIndexPk(instanceId, keyScope) },
        },
      );
      for await (const page of pages) ledgers.push(...(page.Items ?? []).map(toEniLedger));
      return ledgers;
    });
  }

  async function reserveSlot(request: SlotRequest): Promise<SlotReservation> {
    const at = clock.now().toISOString();
    const reservationId = `r-${randomUUID()}`;
    return mutateEni<SlotReservation>(
      request.eniId,
      request.instanceId,
      (current) => chooseSlot(syncObservedSessions(current?.slots ?? [], request.observedSessions, at), { ...request, reservationId }, at),
      request.known,
    );
  }

  /** One conditional UpdateItem on the slot of that number (`#n`, its `#state`): false when the condition fails. */
  function updateSlotByNumber(
    eniId: string,
    sessionNumber: number,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    return applied('UpdateItem', () =>
      documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: eniKey(eniId, keyScope),
          UpdateExpression: `${update} ADD version :one`,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#n': String(sessionNumber), '#state': 'state' },
          ExpressionAttributeValues: { ...values, ':one': 1 },
        }),
      ),
    );
  }

  /**
   * The slot of that number made active in one update: the condition proves the reservation is there and not yet
   * active with this session, so nothing is read first. False when it fails: the slot is settled the long way.
   */
  function activateByNumber(eniId: string, reservationId: string, sessionId: string, sessionNumber: number): Promise<boolean> {
    const at = clock.now().toISOString();
    return updateSlotByNumber(
      eniId,
      sessionNumber,
      'SET slots.#n.#state = :active, slots.#n.sessionId = :sessionId, slots.#n.updatedAt = :at, updatedAt = :at REMOVE slots.#n.heldUntil, slots.#n.intent',
      'slots.#n.reservationId = :reservationId AND NOT (slots.#n.#state = :active AND slots.#n.sessionId = :sessionId)',
      { ':active': 'active', ':sessionId': sessionId, ':reservationId': reservationId, ':at': at },
    );
  }

  async function activateSlot(eniId: string, reservationId: string, sessionId: string, sessionNumber?: number): Promise<boolean> {
    if (sessionNumber !== undefined && (await activateByNumber(eniId, reservationId, sessionId, sessionNumber))) return true;
    const at = clock.now().toISOString();
    return mutateEni(eniId, undefined, (current) => {
      const slots = current?.slots ?? [];
      const slot = slots.find((candidate) => candidate.reservationId === reservationId);
      if (slot === undefined || (slot.state === 'active' && slot.sessionId === sessionId)) return { result: false };
      return {
        slots: slots.map((candidate) => {
          if (candidate !== slot) return candidate;
          const { heldUntil: _done, intent: _made, ...active } = slot;
          return { ...active, state: 'active' as const, sessionId, updatedAt: at };
        }),
        result: true,
      };
    });
  }

  /**
   * The reserved slot of that number held until `heldUntil` (or no longer held) in one update; with `intent`, a
   * takeover: the new hold is its new holder's, and so is the intent. False when it fails.
   */
  function holdByNumber(
    eniId: string,
    reservationId: string,
    heldUntil: string | undefined,
    sessionNumber: number,
    intent: ReservationIntent | undefined,
  ): Promise<boolean> {
    const taken = intent !== undefined && heldUntil !== undefined;
    const update =
      heldUntil === undefined
        ? 'REMOVE slots.#n.heldUntil'
        : `SET slots.#n.heldUntil = :heldUntil${taken ? ', slots.#n.intent = :intent' : ''}`;
    return updateSlotByNumber(eniId, sessionNumber, update, 'slots.#n.reservationId = :reservationId AND slots.#n.#state = :reserved', {
      ':reservationId': reservationId,
      ':reserved': 'reserved',
      ...(heldUntil === undefined ? {} : { ':heldUntil': heldUntil }),
      ...(taken ? { ':intent': intent } : {}),
    });
  }

  async function holdSlot(
    eniId: string,
    reservationId: string,
    heldUntil: string | undefined,
    sessionNumber?: number,
    intent?: ReservationIntent,
  ): Promise<void> {
    if (sessionNumber !== undefined && (await holdByNumber(eniId, reservationId, heldUntil, sessionNumber, intent))) return;
    await mutateEni(eniId, undefined, (current) => {
      const slots = current?.slots ?? [];
      const slot = slots.find((candidate) => candidate.reservationId === reservationId && candidate.state === 'reserved');
      if (slot === undefined || (slot.heldUntil === heldUntil && intent === undefined)) return { result: undefined };
      const { heldUntil: _previous, ...rest } = slot;
      const held: Slot = { ...rest, ...(heldUntil !== undefined ? { heldUntil } : {}), ...(intent !== undefined ? { intent } : {}) };
      return { slots: slots.map((candidate) => (candidate === slot ? held : candidate)), result: undefined };
    });
  }

  async function markSlotReleasing(eniId: string, sessionId: string, releaser: Releaser, known?: EniLedger | null): Promise<ReleaseMark> {
    const { result, item } = await mutateEniItem(
      eniId,
      undefined,
      (current) => markReleasing(current?.slots ?? [], sessionId, releaser, clock.now()),
      known,
    );
    return result.kind === 'marked' && item !== null ? { ...result, item } : result;
  }

  async function removeSlot(eniId: string, match: SlotMatch, known?: EniLedger | null): Promise<EniLedger | undefined> {
    const { item } = await mutateEniItem(
      eniId,
      undefined,
      (current) =>
        current === undefined
          ? { result: undefined }
          : { slots: current.slots.filter((slot) => !matchesSlot(slot, match)), result: undefined },
      known,
    );
    return item ?? undefined;
  }

  async function learnForeignSessions(eniId: string, instanceId: string, observedSessions: readonly SessionFacts[]): Promise<void> {
    const at = clock.now().toISOString();
    await mutateEni(eniId, instanceId, (current) => ({
      slots: syncObservedSessions(current?.slots ?? [], observedSessions, at),
      result: undefined,
    }));
  }

  return {
    readEniLedgers,
    readInstanceEniLedgers,
    reserveSlot,
    activateSlot,
    holdSlot,
    markSlotReleasing,
    removeSlot,
    learnForeignSessions,
  };
}
