/**
 * The read half of converge: batched reads of EC2 and the ledger for many instances at once, correlated into one
 * PlanInput per instance (shared/domain/correlation.ts) and planned. Reads only: the CLI's dry run is exactly this.
 */

import { type Config, configuredTargetIds } from '../config/config';
import { type CorrelatedInstance, correlate, isRecentSlot } from '../domain/correlation';
import { type EniLedger, isLiveHold } from '../domain/eni-slots';
import { planInstance, reasonForNoSessions } from '../domain/plan';
import type { Decision, InstanceFacts, PlanInput, Reason } from '../domain/types';
import { mapWithConcurrency } from '../util/concurrency';
import type { ConvergeDeps } from './ports';

export type { StaleReason, StaleSlot, UnrecordedSession } from '../domain/correlation';
export { SLOT_GRACE_MS } from '../domain/correlation';

const LEDGER_READ_CONCURRENCY = 8;

export interface InstancePlan extends CorrelatedInstance {
  readonly decisions: readonly Decision[];
  /** Why the instance must have no managed session at all (reasonForNoSessions); absent when it may have some. */
  readonly mirrorsNothing?: Reason;
  /** The instance's last decisions as planning read them ({}: none). Absent: applyPlans reads them. */
  readonly lastDecisions?: Readonly<Record<string, string>>;
  /** The ENI items planning read, by ENI id (null: no item): reservations are written against them unread. */
  readonly eniLedgers?: ReadonlyMap<string, EniLedger | null>;
}

/**
 * 'always': every instance's remembered ENI items are looked up in the instance index (the sweep, which repairs
 * what events missed). 'when-needed': only where they can differ from the ENIs EC2 shows (below).
 */
export type RememberedEnis = 'always' | 'when-needed';

export interface ReadOptions {
  readonly rememberedEnis?: RememberedEnis;
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

/**
 * Whether the ledger may hold ENI items for this instance beyond the ENIs EC2 shows on it (an ENI detached from
 * it, or every ENI of an instance gone), which only the instance index finds. Its last decisions name the ENIs its
 * last run decided on: when they are all still its own, nothing else can be remembered. An instance with no last
 * decisions and no ENI item is new to the ledger (a launch): nothing to find either; nor is one whose ENI items
 * all carry a live hold (another invocation converging its launch right now: that run looked, and records them).
 */
function mayRememberMore(
  instance: InstanceFacts | undefined,
  lastDecisions: Readonly<Record<string, string>> | undefined,
  ledgers: ReadonlyMap<string, EniLedger>,
  now: Date,
): boolean {
  if (instance === undefined || instance.state === 'terminated' || instance.state === 'shutting-down') return true;
  const own = new Set(instance.networkInterfaces.map((eni) => eni.eniId));
  if (lastDecisions === undefined) {
    const items = [...own].flatMap((eniId) => ledgers.get(eniId) ?? []);
    return items.length > 0 && !items.every((item) => item.slots.some((slot) => isLiveHold(slot, now)));
  }
  return Object.keys(lastDecisions).some((eniId) => eniId !== '-' && !own.has(eniId));
}

/**
 * Plans instance after instance with the batch's earlier choices counted in the loads, so that a batch does not
 * send every ENI to the same target and pay a failed reservation for each one past its limit. Those counts only
 * steer the choice: an instance is refused for a full pool only when the loads the ledger holds say so.
 */
function planCountingTheBatch(input: PlanInput, batchLoads: Map<string, number>, config: Config): readonly Decision[] {
  const steered = planInstance({ ...input, targetLoads: batchLoads }, config);
  const poolFull = steered.some((decision) => decision.action === 'refuse' && decision.reason === 'target-pool-full');
  const decisions = poolFull ? planInstance(input, config) : steered;
  for (const decision of decisions) {
    const chosen = decision.action === 'attach' ? decision.targetCandidates[0] : undefined;
    if (chosen !== undefined) batchLoads.set(chosen, (batchLoads.get(chosen) ?? 0) + 1);
  }
  return decisions;
}

export async function readAndPlan(instanceIds: readonly string[], deps: ConvergeDeps, options: ReadOptions = {}): Promise<InstancePlan[]> {
  const { ec2, ledger, config, clock } = deps;
  const ids = unique(instanceIds);
  if (ids.length === 0) return [];

  const targets = await ec2.describeTargets(configuredTargetIds(config));
  const instances = await ec2.describeInstances(ids);
  const types = await ec2.describeInstanceTypes(unique([...instances.values()].map((instance) => instance.instanceType)));

  // One read of the ledger for the batch: its current ENIs' items, the targets' loads, the last decisions.
  const currentEnis = unique([...instances.values()].flatMap((instance) => instance.networkInterfaces.map((eni) => eni.eniId)));
  const { ledgers, targetLoads, lastDecisions } = await ledger.readPlanItems({
    eniIds: currentEnis,
    targetIds: targets.map((target) => target.targetId),
    instanceIds: ids,
  });
  const planned = new Map<string, EniLedger | null>(currentEnis.map((eniId) => [eniId, ledgers.get(eniId) ?? null]));

  // ENIs the ledger remembers for each instance: how sessions on detached ENIs, or of a gone instance, are found.
  const planningTime = clock.now();
  const lookUp = ids.filter(
    (id) => options.rememberedEnis === 'always' || mayRememberMore(instances.get(id), lastDecisions.get(id), ledgers, planningTime),
  );
  const remembered = new Map<string, readonly EniLedger[]>(
    await mapWithConcurrency(lookUp, LEDGER_READ_CONCURRENCY, async (id) => [id, await ledger.readInstanceEniLedgers(id)] as const),
  );
  for (const id of ids) {
    if (remembered.has(id)) continue;
    // Not looked up: what it remembers is its current ENIs' items.
    const own = instances.get(id)?.networkInterfaces ?? [];
    remembered.set(
      id,
      own.flatMap((eni) => {
        const item = ledgers.get(eni.eniId);
        return item?.instanceId === id ? [item] : [];
      }),
    );
  }
  for (const list of remembered.values()) for (const item of list) if (!ledgers.has(item.eniId)) ledgers.set(item.eniId, item);

  const sessions = await ec2.describeSessionsOnInterfaces(unique([...currentEnis, ...ledgers.keys()]));
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
  const batchLoads = new Map(correlated[0]?.input.targetLoads ?? targetLoads);
  return correlated.map((instance) => {
    const mirrorsNothing = reasonForNoSessions(instance.input.instance, config, instance.input.now);
    return {
      ...instance,
      decisions: planCountingTheBatch(instance.input, batchLoads, config),
      ...(mirrorsNothing !== undefined ? { mirrorsNothing } : {}),
      lastDecisions: lastDecisions.get(instance.instanceId) ?? {},
      eniLedgers: planned,
    };
  });
}
