/**
 * What every part of the ledger shares: the table, the clock, one way to call DynamoDB (SDK errors become domain
 * errors, a failed condition stays itself for the caller to judge), bounded retries of lost races, and batched
 * reads by key.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Clock } from '../../converge/ports';
import { RetryableError } from '../../domain/errors';
import { chunks } from '../../util/chunks';
import { hasCode, toDomainError } from '../error-mapping';
import type { ItemKey } from './keys';

export const MAX_RACE_ATTEMPTS = 8;
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const SECONDS_PER_DAY = 86_400;

export interface LedgerTable {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
  /** The scope's key prefix (keys.ts); absent: the home scope. */
  readonly keyScope?: string;
}

export function isConditionFailure(error: unknown): boolean {
  return hasCode(error, 'ConditionalCheckFailedException');
}

/**
 * Asked of a conditional write whose caller re-reads the item when the condition fails: DynamoDB then returns the
 * item in the error (no read capacity consumed), and the caller needs no GetItem.
 */
export const ITEM_ON_CONDITION_FAILURE = { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } as const;

/**
 * The item a failed condition was checked against, as the document client would give it, when the write asked for
 * it (ITEM_ON_CONDITION_FAILURE) and there was one; undefined otherwise (then read it, if it matters).
 */
export function itemOfConditionFailure(error: unknown): Record<string, unknown> | undefined {
  const item = (error as { Item?: Record<string, AttributeValue> } | undefined)?.Item;
  return item === undefined ? undefined : unmarshall(item);
}

/** Runs one call (or a series of pages); a failed condition is rethrown as is, anything else as a domain error. */
export async function send<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isConditionFailure(error)) throw error;
    throw toDomainError(error, `DynamoDB ${operation}`);
  }
}

/** Runs one conditional write: true when it applied, false when its condition failed; anything else is thrown. */
export async function applied(operation: string, run: () => Promise<unknown>): Promise<boolean> {
  return (await appliedOr(operation, run)).applied;
}

/**
 * Runs one conditional write that asked for ITEM_ON_CONDITION_FAILURE: `applied`, or the item its condition failed
 * on (undefined: none, or DynamoDB gave none); anything else is thrown.
 */
export async function appliedOr(
  operation: string,
  run: () => Promise<unknown>,
): Promise<{ readonly applied: true } | { readonly applied: false; readonly current: Record<string, unknown> | undefined }> {
  try {
    await send(operation, run);
    return { applied: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { applied: false, current: itemOfConditionFailure(error) };
  }
}

/** A short random pause so racing writers do not collide again in lockstep. */
export function jitter(attempt: number): Promise<void> {
  const ms = Math.floor(Math.random() * 10 * (attempt + 1));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** When an item written now expires (history, outbox): `ttlDays` from the clock, in epoch seconds. */
export function expiresAt(now: Date, ttlDays: number): number {
  return Math.floor(now.getTime() / 1000) + ttlDays * SECONDS_PER_DAY;
}

/** Consistent reads of many items by key, 100 per request, retrying what DynamoDB leaves unprocessed. */
export async function batchGet(table: LedgerTable, keys: readonly ItemKey[]): Promise<Record<string, unknown>[]> {
  const { documents, tableName } = table;
  const items: Record<string, unknown>[] = [];
  for (const batch of chunks([...keys], BATCH_GET_LIMIT)) {
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

/** One write of a BatchWriteItem: an item put whole, or a key deleted. */
export type ItemWrite = { readonly put: Record<string, unknown> } | { readonly delete: ItemKey };

/**
 * Many unconditional puts and deletes, 25 per request, retrying what DynamoDB leaves unprocessed. Each item is
 * written on its own (no transaction): for items whose order against a conditional write does not matter, or that
 * are written before it.
 */
export async function batchWrite(table: LedgerTable, writes: readonly ItemWrite[]): Promise<void> {
  const { documents, tableName } = table;
  for (const batch of chunks([...writes], BATCH_WRITE_LIMIT)) {
    let pending: Array<Record<string, unknown>> | undefined = batch.map((write) =>
      'put' in write ? { PutRequest: { Item: write.put } } : { DeleteRequest: { Key: write.delete } },
    );
    for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
      if (attempt >= MAX_RACE_ATTEMPTS) throw new RetryableError('ledger: BatchWriteItem kept returning unprocessed items');
      const request: Array<Record<string, unknown>> = pending;
      const answer = await send('BatchWriteItem', () => documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: request } })));
      pending = answer.UnprocessedItems?.[tableName] as Array<Record<string, unknown>> | undefined;
      if (pending && pending.length > 0) await jitter(attempt);
    }
  }
}
