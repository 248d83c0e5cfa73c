/**
 * Every key of the ledger table, in one place (item shapes pinned in docs/ARCHITECTURE.md): `pk` and `sk` strings,
 * the `gsi1` index that finds an instance's ENI items after the instance is gone, and the sparse `gsi2` index that
 * holds every ENI item and nothing else (what the sweep tracks).
 */
export type ItemKey = { readonly pk: string; readonly sk: string };

export const ENI_PREFIX = 'eni#';
/** The sort key of every ENI item, and of no other item. */
export const ENI_SORT_KEY = 'slots';
const TARGET_PREFIX = 'target#';

/** One item per source ENI: its session slots. */
export const eniKey = (eniId: string): ItemKey => ({ pk: `${ENI_PREFIX}${eniId}`, sk: ENI_SORT_KEY });

/** The index that finds an instance's ENI items. */
export const INSTANCE_INDEX = 'gsi1';
export const instanceIndexPk = (instanceId: string): string => `instance#${instanceId}`;
export const instanceIndexKey = (instanceId: string, eniId: string) => ({
  gsi1pk: instanceIndexPk(instanceId),
  gsi1sk: `${ENI_PREFIX}${eniId}`,
});

/**
 * The sparse index of tracked ENI items: only ENI items carry `gsi2pk`, so a Query of its partitions reads every ENI
 * item and no history. Spread over TRACKED_SHARDS partitions by a hash of the ENI id, so a large fleet is not one
 * hot partition.
 */
export const TRACKED_INDEX = 'gsi2';
export const TRACKED_SHARDS = 8;
export const trackedIndexPks = (): string[] => Array.from({ length: TRACKED_SHARDS }, (_, shard) => `tracked#${shard}`);
export const trackedIndexKey = (eniId: string) => ({
  gsi2pk: `tracked#${fnv1a(eniId) % TRACKED_SHARDS}`,
  gsi2sk: `${ENI_PREFIX}${eniId}`,
});

/** 32-bit FNV-1a: a stable, evenly spread hash of a short string (no crypto needed, only a shard number). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** One item per traffic mirror target: the ENIs it serves as sources. */
export const targetKey = (targetId: string): ItemKey => ({ pk: `${TARGET_PREFIX}${targetId}`, sk: 'load' });
export const targetIdOf = (pk: string): string => pk.slice(TARGET_PREFIX.length);

/** One item per recorded decision, newest last within the instance. */
export const historyKey = (instanceId: string, at: string, eniId: string | undefined, action: string): ItemKey => ({
  pk: `history#${instanceId}`,
  sk: `${at}#${eniId ?? '-'}#${action}`,
});

/** One item per instance: its last decisions ("action:reason" by ENI), so a repeated skip or refusal is not recorded again. */
export const decisionsKey = (instanceId: string): ItemKey => ({ pk: `decisions#${instanceId}`, sk: 'last' });

/** One partition for every outcome event not yet published, oldest first. */
export const OUTBOX_PK = 'outbox';
export const outboxKey = (event: { readonly at: string; readonly outcomeId: string }): ItemKey => ({
  pk: OUTBOX_PK,
  sk: `${event.at}#${event.outcomeId}`,
});

/** The backfill of `gsi2` on ENI items written before it existed: where its Scan stands, and whether it is done. */
export const TRACKED_INDEX_MIGRATION_KEY: ItemKey = { pk: 'migration#tracked-index', sk: 'state' };

/** The sweep's cursor: the last instance id it converged. */
export const CURSOR_KEY: ItemKey = { pk: 'sweep#cursor', sk: 'cursor' };
