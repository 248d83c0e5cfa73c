/**
 * The correlation step of read-and-plan: what EC2 shows (instances, sessions, targets) set against what the ledger
 * holds (ENI slots, target loads), per instance. Pure: finds the slots EC2 no longer backs, the managed sessions the
 * ledger has not recorded, the hand-made sessions the ledger has not learned or forgotten, and builds each
 * instance's PlanInput, with target loads as they will be once the stale slots are released.
 */
import { type EniLedger, isLiveHold, type Slot } from './eni-slots';
import type { InstanceFacts, InstanceTypeFacts, PlanInput, SessionFacts, TargetFacts } from './types';

/** How long an active or reserved slot may be invisible on EC2 before we call it gone (EC2 is eventually consistent). */
export const SLOT_GRACE_MS = 2 * 60_000;

/** A target plus its own ENI (network-interface targets): that ENI can never be a mirror source. */
export interface DescribedTarget extends TargetFacts {
  readonly networkInterfaceId?: string;
}

/** Why a ledger slot no longer matches EC2: its instance is gone, its ENI left the instance, or the session vanished. */
export type StaleReason = 'instance-gone' | 'interface-detached' | 'session-gone';

/** A ledger slot that no longer matches anything on EC2 and will be released before the plan is applied. */
export interface StaleSlot {
  readonly eniId: string;
  readonly slot: Slot;
  readonly reason: StaleReason;
}

/** A managed session EC2 shows whose ledger slot is missing or still 'reserved' (a crash between steps 3 and 4). */
export interface UnrecordedSession {
  readonly session: SessionFacts;
  readonly reservationId?: string;
  /** The reservation is still held: its holder may be alive and about to record the session itself. */
  readonly held?: boolean;
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function groupByEni(sessions: readonly SessionFacts[]): Map<string, SessionFacts[]> {
  const byEni = new Map<string, SessionFacts[]>();
  for (const session of sessions) byEni.set(session.eniId, [...(byEni.get(session.eniId) ?? []), session]);
  return byEni;
}

function withTargetInterfacesMarked(instance: InstanceFacts | undefined, targetEnis: ReadonlySet<string>): InstanceFacts | undefined {
  if (instance === undefined) return undefined;
  return {
    ...instance,
    networkInterfaces: instance.networkInterfaces.map((eni) => ({
      ...eni,
      isMirrorTarget: eni.isMirrorTarget || targetEnis.has(eni.eniId),
    })),
  };
}

/**
 * Within SLOT_GRACE_MS of its last change, a slot EC2 does not back may be one Describe does not list yet, or, when
 * it is marked releasing, one whose run is between its delete and its own announcement (stopping and stopped
 * converge at once): taking that over would announce the same detach twice, under two reasons.
 */
export function isRecentSlot(slot: Slot, now: Date): boolean {
  return now.getTime() - Date.parse(slot.updatedAt) <= SLOT_GRACE_MS;
}

/**
 * Managed slots the ledger holds that EC2 no longer backs (see SLOT_GRACE_MS for why recent ones are trusted).
 * `survivingEnis`: ENIs of terminated instances that EC2 still shows (kept on termination): a session on one may be
 * too new for Describe, so a recent slot there gets the grace too; on an ENI deleted with its instance it cannot.
 */
function findStaleSlots(
  ledger: EniLedger,
  observed: readonly SessionFacts[],
  instance: InstanceFacts | undefined,
  now: Date,
  survivingEnis: ReadonlySet<string>,
): StaleSlot[] {
  const terminated = instance?.state === 'terminated';
  const attached = instance !== undefined && !terminated && instance.networkInterfaces.some((eni) => eni.eniId === ledger.eniId);
  const observedIds = new Set(observed.map((session) => session.sessionId));
  const observedReservations = new Set(observed.flatMap((session) => (session.reservationId ? [session.reservationId] : [])));
  return ledger.slots.flatMap((slot): StaleSlot[] => {
    if (slot.owner !== 'managed') return [];
    const backed =
      (slot.sessionId !== undefined && observedIds.has(slot.sessionId)) ||
      (slot.reservationId !== undefined && observedReservations.has(slot.reservationId));
    if (backed) return [];
    const expired = !isRecentSlot(slot, now);
    if (terminated) return expired || !survivingEnis.has(ledger.eniId) ? [{ eniId: ledger.eniId, slot, reason: 'instance-gone' }] : [];
    // An instance Describe does not show may be one launched a moment ago (EC2 is eventually consistent), with
    // its sessions not listed yet either: its slots get the same grace as a session not listed yet.
    if (instance === undefined) return expired ? [{ eniId: ledger.eniId, slot, reason: 'instance-gone' }] : [];
    // Detached while an attach was under way (its session too new to list, as on an attached ENI): the same grace.
    if (!attached) return expired ? [{ eniId: ledger.eniId, slot, reason: 'interface-detached' }] : [];
    return expired ? [{ eniId: ledger.eniId, slot, reason: 'session-gone' }] : [];
  });
}

/** Hand-made sessions are learned so their numbers are avoided, and forgotten once EC2 no longer shows them. */
function hasForeignDrift(ledger: EniLedger | undefined, observed: readonly SessionFacts[]): boolean {
  const key = (ids: readonly (string | undefined)[]) => JSON.stringify([...ids].sort());
  const recorded = (ledger?.slots ?? []).filter((slot) => slot.owner === 'foreign').map((slot) => slot.sessionId);
  const seen = observed.filter((session) => !session.managed).map((session) => session.sessionId);
  return key(recorded) !== key(seen);
}

function findUnrecordedSessions(ledger: EniLedger | undefined, observed: readonly SessionFacts[], now: Date): UnrecordedSession[] {
  return observed
    .filter((session) => session.managed)
    .flatMap((session) => {
      const slot = ledger?.slots.find(
        (candidate) =>
          candidate.sessionId === session.sessionId ||
          (session.reservationId !== undefined && candidate.reservationId === session.reservationId),
      );
      if (slot?.state === 'active' || slot?.state === 'releasing') return [];
      const held = slot !== undefined && isLiveHold(slot, now);
      return [{ session, ...(slot?.reservationId ? { reservationId: slot.reservationId } : {}), ...(held ? { held } : {}) }];
    });
}

/** Everything read for a batch of instances, before correlation. */
export interface Observations {
  readonly instanceIds: readonly string[];
  readonly instances: ReadonlyMap<string, InstanceFacts>;
  readonly types: ReadonlyMap<string, InstanceTypeFacts>;
  readonly targets: readonly DescribedTarget[];
  /** The ENI items the ledger remembers per instance (found after an ENI left or the instance is gone). */
  readonly remembered: ReadonlyMap<string, readonly EniLedger[]>;
  /** ENI items by ENI id: the instances' current ENIs and the remembered ones. */
  readonly ledgers: ReadonlyMap<string, EniLedger>;
  /** Every session EC2 shows on any of those ENIs. */
  readonly sessions: readonly SessionFacts[];
  readonly targetLoads: ReadonlyMap<string, number>;
  readonly now: Date;
  /**
   * ENIs of terminated instances that EC2 still shows, read only for those with a recent managed slot
   * (readAndPlan); absent: none survived.
   */
  readonly survivingEnis?: ReadonlySet<string>;
}

/** One instance, correlated: its plan input and what converge repairs in the ledger before applying the plan. */
export interface CorrelatedInstance {
  readonly instanceId: string;
  readonly input: PlanInput;
  readonly staleSlots: readonly StaleSlot[];
  readonly unrecordedSessions: readonly UnrecordedSession[];
  /** ENIs whose hand-made slots in the ledger differ from the hand-made sessions EC2 shows (new, deleted, or gone with the ENI). */
  readonly foreignDriftEnis: readonly string[];
  /** Every session EC2 showed per ENI of this instance (current and stray). */
  readonly observedByEni: ReadonlyMap<string, readonly SessionFacts[]>;
  readonly targets: ReadonlyMap<string, DescribedTarget>;
}

export function correlate(observations: Observations): CorrelatedInstance[] {
  const { instances, types, targets: described, remembered, ledgers, targetLoads: loads, now } = observations;
  const targets = new Map(described.map((target) => [target.targetId, target]));
  const targetEnis = new Set(described.flatMap((target) => (target.networkInterfaceId ? [target.networkInterfaceId] : [])));
  const sessionsByEni = groupByEni(observations.sessions);
  const survivingEnis = observations.survivingEnis ?? new Set<string>();

  const correlated = unique(observations.instanceIds).map((instanceId): CorrelatedInstance => {
    const instance = withTargetInterfacesMarked(instances.get(instanceId), targetEnis);
    const ownEnis = new Set(instance?.networkInterfaces.map((eni) => eni.eniId) ?? []);
    const rememberedEnis = (remembered.get(instanceId) ?? []).map((item) => item.eniId);
    const observedByEni = new Map<string, readonly SessionFacts[]>();
    for (const eniId of unique([...ownEnis, ...rememberedEnis])) observedByEni.set(eniId, sessionsByEni.get(eniId) ?? []);

    const staleSlots: StaleSlot[] = [];
    const unrecordedSessions: UnrecordedSession[] = [];
    const foreignDriftEnis: string[] = [];
    const ledgerNumbersByEni = new Map<string, number[]>();
    for (const [eniId, observed] of observedByEni) {
      const item = ledgers.get(eniId);
      const belongsHere = ownEnis.has(eniId) || item?.instanceId === instanceId;
      if (!belongsHere) continue;
      const stale = item ? findStaleSlots(item, observed, instance, now, survivingEnis) : [];
      staleSlots.push(...stale);
      unrecordedSessions.push(
        ...findUnrecordedSessions(
          item,
          observed.filter((s) => s.instanceId === instanceId || ownEnis.has(eniId)),
          now,
        ),
      );
      if (hasForeignDrift(item, observed)) foreignDriftEnis.push(eniId);
      if (item && ownEnis.has(eniId)) {
        ledgerNumbersByEni.set(
          eniId,
          item.slots.filter((slot) => !stale.some((s) => s.slot === slot)).map((slot) => slot.sessionNumber),
        );
      }
    }

    const strayManagedSessions = [...observedByEni.entries()]
      .filter(([eniId]) => !ownEnis.has(eniId))
      .flatMap(([, sessions]) => sessions.filter((session) => session.managed && session.instanceId === instanceId));

    const instanceType = instance ? types.get(instance.instanceType) : undefined;
    const input: PlanInput = {
      instanceId,
      instance,
      instanceType,
      sessionsByEni: new Map([...ownEnis].map((eniId) => [eniId, sessionsByEni.get(eniId) ?? []])),
      strayManagedSessions,
      ledgerNumbersByEni,
      targets: described,
      targetLoads: loads,
      // End-time tags are judged against the time of the reads.
      now,
    };
    return { instanceId, input, staleSlots, unrecordedSessions, foreignDriftEnis, observedByEni, targets };
  });

  // Loads as they will be once stale reservations are released, so planning ranks targets on the truth.
  const adjustedLoads = new Map(loads);
  for (const plan of correlated) {
    for (const { slot } of plan.staleSlots) {
      if (slot.targetId !== undefined) adjustedLoads.set(slot.targetId, Math.max(0, (adjustedLoads.get(slot.targetId) ?? 0) - 1));
    }
  }

  return correlated.map((plan) => ({ ...plan, input: { ...plan.input, targetLoads: adjustedLoads } }));
}
