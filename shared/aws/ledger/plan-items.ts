/**
 * The ledger's part of planning in one read: the ENI items of the instances' interfaces, the configured targets'
 * items and the instances' last decisions, in one BatchGetItem (100 keys a request) instead of one per kind.
 */
import type { PlanItems, PlanItemsRequest } from '../../converge/ports';
import { toEniLedger } from './eni-slots';
import { decisionsOf } from './history';
import { decisionsKey, eniKey, type ItemKey, targetKey } from './keys';
import { batchGet, type LedgerTable } from './table';

const keyOf = (key: { readonly pk: unknown; readonly sk: unknown }) => `${String(key.pk)}\n${String(key.sk)}`;

export function createPlanItems(table: LedgerTable) {
  async function readPlanItems(request: PlanItemsRequest): Promise<PlanItems> {
    const eniIds = [...new Set(request.eniIds)];
    const targetIds = [...new Set(request.targetIds)];
    const instanceIds = [...new Set(request.instanceIds)];
    const kinds = new Map<string, (item: Record<string, unknown>) => void>();
    const ledgers = new Map<string, ReturnType<typeof toEniLedger>>();
    const targetLoads = new Map<string, number>(targetIds.map((id) => [id, 0]));
    const lastDecisions = new Map<string, Readonly<Record<string, string>>>();
    const expect = (key: ItemKey, take: (item: Record<string, unknown>) => void) => kinds.set(keyOf(key), take);
    const eniKeyOf = (eniId: string) => eniKey(eniId, table.keyScope);
    const decisionsKeyOf = (instanceId: string) => decisionsKey(instanceId, table.keyScope);
    for (const eniId of eniIds) expect(eniKeyOf(eniId), (item) => ledgers.set(eniId, toEniLedger(item)));
    for (const targetId of targetIds) expect(targetKey(targetId), (item) => targetLoads.set(targetId, Number(item.sourceCount ?? 0)));
    for (const instanceId of instanceIds) expect(decisionsKeyOf(instanceId), (item) => lastDecisions.set(instanceId, decisionsOf(item)));
    const keys = [...eniIds.map(eniKeyOf), ...targetIds.map(targetKey), ...instanceIds.map(decisionsKeyOf)];
    for (const item of await batchGet(table, keys)) kinds.get(keyOf(item as ItemKey))?.(item);
    return { ledgers, targetLoads, lastDecisions };
  }

  return { readPlanItems };
}
