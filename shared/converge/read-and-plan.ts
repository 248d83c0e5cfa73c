/**
 * The read half of converge: batched reads of EC2 and the ledger for many instances at once, correlated into one
 * PlanInput per instance (shared/domain/correlation.ts) and planned. Reads only: the CLI's dry run is exactly this.
 */
import { type CorrelatedInstance, correlate, isRecentSlot } from '../domain/correlation';
import type { EniLedger } from '../domain/eni-slots';
import { planInstance } from '../domain/plan';
import type { Decision, InstanceFacts } from '../domain/types';
import { mapWithConcurrency } from '../util/concurrency';
import type { ConvergeDeps } from './ports';

export type { StaleReason, StaleSlot, UnrecordedSession } from '../domain/correlation';
export { SLOT_GRACE_MS } from '../domain/correlation';

const LEDGER_READ_CONCURRENCY = 8;

export interface InstancePlan extends CorrelatedInstance {
  readonly decisions: readonly Decision[];
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

/**
 * The ENIs of terminated instances that still exist, among those whose ledger holds a recent managed slot: only
 * then is Describe asked (a terminate right after an attach), so an ordinary terminate costs no extra call.
 */
async function findSurvivingEnis(
  ids: readonly string[],
  instances: ReadonlyMap<string, InstanceFacts>,
  remembered: ReadonlyMap<string, readonly EniLedger[]>,
  now: Date,
  deps: ConvergeDeps,
): Promise<Set<string>> {
  const candidates = ids
    .filter((id) => instances.get(id)?.state === 'terminated')
    .flatMap((id) => remembered.get(id) ?? [])
    .filter((item) => item.slots.some((slot) => slot.owner === 'managed' && isRecentSlot(slot, now)))
    .map((item) => item.eniId);
  if (candidates.length === 0) return new Set();
  return new Set((await deps.ec2.describeInterfaceAttachments(unique(candidates))).keys());
}

export async function readAndPlan(instanceIds: readonly string[], deps: ConvergeDeps): Promise<InstancePlan[]> {
  const { ec2, ledger, config, clock } = deps;
  const ids = unique(instanceIds);
  if (ids.length === 0) return [];

  const targets = await ec2.describeTargets(unique([...config.poolTargetIds, ...config.allowedOverrideTargetIds]));
  const instances = await ec2.describeInstances(ids);
  const types = await ec2.describeInstanceTypes(unique([...instances.values()].map((instance) => instance.instanceType)));

  // ENIs the ledger remembers for each instance: how sessions on detached ENIs, or of a gone instance, are found.
  const remembered = new Map(
    await mapWithConcurrency(ids, LEDGER_READ_CONCURRENCY, async (id) => [id, await ledger.readInstanceEniLedgers(id)] as const),
  );
  const currentEnis = unique([...instances.values()].flatMap((instance) => instance.networkInterfaces.map((eni) => eni.eniId)));
  const ledgers = await ledger.readEniLedgers(currentEnis);
  for (const list of remembered.values()) for (const item of list) if (!ledgers.has(item.eniId)) ledgers.set(item.eniId, item);

  const sessions = await ec2.describeSessionsOnInterfaces(unique([...currentEnis, ...ledgers.keys()]));
  const targetLoads = await ledger.readTargetLoads(targets.map((target) => target.targetId));
  const now = clock.now();
  const survivingEnis = await findSurvivingEnis(ids, instances, remembered, now, deps);

  const correlated = correlate({
    instanceIds: ids,
    instances,
    types,
    targets,
    remembered,
    ledgers,
    sessions,
    targetLoads,
    now,
    survivingEnis,
  });
  return correlated.map((instance) => ({ ...instance, decisions: planInstance(instance.input, config) }));
}
