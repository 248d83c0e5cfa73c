/**
 * The ENI slot policy: what the ledger believes about the (at most 3) sessions on one source ENI, and which slot a
 * new attach takes. Pure: the ledger adapter (shared/aws/ledger/eni-slots.ts) reads the ENI item, applies these under the
 * item's version and writes the result.
 */
import { type Desired, matchesDesired } from './plan';
import { freeSessionNumbers, MAX_SESSIONS_PER_ENI } from './session-number';
import type { SessionFacts } from './types';

export type SlotOwner = 'managed' | 'foreign';
export type SlotState = 'reserved' | 'active' | 'releasing';

export interface Slot {
  readonly sessionNumber: number;
  readonly owner: SlotOwner;
  readonly state: SlotState;
  readonly sessionId?: string;
  readonly targetId?: string;
  readonly reservationId?: string;
  readonly instanceId?: string;
  readonly updatedAt: string;
  /**
   * A reservation's hold: until when its holder is known to be alive and working on it (set when reserved, renewed
   * while EC2 keeps the create waiting, dropped when the holder gives up). Another invocation waits on a held
   * reservation for its outcome and replays its ClientToken only once the hold has lapsed or was dropped.
   */
  readonly heldUntil?: string;
  /** What the reservation's holder is making, while it is reserved (see ReservationIntent). */
  readonly intent?: ReservationIntent;
  /** Who is deleting the session, while the slot is releasing (see ReleaseHold). */
  readonly release?: ReleaseHold;
}

/**
 * A releasing slot's hold: until when the run deleting its session is at work (its invocation's timeout at the
 * latest), and the SQS message ids that bring that run's trigger back until it records the outcome. Another run
 * that would delete the same session leaves it to such a releaser (markReleasing) instead of deleting it a second
 * time: a stop's two events (stopping, stopped), converged by two invocations, then spend one delete, not two.
 */
export interface ReleaseHold {
  readonly until: string;
  readonly redeliveredAs: readonly string[];
  /** The sessions the releaser's plan deletes, this one among them (a run that leaves one leaves them all). */
  readonly detaches?: readonly string[];
}

/**
 * The run marking a slot releasing: the messages that bring its trigger back (none for a sweep or a CLI run) and,
 * to hold the delete, until when. Without `until` it holds nothing, and drops a hold of its own.
 */
export type Releaser = Pick<ReleaseHold, 'redeliveredAs'> & Partial<Pick<ReleaseHold, 'until' | 'detaches'>>;

/** What marking a session's slot releasing found: go on and delete it, or leave it to the run already deleting it. */
export type ReleaseMark =
  /** `item`: the ENI item as the mark left it (the ledger adds it), where the slot's removal starts from. */
  /**
   * `earlier`: the slot was marked releasing already, by a run that may have deleted the session and not recorded
   * the detach: 'dead', known dead (its hold lapsed, or this run carries its message again); 'unheld', one that held
   * nothing (a direct invocation, the sweep), which may still be at work recording it.
   */
  | { readonly kind: 'marked'; readonly item?: EniLedger; readonly earlier?: 'dead' | 'unheld' }
  | { readonly kind: 'no-slot' }
  | { readonly kind: 'left-to-releaser'; readonly release: ReleaseHold };

/**
 * What a reservation's holder creates beyond the slot's target and number, and the messages that bring its trigger
 * back until its run succeeds (SQS records, returned to their queue when the run fails). Another attach that wants
 * the same session and finds the hold live leaves the ENI to such a holder at once (leftToHolder) instead of waiting
 * on its outcome: a launch's two events, converged by two invocations, then spend one converge on the ENI, not two.
 */
export interface ReservationIntent {
  readonly filterId: string;
  readonly virtualNetworkId?: number;
  readonly packetLength?: number;
  /**
   * The SQS message ids that bring the holder's trigger back until its run succeeds (or they are dead-lettered);
   * empty when nothing brings it back (a sweep, a CLI run).
   */
  readonly redeliveredAs: readonly string[];
  /** The instance's ENIs the holder's plan attaches with these settings, this one among them. */
  readonly attaches?: readonly string[];
}

/** What the ledger holds for one ENI: its slots, the instance it was last seen on, the item's version. */
export interface EniLedger {
  readonly eniId: string;
  readonly instanceId?: string;
  readonly slots: readonly Slot[];
  readonly version: number;
}

export type SlotReservation =
  | { readonly kind: 'reserved'; readonly reservationId: string; readonly sessionNumber: number; readonly targetId: string }
  /** An earlier or concurrent attach holds a reservation for this ENI: reuse it (same ClientToken, same session). */
  | {
      readonly kind: 'existing';
      readonly reservationId: string;
      readonly sessionNumber: number;
      readonly targetId: string;
      readonly sessionId?: string;
      /** While it waits for its session: its hold and its holder's intent, as the slot has them. */
      readonly heldUntil?: string;
      readonly intent?: ReservationIntent;
    }
  | { readonly kind: 'full' };

/** What an attach asks of one ENI's slots. */
export interface SlotWish {
  readonly instanceId: string;
  readonly targetId: string;
  /** Numbers free at plan time, best first; re-checked against the slots. */
  readonly numberCandidates: readonly number[];
  readonly preferredSessionNumber: number;
  /** The id the new slot gets (also the session's ClientToken). */
  readonly reservationId: string;
  /** The new reservation's hold (Slot.heldUntil), ISO time. */
  readonly heldUntil: string;
  /** What its holder makes (Slot.intent). */
  readonly intent?: ReservationIntent;
}

/**
 * Makes the slots agree with what EC2 shows: hand-made sessions become foreign slots (their numbers count against the
 * ENI's 3), foreign slots whose session is gone are dropped, and managed sessions the ledger lost are learned back.
 */
export function syncObservedSessions(slots: readonly Slot[], observed: readonly SessionFacts[], at: string): Slot[] {
  const observedIds = new Set(observed.map((session) => session.sessionId));
  const next = slots.filter((slot) => slot.owner !== 'foreign' || (slot.sessionId !== undefined && observedIds.has(slot.sessionId)));
  for (const session of observed) {
    const known = next.some(
      (slot) =>
        slot.sessionId === session.sessionId || (session.reservationId !== undefined && slot.reservationId === session.reservationId),
    );
    if (known || next.some((slot) => slot.sessionNumber === session.sessionNumber)) continue;
    next.push({
      sessionNumber: session.sessionNumber,
      owner: session.managed ? 'managed' : 'foreign',
      state: 'active',
      sessionId: session.sessionId,
      targetId: session.targetId,
      ...(session.reservationId !== undefined ? { reservationId: session.reservationId } : {}),
      ...(session.instanceId !== undefined ? { instanceId: session.instanceId } : {}),
      updatedAt: at,
    });
  }
  return next;
}

export type ExistingReservation = Extract<SlotReservation, { kind: 'existing' }>;

/**
 * The managed reservation an attach on this ENI must reuse (same ClientToken, so never a second session), if the
 * slots hold one: reserved (an attach under way, or one that died) or active.
 */
export function existingReservation(slots: readonly Slot[]): ExistingReservation | undefined {
  const held = slots.find((slot) => slot.owner === 'managed' && slot.state !== 'releasing' && slot.reservationId !== undefined);
  if (held?.reservationId === undefined || held.targetId === undefined) return undefined;
  return {
    kind: 'existing',
    reservationId: held.reservationId,
    sessionNumber: held.sessionNumber,
    targetId: held.targetId,
    ...(held.state === 'active' && held.sessionId !== undefined ? { sessionId: held.sessionId } : {}),
    ...(held.state === 'reserved' && held.heldUntil !== undefined ? { heldUntil: held.heldUntil } : {}),
    ...(held.state === 'reserved' && held.intent !== undefined ? { intent: held.intent } : {}),
  };
}

/**
 * Whether an attach that wants `desired` on the ENI can leave it to the reservation's holder without waiting: the
 * hold is live, the holder makes a session that matches (target and settings), and its trigger comes back to it
 * until its run succeeds, so that its outcome is recorded even if this run of it fails. What the waiter would
 * have done after waiting (keep that session) is then what the holder's run does. `ownMessages`: the messages that
 * bring the asking run's own trigger back. A run that carries the holder's trigger (its message, delivered again
 * after the holder died with the hold still live) never leaves the ENI to it: nothing would bring it back again.
 */
export function leftToHolder(reservation: ExistingReservation, desired: Desired, now: Date, ownMessages: readonly string[]): boolean {
  const { intent, heldUntil } = reservation;
  if (reservation.sessionId !== undefined || intent === undefined || heldUntil === undefined) return false;
  if (!holderComesBack(intent, ownMessages)) return false;
  return Date.parse(heldUntil) > now.getTime() && matchesDesired({ targetId: reservation.targetId, ...intent }, desired);
}

/** Whether the holder's trigger comes back by messages of its own, not by those of the asking run (leftToHolder). */
export function holderComesBack(hold: { readonly redeliveredAs: readonly string[] } | undefined, ownMessages: readonly string[]): boolean {
  const messages = hold?.redeliveredAs ?? [];
  return messages.length > 0 && !messages.some((message) => ownMessages.includes(message));
}

/**
 * The slots with the session's managed slot marked releasing by `releaser` (holding the delete when it says until
 * when and its trigger comes back), unless another run is deleting it already: that run's hold is live and its
 * trigger comes back to it by messages that are not this run's. Then nothing is written and the session is that
 * run's to delete ('left-to-releaser'): if it fails, SQS delivers its trigger again. A run carrying the releaser's
 * own message (delivered again after the releaser died) takes the slot over instead.
 */
export function markReleasing(
  slots: readonly Slot[],
  sessionId: string,
  releaser: Releaser,
  now: Date,
): { slots?: Slot[]; result: ReleaseMark } {
  const slot = slots.find((candidate) => candidate.sessionId === sessionId && candidate.owner === 'managed');
  if (slot === undefined) return { result: { kind: 'no-slot' } };
  const other = slot.state === 'releasing' ? slot.release : undefined;
  if (other !== undefined && isLiveRelease(other, now) && holderComesBack(other, releaser.redeliveredAs)) {
    return { result: { kind: 'left-to-releaser', release: other } };
  }
  const { until, redeliveredAs, detaches } = releaser;
  const release =
    until !== undefined && redeliveredAs.length > 0 ? { until, redeliveredAs, ...(detaches !== undefined ? { detaches } : {}) } : undefined;
  const { heldUntil: _reserved, intent: _made, release: _earlier, ...rest } = slot;
  // A slot releasing already keeps the time its release began.
  const updatedAt = slot.state === 'releasing' ? slot.updatedAt : now.toISOString();
  const marked: Slot = { ...rest, state: 'releasing', updatedAt, ...(release !== undefined ? { release } : {}) };
  // Past the check above, a hold means its run is gone: lapsed, or this run is its trigger delivered again.
  const earlier = slot.state !== 'releasing' ? undefined : other !== undefined ? 'dead' : 'unheld';
  const result: ReleaseMark = { kind: 'marked', ...(earlier !== undefined ? { earlier } : {}) };
  return { slots: slots.map((candidate) => (candidate === slot ? marked : candidate)), result };
}

/** A release hold whose run may still be at work. */
/** Which managed slot a removal means: the one of a reservation, or the one of a session. */
export interface SlotMatch {
  readonly reservationId?: string;
  readonly sessionId?: string;
}

export function matchesSlot(slot: Slot, match: SlotMatch): boolean {
  return (
    slot.owner === 'managed' &&
    ((match.reservationId !== undefined && slot.reservationId === match.reservationId) ||
      (match.sessionId !== undefined && slot.sessionId === match.sessionId))
  );
}

export function isLiveRelease(release: ReleaseHold, now: Date): boolean {
  return Date.parse(release.until) > now.getTime();
}

/** A reservation still waiting for its session whose holder is alive (its hold has not lapsed): someone is on it. */
export function isLiveHold(slot: Slot, now: Date): boolean {
  return (
    slot.owner === 'managed' && slot.state === 'reserved' && slot.heldUntil !== undefined && Date.parse(slot.heldUntil) > now.getTime()
  );
}

/**
 * The slot an attach takes, given the ENI's slots (already synced with EC2): a managed reservation already held is
 * reused (same ClientToken, so never a second session); else the first candidate number no slot uses (or the lowest
 * free one from the preferred number) becomes a new `reserved` slot; 'full' when the ENI has its 3 or no number is
 * free. Returns the slots to write with the answer.
 */
export function chooseSlot(slots: readonly Slot[], wish: SlotWish, at: string): { slots: Slot[]; result: SlotReservation } {
  const existing = existingReservation(slots);
  if (existing !== undefined) return { slots: [...slots], result: existing };
  if (slots.length >= MAX_SESSIONS_PER_ENI) return { slots: [...slots], result: { kind: 'full' } };
  const used = slots.map((slot) => slot.sessionNumber);
  const number =
    wish.numberCandidates.find((candidate) => !used.includes(candidate)) ?? freeSessionNumbers(used, wish.preferredSessionNumber, 1)[0];
  if (number === undefined) return { slots: [...slots], result: { kind: 'full' } };
  const slot: Slot = {
    sessionNumber: number,
    owner: 'managed',
    state: 'reserved',
    targetId: wish.targetId,
    reservationId: wish.reservationId,
    instanceId: wish.instanceId,
    updatedAt: at,
    heldUntil: wish.heldUntil,
    ...(wish.intent !== undefined ? { intent: wish.intent } : {}),
  };
  return {
    slots: [...slots, slot],
    result: { kind: 'reserved', reservationId: wish.reservationId, sessionNumber: number, targetId: wish.targetId },
  };
}
