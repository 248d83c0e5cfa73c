/**
 * What every part of the ledger shares: the table, the clock, one way to call DynamoDB (SDK errors become domain
 * errors, a failed condition stays itself for the caller to judge), bounded retries of lost races, and batched
 * reads by key.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../converge/ports';
import { RetryableError } from '../../domain/errors';
import { chunks } from '../../util/chunks';
import { hasCode, toDomainError } from '../error-mapping';
import type { ItemKey } from './keys';

export const MAX_RACE_ATTEMPTS = 8;
const BATCH_GET_LIMIT = 100;
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

/** Runs one call (or a series of pages); a failed condition is rethrown as is, anything else as a domain error. */
export async function send<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isConditionFailure(error)) throw error;
    throw toDomainError(error, `DynamoDB ${operation}`);
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
