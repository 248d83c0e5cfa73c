/**
 * Every key of the ledger table, in one place (item shapes pinned in docs/ARCHITECTURE.md): `pk` and `sk` strings,
 * and the `gsi1` index that finds an instance's ENI items after the instance is gone.
 */
export type ItemKey = { readonly pk: string; readonly sk: string };

export const ENI_PREFIX = 'eni#';
const TARGET_PREFIX = 'target#';

/** One item per source ENI: its session slots. */
export const eniKey = (eniId: string): ItemKey => ({ pk: `${ENI_PREFIX}${eniId}`, sk: 'slots' });

/** The index that finds an instance's ENI items. */
export const INSTANCE_INDEX = 'gsi1';
export const instanceIndexPk = (instanceId: string): string => `instance#${instanceId}`;
export const instanceIndexKey = (instanceId: string, eniId: string) => ({
  gsi1pk: instanceIndexPk(instanceId),
  gsi1sk: `${ENI_PREFIX}${eniId}`,
});

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

/** The sweep's cursor: the last instance id it converged. */
export const CURSOR_KEY: ItemKey = { pk: 'sweep#cursor', sk: 'cursor' };
