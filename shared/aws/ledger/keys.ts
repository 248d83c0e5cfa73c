/**
 * Every key of the ledger table, in one place (item shapes pinned in docs/ARCHITECTURE.md): `pk` and `sk` strings,
 * the `gsi1` index that finds an instance's ENI items after the instance is gone, and the sparse `gsi2` index that
 * holds every ENI item and nothing else (what the sweep tracks).
 */
import { fnv1a } from '../../domain/stable-hash';

export type ItemKey = { readonly pk: string; readonly sk: string };

/**
 * The (account, Region) an item belongs to, as a prefix of its partition key. The hub's home scope (its own account
 * and Region, and every single-account deployment) keeps the prefix '' and so today's keys: no migration. Another
 * scope's ENI, instance-index, history, decisions and cursor items start with `<account>#<region>#`, so one ledger
 * holds the organization without two accounts' ENI or instance ids ever meeting. Target and outbox items are not
 * scoped: a shared target's load counts sources from every account, and outcome events carry their scope.
 */
export const HOME_KEY_SCOPE = '';
export const keyScopeOf = (accountId: string, region: string): string => `${accountId}#${region}#`;

const KEY_SCOPE_PREFIX = /^\d{12}#[a-z]{2}(?:-[a-z]+)+-\d{1,2}#/;
/** A partition key without its scope prefix: `444455556666#eu-west-1#eni#eni-1` -> `eni#eni-1`; home keys unchanged. */
export const unscopedPk = (pk: string): string => pk.replace(KEY_SCOPE_PREFIX, '');

export const ENI_PREFIX = 'eni#';
/** The sort key of every ENI item, and of no other item. */
export const ENI_SORT_KEY = 'slots';
const TARGET_PREFIX = 'target#';

/** One item per source ENI: its session slots. */
export const eniKey = (eniId: string, keyScope = HOME_KEY_SCOPE): ItemKey => ({ pk: `${keyScope}${ENI_PREFIX}${eniId}`, sk: ENI_SORT_KEY });

/** The index that finds an instance's ENI items. */
export const INSTANCE_INDEX = 'gsi1';
export const instanceIndexPk = (instanceId: string, keyScope = HOME_KEY_SCOPE): string => `${keyScope}instance#${instanceId}`;
export const instanceIndexKey = (instanceId: string, eniId: string, keyScope = HOME_KEY_SCOPE) => ({
  gsi1pk: instanceIndexPk(instanceId, keyScope),
  gsi1sk: `${ENI_PREFIX}${eniId}`,
});

/**
 * The sparse index of tracked ENI items: only ENI items carry `gsi2pk`, so a Query of its partitions reads every ENI
 * item and no history. Each scope has its own partitions (the key scope is their prefix), so a scope's sweep reads
 * only its own ENIs, spread over TRACKED_SHARDS partitions by a hash of the ENI id so that a large fleet is not one
 * hot partition.
 */
export const TRACKED_INDEX = 'gsi2';
export const TRACKED_SHARDS = 8;
export const trackedIndexPks = (keyScope = HOME_KEY_SCOPE): string[] =>
  Array.from({ length: TRACKED_SHARDS }, (_, shard) => `${keyScope}tracked#${shard}`);
export const trackedIndexKey = (eniId: string, keyScope = HOME_KEY_SCOPE) => ({
  gsi2pk: `${keyScope}tracked#${fnv1a(eniId) % TRACKED_SHARDS}`,
  gsi2sk: `${ENI_PREFIX}${eniId}`,
});
/** The key scope of an ENI item, read off its partition key (`<scope>eni#<id>`). */
export const keyScopeOfEniPk = (pk: string): string => pk.slice(0, pk.lastIndexOf(ENI_PREFIX));

/** One item per traffic mirror target: the ENIs it serves as sources. */
export const targetKey = (targetId: string): ItemKey => ({ pk: `${TARGET_PREFIX}${targetId}`, sk: 'load' });
export const targetIdOf = (pk: string): string => pk.slice(TARGET_PREFIX.length);

/** One item per recorded decision, newest last within the instance. */
export const historyKey = (
  instanceId: string,
  at: string,
  eniId: string | undefined,
  action: string,
  keyScope = HOME_KEY_SCOPE,
): ItemKey => ({
  pk: `${keyScope}history#${instanceId}`,
  sk: `${at}#${eniId ?? '-'}#${action}`,
});

/** One item per instance: its last decisions ("action:reason" by ENI), so a repeated skip or refusal is not recorded again. */
export const decisionsKey = (instanceId: string, keyScope = HOME_KEY_SCOPE): ItemKey => ({
  pk: `${keyScope}decisions#${instanceId}`,
  sk: 'last',
});

/** One partition for every outcome event not yet published, oldest first. */
export const OUTBOX_PK = 'outbox';
export const outboxKey = (event: { readonly at: string; readonly outcomeId: string }): ItemKey => ({
  pk: OUTBOX_PK,
  sk: `${event.at}#${event.outcomeId}`,
});

/** The backfill of `gsi2` on ENI items written before it existed: where its Scan stands, and whether it is done. */
export const TRACKED_INDEX_MIGRATION_KEY: ItemKey = { pk: 'migration#tracked-index', sk: 'state' };

/** The hub's share of one account's EC2 mutating budget in one Region, shared by every container (pacing.ts). */
export const pacingKey = (accountId: string, region: string): ItemKey => ({ pk: `pacing#${accountId}#${region}`, sk: 'bucket' });

/** The sweep's cursor in a scope: the last instance id it converged there. */
export const cursorKey = (keyScope = HOME_KEY_SCOPE): ItemKey => ({ pk: `${keyScope}sweep#cursor`, sk: 'cursor' });

/**
 * The targets the sweep counted last: the configured ones, and those that left the pool while the ledger still
 * counted sources on them. Not scoped, as the target items are.
 */
export const COUNTED_TARGETS_KEY: ItemKey = { pk: 'sweep#targets', sk: 'counted' };
