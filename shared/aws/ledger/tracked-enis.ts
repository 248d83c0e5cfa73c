/**
 * The ENI items the sweep tracks, read through the sparse `gsi2` index (only ENI items carry its key: keys.ts), so
 * a run reads one index entry per tracked ENI whatever the history in the table; and the backfill that puts ENI
 * items written before the index existed into it.
 *
 * The backfill needs no operator: while the `migration#tracked-index` item is not done, each sweep run scans a
 * bounded number of pages of the table (saving the Scan's LastEvaluatedKey after each page) and adds the index key
 * to every ENI item that lacks it; until then the ENI items are read with a Scan, as before the index, so nothing
 * is missed meanwhile. A pass that found nothing to index means no older version ever wrote (a new table): done at
 * once. Otherwise the pass that completes the backfill must begin WRITER_GRACE_MS after the backfill began, when no
 * invocation of the previous version (which writes ENI items without the key) can still be running.
 */
import { GetCommand, PutCommand, paginateQuery, paginateScan, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Slot } from '../../converge/ports';
import type { TrackedIndexBackfill } from '../../converge/sweep-ports';
import { mapWithConcurrency } from '../../util/concurrency';
import {
  ENI_SORT_KEY,
  HOME_KEY_SCOPE,
  keyScopeOfEniPk,
  TRACKED_INDEX,
  TRACKED_INDEX_MIGRATION_KEY,
  trackedIndexKey,
  trackedIndexPks,
} from './keys';
import { applied, type LedgerTable, send } from './table';

/** What the sweep reads of an ENI item: what the index projects. */
export interface TrackedEni {
  readonly eniId: string;
  readonly instanceId?: string;
  readonly slots: readonly Slot[];
}

/** Longer than the event functions' (60 s) and window-end's (90 s) timeouts; the sweep never overlaps itself. */
export const WRITER_GRACE_MS = 180_000;
const TRACKED_ATTRIBUTES = 'eniId, instanceId, slots';
const UPDATE_CONCURRENCY = 8;

export interface BackfillOptions {
  /** Items a Scan page examines (its Limit). */
  readonly pageSize?: number;
  /** Pages one sweep run scans at most. */
  readonly pagesPerRun?: number;
}

/** The `migration#tracked-index` item. A pass is a Scan of the whole table, a few pages per run. */
interface MigrationState {
  readonly done: boolean;
  readonly begunAt: string;
  /** Passes completed. */
  readonly passes: number;
  /** The pass in progress: when it began, where its Scan stands, what it indexed so far. */
  readonly passBegunAt?: string;
  readonly lastEvaluatedKey?: Record<string, unknown>;
  readonly indexedInPass: number;
  /** ENI items indexed by the backfill in all. */
  readonly indexed: number;
}

function toTrackedEni(item: Record<string, unknown>): TrackedEni {
  const slots = Object.values((item.slots ?? {}) as Record<string, Slot>);
  return { eniId: String(item.eniId), ...(typeof item.instanceId === 'string' ? { instanceId: item.instanceId } : {}), slots };
}

export function createTrackedEnis(table: LedgerTable, options: BackfillOptions = {}) {
  const { documents, tableName, clock } = table;
  const pageSize = options.pageSize ?? 1_000;
  const pagesPerRun = options.pagesPerRun ?? 20;
  // Once complete the index stays complete (every writer sets its key): no need to ask again in this container.
  let indexComplete = false;

  async function readState(): Promise<MigrationState | undefined> {
    const answer = await send('GetItem', () =>
      documents.send(new GetCommand({ TableName: tableName, Key: TRACKED_INDEX_MIGRATION_KEY, ConsistentRead: true })),
    );
    const item = answer.Item;
    if (item === undefined) return undefined;
    return {
      done: item.done === true,
      begunAt: String(item.begunAt),
      passes: Number(item.passes ?? 0),
      ...(typeof item.passBegunAt === 'string' ? { passBegunAt: item.passBegunAt } : {}),
      ...(item.lastEvaluatedKey ? { lastEvaluatedKey: item.lastEvaluatedKey as Record<string, unknown> } : {}),
      indexedInPass: Number(item.indexedInPass ?? 0),
      indexed: Number(item.indexed ?? 0),
    };
  }

  async function writeState(state: MigrationState): Promise<void> {
    await send('PutItem', () =>
      documents.send(
        new PutCommand({ TableName: tableName, Item: { ...TRACKED_INDEX_MIGRATION_KEY, ...state, updatedAt: clock.now().toISOString() } }),
      ),
    );
  }

  async function isIndexComplete(): Promise<boolean> {
    if (!indexComplete) indexComplete = (await readState())?.done === true;
    return indexComplete;
  }

  async function queryIndex(keyScopes: readonly string[]): Promise<TrackedEni[]> {
    const shards = await Promise.all(
      keyScopes.flatMap(trackedIndexPks).map((partition) =>
        send('Query', async () => {
          const found: TrackedEni[] = [];
          const pages = paginateQuery(
            { client: documents },
            {
              TableName: tableName,
              IndexName: TRACKED_INDEX,
              KeyConditionExpression: 'gsi2pk = :partition',
              ProjectionExpression: TRACKED_ATTRIBUTES,
              ExpressionAttributeValues: { ':partition': partition },
            },
          );
          for await (const page of pages) found.push(...(page.Items ?? []).map(toTrackedEni));
          return found;
        }),
      ),
    );
    return shards.flat();
  }

  /** Before the index is complete: every ENI item of these scopes, wherever it is in the table. */
  async function scanTable(keyScopes: readonly string[]): Promise<TrackedEni[]> {
    const wanted = new Set(keyScopes);
    return send('Scan', async () => {
      const found: TrackedEni[] = [];
      const pages = paginateScan(
        { client: documents },
        {
          TableName: tableName,
          FilterExpression: 'sk = :eni',
          ProjectionExpression: `pk, ${TRACKED_ATTRIBUTES}`,
          ExpressionAttributeValues: { ':eni': ENI_SORT_KEY },
        },
      );
      for await (const page of pages) {
        found.push(...(page.Items ?? []).filter((item) => wanted.has(keyScopeOfEniPk(String(item.pk)))).map(toTrackedEni));
      }
      return found;
    });
  }

  /**
   * Every ENI item's id, instance and slots in these key scopes (keys.ts; default: the table's own scope): from the
   * index once it is complete, from the table until then.
   */
  async function readTrackedEnis(keyScopes: readonly string[] = [table.keyScope ?? HOME_KEY_SCOPE]): Promise<TrackedEni[]> {
    return (await isIndexComplete()) ? queryIndex(keyScopes) : scanTable(keyScopes);
  }

  /** Adds the index key to an ENI item still without it; one deleted or rewritten meanwhile is left alone. */
  async function indexItem(key: Record<string, unknown>, eniId: string): Promise<boolean> {
    const indexKey = trackedIndexKey(eniId, keyScopeOfEniPk(String(key.pk)));
    return applied('UpdateItem', () =>
      documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: key.pk, sk: key.sk },
          UpdateExpression: 'SET gsi2pk = :pk, gsi2sk = :sk',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(gsi2pk)',
          ExpressionAttributeValues: { ':pk': indexKey.gsi2pk, ':sk': indexKey.gsi2sk },
        }),
      ),
    );
  }

  /** One Scan page of the pass in progress: indexes what it finds and saves where the pass stands. */
  async function scanPage(state: MigrationState): Promise<{ state: MigrationState; indexed: number; passComplete: boolean }> {
    const page = await send('Scan', () =>
      documents.send(
        new ScanCommand({
          TableName: tableName,
          Limit: pageSize,
          FilterExpression: 'sk = :eni AND attribute_not_exists(gsi2pk)',
          ProjectionExpression: 'pk, sk, eniId',
          ExpressionAttributeValues: { ':eni': ENI_SORT_KEY },
          ...(state.lastEvaluatedKey ? { ExclusiveStartKey: state.lastEvaluatedKey } : {}),
        }),
      ),
    );
    const results = await mapWithConcurrency(page.Items ?? [], UPDATE_CONCURRENCY, (item) => indexItem(item, String(item.eniId)));
    const indexed = results.filter(Boolean).length;
    const { lastEvaluatedKey: _previous, ...rest } = state;
    const next = {
      ...rest,
      indexedInPass: state.indexedInPass + indexed,
      indexed: state.indexed + indexed,
      ...(page.LastEvaluatedKey ? { lastEvaluatedKey: page.LastEvaluatedKey } : {}),
    };
    return { state: next, indexed, passComplete: page.LastEvaluatedKey === undefined };
  }

  /** After a complete pass: done, or ready for another pass. */
  function completePass(state: MigrationState): MigrationState {
    const { passBegunAt, lastEvaluatedKey: _end, ...rest } = state;
    const lateEnough = Date.parse(passBegunAt ?? state.begunAt) - Date.parse(state.begunAt) >= WRITER_GRACE_MS;
    return { ...rest, passes: state.passes + 1, indexedInPass: 0, done: state.indexedInPass === 0 || lateEnough };
  }

  const backfill: TrackedIndexBackfill = {
    async step() {
      if (indexComplete) return { done: true, indexed: 0, pages: 0 };
      const now = () => clock.now().toISOString();
      let state = (await readState()) ?? { done: false, begunAt: now(), passes: 0, indexedInPass: 0, indexed: 0 };
      let indexed = 0;
      let pages = 0;
      while (!state.done && pages < pagesPerRun) {
        if (state.passBegunAt === undefined) {
          // The first pass begins at once; another only once the previous version's writers are gone.
          if (state.passes > 0 && clock.now().getTime() - Date.parse(state.begunAt) < WRITER_GRACE_MS) break;
          state = { ...state, passBegunAt: now() };
        }
        const page = await scanPage(state);
        pages += 1;
        indexed += page.indexed;
        state = page.passComplete ? completePass(page.state) : page.state;
        await writeState(state);
      }
      if (state.done) indexComplete = true;
      return { done: state.done, indexed, pages };
    },
  };

  return { readTrackedEnis, backfill };
}
