/**
 * converge: make each instance's mirroring match what it should be, from a fresh read of the truth.
 * read (readAndPlan) -> repair the ledger where EC2 moved on -> detaches -> attaches, one ENI at a time per instance,
 * a few instances in parallel. One JSON log line per decision; history in the ledger; outcome events published.
 * Idempotent: converging twice is converging once (ClientToken = reservation id, conditional ledger writes).
 */
import { randomUUID } from 'node:crypto';
import {
  type ExistingReservation,
  existingReservation,
  holderComesBack,
  isLiveHold,
  isLiveRelease,
  leftToHolder,
  matchesSlot,
  type ReleaseHold,
  type Releaser,
  type ReservationIntent,
  type SlotMatch,
} from '../domain/eni-slots';
import { Ec2RefusalError, PermanentError, RetryableError } from '../domain/errors';
import { MIRRORED, repeatsLastDecision, sameDecisions } from '../domain/last-decisions';
import { type Desired, matchesDesired } from '../domain/plan';
import type { ApplyReason, Decision, RecordReason, SessionFacts } from '../domain/types';
import { mapWithConcurrency } from '../util/concurrency';
import { GOVERNANCE_METRICS, recordMilliseconds } from './governance-metrics';
import { HolderWatch } from './holder-watch';
import { forgetPublished, publishEvents } from './outbox';
import { attachOutcomeId, detachOutcomeId } from './outcome-ids';
import { countOutcome } from './outcome-metrics';
import type { ConvergeDeps, EniLedger, HistoryEntry, OutcomeEvent, SlotReservation, TargetSourceReservation } from './ports';
import { type InstancePlan, type ReadOptions, readAndPlan } from './read-and-plan';

/** Instances applied in parallel: enough to overlap latency, few enough to stay under EC2's mutating rate. */
export const INSTANCE_CONCURRENCY = 4;

/**
 * The longest a racer waits on a live holder, counted from the start of the invocation's apply (racers wait after
 * the batch's other instances), well inside the event functions' 60 s timeout. Past it the racer leaves the ENI to
 * the holder, which records the outcome; it never replays a reservation that is still held.
 */
const MAX_HOLDER_WAIT_MS = 40_000;
/**
 * A reservation's hold (Slot.heldUntil): renewed while EC2 keeps the holder's create waiting, so it lapses this long
 * after its holder died (a crash, a Lambda timeout) and never while the holder is alive.
 */
export const RESERVATION_HOLD_MS = 20_000;
/**
 * A delete's hold (Slot.release): the event functions' 60 s timeout, so it lapses once its run cannot be at work any
 * more, and outlasts any wait in the throttle line (45 s at most) without renewal. Only a run whose trigger comes
 * back (an SQS record) takes one; a failed delete drops it, for the next run to delete at once.
 */
export const RELEASE_HOLD_MS = 60_000;
/**
 * A hold is renewed once only this much of it is left: a create EC2 answers within 12 s costs no renewal (every 5 s
 * cost one UpdateItem per create in a throttled burst), and 8 s is ample for an UpdateItem to land before it lapses.
 */
const HOLD_RENEWAL_MARGIN_MS = 8_000;
/** How often the holds' ages are looked at: a hold due is renewed at most this late, well inside its margin. */
const HOLD_CHECK_MS = 2_000;

/** What a racer learned from the ledger about another invocation's reservation on the same ENI. */
type HolderOutcome =
  | { readonly kind: 'active'; readonly sessionId: string }
  | { readonly kind: 'released' }
  /** Its hold lapsed or was dropped: its holder died or gave up (a transient failure), so the create is replayed. */
  | { readonly kind: 'abandoned' }
  /** Still live when the racer stopped waiting: the holder will record the outcome. */
  | { readonly kind: 'still-held' };

/** How long a target EC2 called full gets no new source (a sweep runs every 10 minutes). */
export const TARGET_FULL_RECHECK_MS = 10 * 60_000;

/** The detail of a detach announced for a session that ended with no delete of ours. */
const ENDED_WITHOUT_US = 'the session ended without a delete of ours: EC2 deleted it with its network interface, or someone did by hand';

export interface ConvergeTrigger {
  readonly eventId: string;
  /**
   * When the triggering event happened (EventBridge's `time`): what the event-to-session latency is counted from.
   * Absent for sweeps (their schedule's tick is no event anything waited on) and CLI runs.
   */
  readonly eventTime?: string;
  /**
   * The SQS messages that bring the trigger back until its instance's run succeeds (batch.ts fails them when it
   * fails). Another invocation that wants the session this run reserves can then leave the ENI to it (leftToHolder).
   */
  readonly redeliveredAs?: readonly string[];
}

export type RecordedAction = 'attach' | 'detach' | 'keep' | 'skip' | 'refuse' | 'release' | 'fail';

/** One line of the decision log (and of the summary). */
export interface DecisionRecord {
  readonly action: RecordedAction;
  readonly instanceId: string;
  readonly eniId?: string;
  readonly sessionId?: string;
  readonly targetId?: string;
  readonly sessionNumber?: number;
  readonly reason: RecordReason;
  readonly detail?: string;
  readonly triggerEventId: string;
}

export interface ConvergeSummary {
  readonly attached: number;
  readonly detached: number;
  readonly refused: number;
  readonly skipped: number;
  readonly kept: number;
  readonly failed: number;
  readonly decisions: readonly DecisionRecord[];
}

/**
 * What the instance runs of one invocation learn together (the sweep shares one across all its steps): once EC2
 * refused a create at the account's session quota, the other attaches are refused without a call, until one of our
 * deletes frees a session.
 */
export interface RunWide {
  /** Why the account's session quota is reached for this run, if it is: attaches are refused without a create. */
  accountQuotaRefusal?: string;
  /**
   * Targets whose reservation found them full in this run: tried after the other candidates, not before, so that a
   * full target is not asked again (a failed UpdateItem and a GetItem) by every later attach that ranks it first.
   * One of our sources given back on it takes it out.
   */
  fullTargets?: Set<string>;
}

type AttachDecision = Extract<Decision, { action: 'attach' }>;
type DetachDecision = Extract<Decision, { action: 'detach' }>;
type NoteInput = Omit<DecisionRecord, 'triggerEventId' | 'instanceId'>;
/** What an attach announcement says beyond the ENI and the reservation. */
type AttachFacts = Pick<DecisionRecord, 'sessionId' | 'targetId' | 'sessionNumber' | 'reason' | 'detail'> & {
  readonly sessionId: string;
  readonly sessionNumber: number;
};
/** A slot reserved for an attach: new, or one an earlier or concurrent attach holds. */
type HeldSlot = Exclude<SlotReservation, { kind: 'full' }>;
type Reservation =
  | { readonly kind: 'target-full' }
  | { readonly kind: 'interface-full' }
  | { readonly kind: 'slot'; readonly slot: HeldSlot };
/** One target candidate tried: done (attached, kept, refused or left to another invocation), or why not this one. */
type TargetAttempt = { readonly done: true } | { readonly done: false; readonly tried: string };
const DONE: TargetAttempt = { done: true };

/** A session EC2 made for a reservation of this run, recorded and activated when the run settles. */
interface AwaitingActivation {
  readonly eniId: string;
  readonly reservationId: string;
  readonly sessionId: string;
  readonly sessionNumber: number;
  readonly full: DecisionRecord;
  readonly event: OutcomeEvent;
  readonly history: HistoryEntry;
}

class InstanceRun {
  readonly records: DecisionRecord[] = [];
  /** Events in the outbox (written), to publish once the run is done. */
  readonly events: OutcomeEvent[] = [];
  /** Sessions this run deleted: the observations were read before, and must not bring them back to the ledger. */
  private readonly deletedSessionIds = new Set<string>();
  /** This run's decisions, "action:reason" by ENI id ('-': the instance), compared with and then replacing the last. */
  private readonly decided: Record<string, string> = {};
  /** History entries and events noted but not yet written: written together, before the change they must precede. */
  private pending: { history: HistoryEntry[]; outbox: OutcomeEvent[] } = { history: [], outbox: [] };
  /** Sessions made by this run, activated once the run's records are written (in one batch with its decisions). */
  private readonly awaiting: AwaitingActivation[] = [];
  /** Reservations this run is working on, by reservation id: their holds are renewed until they settle. */
  private readonly holds = new Map<string, { readonly eniId: string; readonly sessionNumber: number; heldSince: number }>();
  private renewal: ReturnType<typeof setInterval> | undefined;
  private lastHistoryTime = 0;
  /**
   * ENIs another invocation converges: it made and activated their session (and wrote their last decision, MIRRORED,
   * before activating), or it is deleting their session (and writes the detach): this run does not write it again.
   */
  private readonly convergedByOthers = new Set<string>();
  /** The first live reservation this run left an ENI of the instance to (leaveToHolder). */
  private leftTo: ExistingReservation | undefined;
  /** Whether this run has held a reservation of the instance (created, or tried to, under it). */
  private holdsAReservation = false;
  /** The first run deleting a session this run left to it (leaveToReleaser). */
  private leftToReleaser: ReleaseHold | undefined;
  /** Whether this run has marked a slot of the instance releasing (and deletes its session). */
  private releases = false;
  /**
   * The ENI items as this run last saw them (null: none), written against without reading them again: as planning
   * read them, then as its deletes' marks and removals left them. An ENI leaves when this run writes to it otherwise.
   */
  private readonly knownEnis: Map<string, EniLedger | null>;
  /**
   * Sessions EC2 listed with no slot that this run wrote into the ledger without announcing them (most likely one
   * listed after its delete): when deleting one finds it gone, its end was announced already, or it never began.
   */
  private readonly learnedUnannounced = new Set<string>();
  /** Sessions this run deleted and noted: their slots go once the detaches are written (removeDetachedSlots). */
  private readonly detached: { readonly eniId: string; readonly sessionId: string; readonly targetId: string }[] = [];
  /** What the instance's previous run decided, as this run found it (lastDecisions moves on as this run writes). */
  private readonly previousDecisions: Readonly<Record<string, string>>;

  constructor(
    private readonly plan: InstancePlan,
    private readonly deps: ConvergeDeps,
    private readonly trigger: ConvergeTrigger,
    private readonly runWide: RunWide,
    private lastDecisions: Readonly<Record<string, string>>,
    private readonly watch: HolderWatch,
    /** When the invocation began applying (epoch ms): what a racer's wait is bounded from. */
    private readonly applyStartedAt: number,
  ) {
    this.knownEnis = new Map(plan.eniLedgers ?? []);
    this.previousDecisions = lastDecisions;
  }

  private full(record: NoteInput): DecisionRecord {
    return { instanceId: this.plan.instanceId, ...record, triggerEventId: this.trigger.eventId };
  }

  /**
   * `outcomeId`: the change's derived id (outcome-ids.ts) when a killed run may leave the change to be announced
   * again by whoever resolves it; a random one otherwise. The records wait for the run's next write (flush):
   * changes that need theirs first flush before they are made.
   */
  private note(record: NoteInput, outcomeId?: string): void {
    const full = this.full(record);
    // The same skip or refusal as last time (a stopped or refused instance, sweep after sweep): nothing changed, so
    // no history item and no second announcement; history grows with changes, not with runs.
    if (!this.repeatsLastDecision(full)) {
      if (full.action === 'attach' || full.action === 'detach' || full.action === 'refuse') {
        this.pending.outbox.push(this.eventOf(full, outcomeId ?? randomUUID()));
      }
      if (full.action !== 'keep' && full.action !== 'fail') this.pending.history.push(this.historyOf(full));
    }
    this.log(full);
  }

  private eventOf(full: DecisionRecord, outcomeId: string): OutcomeEvent {
    return { ...full, action: full.action as OutcomeEvent['action'], outcomeId, at: this.deps.clock.now().toISOString() };
  }

  private historyOf(full: DecisionRecord): HistoryEntry {
    return { ...full, action: full.action as HistoryEntry['action'], at: this.historyTime() };
  }

  /**
   * The time of a history entry, part of its key: later than the run's previous one, so that two entries of one
   * batch (two slots of an ENI released in the same millisecond) never share a key.
   */
  private historyTime(): string {
    const now = this.deps.clock.now().getTime();
    const at = new Date(Math.max(now, this.lastHistoryTime + 1));
    this.lastHistoryTime = at.getTime();
    return at.toISOString();
  }

  private withoutOthersOutcomes(decisions: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(decisions).filter(([eniId]) => !this.convergedByOthers.has(eniId)));
  }

  private repeatsLastDecision(full: DecisionRecord): boolean {
    return repeatsLastDecision(this.lastDecisions, full.eniId ?? '-', full.action, full.reason);
  }

  private log(full: DecisionRecord): void {
    this.records.push(full);
    this.deps.logger.info('decision', { ...full });
    // A failure leaves the last decision standing: the next run compares with what was actually done.
    if (full.action !== 'fail') this.decided[full.eniId ?? '-'] = full.action === 'attach' ? MIRRORED : `${full.action}:${full.reason}`;
  }

  /**
   * Writes what was noted (history and events into the outbox: once the change is made, its event cannot be lost)
   * and, given `decisions`, the last decisions when they changed, in one batch.
   */
  private async flush(decisions?: Readonly<Record<string, string>>): Promise<void> {
    const { history, outbox } = this.pending;
    const changed =
      decisions !== undefined &&
      Object.keys(decisions).length > 0 &&
      !sameDecisions(this.withoutOthersOutcomes(decisions), this.withoutOthersOutcomes(this.lastDecisions));
    if (history.length === 0 && outbox.length === 0 && !changed) return;
    await this.deps.ledger.writeRecords({
      history,
      outbox,
      ...(changed ? { lastDecisions: { instanceId: this.plan.instanceId, decisions } } : {}),
    });
    this.pending = { history: [], outbox: [] };
    this.events.push(...outbox);
    if (changed) this.lastDecisions = decisions;
  }

  /**
   * Activates the reservation's slot on the session EC2 made for it, and announces the attach when this call is
   * the one that activates it. The event goes into the outbox before the activation: a run killed in between
   * leaves either the slot reserved (the next converge activates and announces it) or the event in the outbox
   * (flushed), both under the reservation's outcomeId. False (and no event) when the slot was already active.
   */
  private async activateAndAnnounce(eniId: string, reservationId: string, facts: AttachFacts): Promise<boolean> {
    const attach = this.awaitingFor(eniId, reservationId, facts);
    this.pending.outbox.push(attach.event);
    this.pending.history.push(attach.history);
    await this.flush();
    return this.activate(attach);
  }

  private awaitingFor(eniId: string, reservationId: string, facts: AttachFacts): AwaitingActivation {
    const full = this.full({ action: 'attach', eniId, ...facts });
    return {
      eniId,
      reservationId,
      sessionId: facts.sessionId,
      sessionNumber: facts.sessionNumber,
      full,
      event: this.eventOf(full, attachOutcomeId(reservationId)),
      history: this.historyOf(full),
    };
  }

  /**
   * The activation, once its records are written; when another run activated it first, they are taken back (an
   * event already published stays so: the other run announces the same outcomeId, consumers dedupe on it).
   */
  private async activate(attach: AwaitingActivation): Promise<boolean> {
    const { ledger } = this.deps;
    this.knownEnis.delete(attach.eniId);
    const activated = await ledger.activateSlot(attach.eniId, attach.reservationId, attach.sessionId, attach.sessionNumber);
    this.letGo(attach.reservationId);
    if (!activated) {
      await ledger.discardRecords({ history: [attach.history], outbox: [attach.event] });
      const written = this.events.indexOf(attach.event);
      if (written >= 0) this.events.splice(written, 1);
      return false;
    }
    this.log(attach.full);
    return true;
  }

  async run(): Promise<void> {
    let failure: unknown;
    try {
      await this.apply();
    } catch (error) {
      failure = error;
    }
    try {
      await this.settle();
    } catch (error) {
      failure ??= error;
    } finally {
      this.stopRenewing();
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * The run's end: what it noted, the history of the sessions it made (announced as each was made) and its last
   * decisions (as they will be once those are active) in one batch; then the activations. Also after a failure:
   * what was done is recorded.
   */
  private async settle(): Promise<void> {
    const expected = { ...this.decided };
    for (const attach of this.awaiting) expected[attach.eniId] = MIRRORED;
    this.pending.history.push(...this.awaiting.map((attach) => attach.history));
    await this.flush(expected);
    let failure: unknown;
    try {
      await this.removeDetachedSlots();
    } catch (error) {
      failure = error;
    }
    for (const attach of this.awaiting.splice(0)) {
      try {
        // Attaches racing on one reservation all get the same session back (same ClientToken): the one whose
        // activation lands reports the attach, the others see it already mirrored.
        if (!(await this.activate(attach))) {
          const { sessionId, targetId, sessionNumber } = attach.full;
          this.note({ action: 'keep', eniId: attach.eniId, sessionId, targetId, sessionNumber, reason: 'already-mirrored' });
        }
      } catch (error) {
        failure ??= error;
      }
    }
    // A keep instead of an attach, or a failure: the decisions written above are not what happened.
    await this.flush({ ...this.decided });
    if (failure !== undefined) throw failure;
  }

  private async apply(): Promise<void> {
    await this.repairLedger();
    const { decisions } = this.plan;
    for (const decision of decisions) if (decision.action === 'detach') await this.detach(decision);
    // An attach may take the place of a detached session on the same ENI: its slot goes first. A run that only
    // detaches (a stop) writes its detaches with its last decisions, at its end (settle).
    if (decisions.some((decision) => decision.action === 'attach')) await this.removeDetachedSlots();
    for (const decision of decisions) if (decision.action === 'attach') await this.attach(decision);
    await this.undoAttachesInFlight();
    for (const decision of decisions) {
      if (decision.action === 'keep') {
        this.note({
          action: 'keep',
          eniId: decision.eniId,
          sessionId: decision.sessionId,
          targetId: decision.targetId,
          reason: decision.reason,
        });
      } else if (decision.action === 'skip') {
        this.note({ action: 'skip', ...(decision.eniId ? { eniId: decision.eniId } : {}), reason: decision.reason });
      } else if (decision.action === 'refuse') {
        this.note({
          action: 'refuse',
          ...(decision.eniId ? { eniId: decision.eniId } : {}),
          reason: decision.reason,
          detail: decision.detail,
        });
      }
    }
  }

  /**
   * Attaches another invocation still has in flight on the ENIs of an instance that must now have no session (it
   * was untagged, stopped or terminated after that invocation planned): the session it makes would outlive the
   * change until a sweep came by. A run for an event waits for the holder's outcome and detaches what it made. A
   * holder that died (its hold lapsed) or outlasts the wait is left to the sweep, which releases its reservation
   * after the grace period and detaches any session it made; a sweep or CLI run does not wait for the same reason.
   */
  private async undoAttachesInFlight(): Promise<void> {
    const reason = this.plan.mirrorsNothing;
    if (reason === undefined) return;
    for (const { eniId, reservationId } of attachesToUndo(this.plan, this.trigger, this.deps.clock.now())) {
      const outcome = await this.awaitOtherAttach(eniId, reservationId);
      if (outcome.kind === 'released') continue;
      if (outcome.kind !== 'active') {
        this.deps.logger.warn('attach in flight left to the sweep', {
          instanceId: this.plan.instanceId,
          eniId,
          reservationId,
          reason,
          outcome: outcome.kind,
        });
        continue;
      }
      const session = await this.sessionOn(eniId, outcome.sessionId);
      if (session === undefined) continue;
      const { sessionId, targetId } = session;
      await this.detach({ action: 'detach', instanceId: this.plan.instanceId, eniId, sessionId, targetId, reason }, session);
    }
  }

  /** Where EC2 moved on without us (deleted ENIs, crashes between steps, hand-made sessions), fix the ledger first. */
  private async repairLedger(): Promise<void> {
    const { ledger } = this.deps;
    for (const { eniId, slot, reason } of this.plan.staleSlots) {
      const match = slot.reservationId !== undefined ? { reservationId: slot.reservationId } : { sessionId: slot.sessionId };
      if ((slot.state === 'releasing' || slot.state === 'active') && slot.sessionId !== undefined) {
        // The session ended and no run recorded it: one marked it for deletion and died, or EC2 deleted it with its
        // network interface (a terminated instance, a deleted ENI), or someone did by hand. Announced now, before
        // the slot that is its last record goes; a repeat carries the same outcomeId.
        this.note(
          {
            action: 'detach',
            eniId,
            sessionId: slot.sessionId,
            ...(slot.targetId ? { targetId: slot.targetId } : {}),
            sessionNumber: slot.sessionNumber,
            reason,
            detail:
              slot.state === 'releasing'
                ? 'marked for deletion by an earlier run that did not record the outcome; EC2 no longer has it'
                : `${ENDED_WITHOUT_US} (${reason})`,
          },
          detachOutcomeId(slot.sessionId),
        );
        await this.flush();
        await this.removeSlotAfterSource(eniId, match, slot.targetId);
        continue;
      }
      await this.removeSlotAfterSource(eniId, match, slot.targetId);
      this.note({
        action: 'release',
        eniId,
        ...(slot.sessionId ? { sessionId: slot.sessionId } : {}),
        ...(slot.targetId ? { targetId: slot.targetId } : {}),
        sessionNumber: slot.sessionNumber,
        reason,
        detail: `ledger slot ${slot.state} with no session on EC2: released`,
      });
    }
    for (const { session, reservationId, held } of this.plan.unrecordedSessions) {
      if (reservationId !== undefined) {
        // Its holder made it a moment ago and records it at its run's end: announcing it here too would announce
        // it twice. Left to a holder whose trigger comes back to it when the plan keeps the session; else waited
        // on like any racer, and taken over only once the hold lapses (the holder died).
        if (held && this.keptForRedeliveredHolder(session, reservationId)) {
          this.convergedByOthers.add(session.eniId);
          continue;
        }
        if (held && (await this.awaitOtherAttach(session.eniId, reservationId)).kind !== 'abandoned') continue;
        // An earlier attempt made the session and died (or lost the answer) before recording it: announce it now,
        // once (only the activation that succeeds reports it).
        await this.activateAndAnnounce(session.eniId, reservationId, {
          sessionId: session.sessionId,
          targetId: session.targetId,
          sessionNumber: session.sessionNumber,
          reason: 'eligible',
          detail: 'made by an earlier attempt that did not record it (crash or lost answer); recorded now',
        });
      } else {
        await this.learnUnrecorded(session);
      }
    }
    for (const eniId of this.plan.foreignDriftEnis) {
      this.knownEnis.delete(eniId);
      await ledger.learnForeignSessions(eniId, this.plan.instanceId, this.plan.observedByEni.get(eniId) ?? []);
    }
  }

  /**
   * A session of ours with no slot, learned into the ledger as it is on EC2 (announced first, see announceUnrecorded).
   * Counted on its target first: a crash in between then leaves a source the next run's slot explains, never a slot
   * whose target does not count it.
   */
  private async learnUnrecorded(session: SessionFacts): Promise<void> {
    const { ledger } = this.deps;
    if (this.countsSources(session.targetId)) {
      await ledger.reserveTargetSource(session.targetId, session.eniId, null, 'existing-session');
    }
    await this.announceUnrecorded(session);
    this.knownEnis.delete(session.eniId);
    await ledger.learnForeignSessions(session.eniId, this.plan.instanceId, this.plan.observedByEni.get(session.eniId) ?? [session]);
  }

  /**
   * A session of ours the ledger holds no slot for (the ledger was lost, or the run that made it died before
   * recording anything): announced as attached before it is learned or deleted, under its reservation's outcomeId.
   * Consumers who saw it announced before dedupe the repeat; one whose run died before announcing it is announced at
   * last, so that its detach never comes first. A session without a reservation tag (made before there were any)
   * has no outcomeId to announce under and is learned silently, as before; so is one most likely listed after its
   * delete (learnedUnannounced).
   */
  private async announceUnrecorded(session: SessionFacts): Promise<void> {
    if (session.reservationId === undefined || this.mayBeListedAfterItsDelete(session.eniId)) {
      this.learnedUnannounced.add(session.sessionId);
      return;
    }
    this.note(
      {
        action: 'attach',
        eniId: session.eniId,
        sessionId: session.sessionId,
        targetId: session.targetId,
        sessionNumber: session.sessionNumber,
        reason: 'unrecorded-session',
        detail: 'ours by its tags, unknown to the ledger (lost, or its run died before recording it): learned from EC2',
      },
      attachOutcomeId(session.reservationId),
    );
    await this.flush();
  }

  /**
   * EC2's reads lag its writes both ways: a session deleted a moment ago may still be listed, with no slot left for
   * it. When the ledger still knows the ENI (its item, with the slot of the session that replaced it) or the
   * instance's previous run deleted a session there, that is what a slotless session of ours most likely is,
   * announced as attached and as detached already: announcing its attach again would come after its detach.
   * After a lost ledger neither is left, and the session is announced.
   */
  private mayBeListedAfterItsDelete(eniId: string): boolean {
    const known = this.plan.eniLedgers?.get(eniId);
    return (known !== undefined && known !== null) || (this.previousDecisions[eniId]?.startsWith('detach:') ?? false);
  }

  /**
   * Whether a session made under another invocation's live reservation, not yet recorded, is one this plan keeps
   * and its holder's trigger comes back to it until its run records it: nothing is then left for this run to do.
   */
  private keptForRedeliveredHolder(session: SessionFacts, reservationId: string): boolean {
    const slot = this.plan.eniLedgers?.get(session.eniId)?.slots.find((candidate) => candidate.reservationId === reservationId);
    if (!holderComesBack(slot?.intent, this.ownMessages())) return false;
    return this.plan.decisions.some((decision) => decision.action === 'keep' && decision.sessionId === session.sessionId);
  }

  private async releaseTargetIfUnused(
    targetId: string,
    eniId: string,
    remaining: readonly { owner: string; targetId?: string }[] | undefined,
  ): Promise<void> {
    if (!this.countsSources(targetId)) return;
    const stillUsed = (remaining ?? []).some((slot) => slot.owner === 'managed' && slot.targetId === targetId);
    if (!stillUsed) await this.releaseSource(targetId, eniId);
  }

  /**
   * Whether the ledger counts the target's sources: only a target with a source limit has one to enforce. A load
   * balancer target takes any number, so its attaches spend no write on it (the sweep counts them for the load
   * figures). A target this run did not describe is treated as limited: counting or releasing it is always safe.
   */
  private countsSources(targetId: string): boolean {
    return this.plan.targets.get(targetId)?.sourceLimit !== null;
  }

  private async releaseSource(targetId: string, eniId: string): Promise<void> {
    await this.deps.ledger.releaseTargetSource(targetId, eniId);
    this.runWide.fullTargets?.delete(targetId);
  }

  /**
   * Another invocation holds a reservation for this ENI (a duplicate event converging at the same moment, or a run
   * that crashed). Replaying its ClientToken is safe but spends a token of EC2's mutating budget, so wait on the
   * outcome the holder records in the ledger (the slot becomes active, or goes) for as long as the holder keeps its
   * hold, however slowly EC2 answers it: only a reservation whose hold lapsed or was dropped gets its create replayed.
   */
  private async awaitOtherAttach(eniId: string, reservationId: string): Promise<HolderOutcome> {
    for (;;) {
      const watched = await this.watch.next(eniId, this.plan.instanceId);
      // What the holder recorded for the instance (written before it activates): this run writes only what differs.
      if (watched.lastDecisions !== undefined) this.lastDecisions = watched.lastDecisions;
      // The item as the holder left it: this run's next write on the ENI (a detach of what it made) starts from it.
      this.knownEnis.set(eniId, watched.ledger ?? null);
      const slot = watched.ledger?.slots.find((candidate) => candidate.reservationId === reservationId);
      if (slot === undefined) return { kind: 'released' };
      if (slot.state === 'active' && slot.sessionId !== undefined) return { kind: 'active', sessionId: slot.sessionId };
      const now = this.deps.clock.now().getTime();
      if (slot.heldUntil === undefined || Date.parse(slot.heldUntil) <= now) return { kind: 'abandoned' };
      if (now - this.applyStartedAt >= MAX_HOLDER_WAIT_MS) return { kind: 'still-held' };
    }
  }

  private holdUntil(): string {
    return new Date(this.deps.clock.now().getTime() + RESERVATION_HOLD_MS).toISOString();
  }

  /**
   * Keeps the reservation held from now until it settles (activated, given back or dropped): renewed while EC2
   * keeps a create waiting, and while the session it made waits for the run's end to be activated.
   */
  private keepHeld(eniId: string, reservationId: string, sessionNumber: number): void {
    // The hold was written (reserved, or taken over) just before: it is counted from now.
    this.holds.set(reservationId, { eniId, sessionNumber, heldSince: this.deps.clock.now().getTime() });
    // Each hold is renewed on its own age, not on a timer shared with holds taken earlier: one taken a moment before
    // a shared tick would be renewed with most of its time left.
    this.renewal ??= setInterval(() => {
      const now = this.deps.clock.now().getTime();
      for (const [held, slot] of this.holds) {
        if (now - slot.heldSince < RESERVATION_HOLD_MS - HOLD_RENEWAL_MARGIN_MS) continue;
        slot.heldSince = now;
        this.knownEnis.delete(slot.eniId);
        this.deps.ledger.holdSlot(slot.eniId, held, this.holdUntil(), slot.sessionNumber).catch((error: unknown) => {
          this.deps.logger.warn('reservation hold not renewed', { eniId: slot.eniId, reservationId: held, error: error as Error });
        });
      }
    }, HOLD_CHECK_MS);
    // Renewing is only worth it while the run itself is alive; the timer alone must not keep a process running.
    this.renewal.unref();
  }

  private letGo(reservationId: string): void {
    this.holds.delete(reservationId);
    if (this.holds.size === 0) this.stopRenewing();
  }

  private stopRenewing(): void {
    clearInterval(this.renewal);
    this.renewal = undefined;
  }

  /** What EC2 showed on the ENI at read time, less what this run has deleted since. */
  private observedNow(eniId: string): SessionFacts[] {
    return (this.plan.observedByEni.get(eniId) ?? []).filter((session) => !this.deletedSessionIds.has(session.sessionId));
  }

  /**
   * EC2 answered IdempotentParameterMismatch: a session with this reservation's ClientToken exists, made with other
   * settings (an invocation on the previous settings created it and died before recording it). Find it by its
   * reservation tag; adopt it when it is what we want now, else delete it and attach anew. Never forget it: when EC2
   * does not list it yet, the reservation stays and the failure is retryable.
   */
  private async resolveTokenMismatch(decision: AttachDecision, reservationId: string): Promise<void> {
    const { ec2 } = this.deps;
    const { eniId } = decision;
    const existing = (await ec2.describeSessionsOnInterfaces([eniId])).find(
      (session) => session.managed && session.reservationId === reservationId,
    );
    if (existing === undefined) {
      throw new RetryableError(`${eniId}: EC2 holds a session with ClientToken ${reservationId} but does not list it yet`);
    }
    const current = matchesDesired(existing, this.desiredFor(decision));
    // Adopted into the ledger, it is announced as attached whatever comes next: a replacement then announces its
    // detach, so every session of ours is announced from birth to end.
    const facts = { sessionId: existing.sessionId, targetId: existing.targetId, sessionNumber: existing.sessionNumber };
    const adopted = `made by an earlier attempt with this reservation; adopted${current ? '' : ', to be replaced: its settings are not the current ones'}`;
    const activated = await this.activateAndAnnounce(eniId, reservationId, { ...facts, reason: decision.reason, detail: adopted });
    if (current) {
      if (!activated) this.note({ action: 'keep', eniId, ...facts, reason: 'already-mirrored', detail: adopted });
      return;
    }
    await this.replace(decision, existing);
  }

  /**
   * The ledger holds a session for this ENI that planning did not see (another invocation made it meanwhile, perhaps
   * one still on the previous settings, during a redeploy): read it, and replace it when its settings are not ours.
   * False when it is right, or EC2 does not list it yet (then it is kept; the next converge looks again).
   */
  private async replaceIfOutdated(decision: AttachDecision, sessionId: string): Promise<boolean> {
    const session = await this.sessionOn(decision.eniId, sessionId);
    if (session === undefined || matchesDesired(session, this.desiredFor(decision))) return false;
    await this.replace(decision, session);
    return true;
  }

  /** The session as EC2 shows it now on its source ENI; undefined when EC2 does not list it (yet, or any more). */
  private async sessionOn(eniId: string, sessionId: string): Promise<SessionFacts | undefined> {
    return (await this.deps.ec2.describeSessionsOnInterfaces([eniId])).find((candidate) => candidate.sessionId === sessionId);
  }

  private async replace(decision: AttachDecision, outdated: SessionFacts): Promise<void> {
    await this.detach(
      {
        action: 'detach',
        instanceId: decision.instanceId,
        eniId: decision.eniId,
        sessionId: outdated.sessionId,
        targetId: outdated.targetId,
        reason: 'settings-changed',
      },
      outdated,
    );
    await this.removeDetachedSlots();
    await this.attach(decision, true);
  }

  private desiredFor(decision: AttachDecision): Desired {
    return desiredOf(decision, this.deps.config);
  }

  /** What this run's reservations tell other invocations about the session it makes (Slot.intent). */
  private intentFor(decision: AttachDecision): ReservationIntent {
    const { config } = this.deps;
    return {
      filterId: decision.filterId,
      ...(config.virtualNetworkId !== undefined ? { virtualNetworkId: config.virtualNetworkId } : {}),
      ...(config.packetLength !== undefined ? { packetLength: config.packetLength } : {}),
      redeliveredAs: this.ownMessages(),
      attaches: this.plan.decisions.flatMap((planned) => (planned.action === 'attach' ? [planned.eniId] : [])),
    };
  }

  private ownMessages(): readonly string[] {
    return this.trigger.redeliveredAs ?? [];
  }

  /** `known`: the session as read after planning, when the plan's observations predate it. */
  private async detach(decision: DetachDecision, known?: SessionFacts): Promise<void> {
    const { ec2, ledger } = this.deps;
    const session = known ?? [...this.plan.observedByEni.values()].flat().find((candidate) => candidate.sessionId === decision.sessionId);
    // Ownership is checked here as well as in planning: a session without our owner tag is never deleted.
    if (!session?.managed) {
      throw new PermanentError(`refusing to delete ${decision.sessionId}: it does not carry our owner tag`);
    }
    if (this.leavesWithItsReleaser(decision)) return;
    const item = this.knownEnis.get(decision.eniId);
    this.knownEnis.delete(decision.eniId);
    const releaser = this.releaser();
    // The releasing mark is the intent: a run killed after the delete leaves it, and whoever finds the session
    // gone announces the detach (repairLedger) under the same outcomeId as this run would have.
    const knewSlot = item?.slots.some((slot) => slot.sessionId === decision.sessionId && slot.owner === 'managed');
    let mark = await ledger.markSlotReleasing(decision.eniId, decision.sessionId, releaser, item);
    // Judged without a read on an item this run read before the slot was written (a holder's, or a learned one):
    // read afresh before taking the session for one the ledger never held.
    if (mark.kind === 'no-slot' && item !== undefined && !knewSlot) {
      mark = await ledger.markSlotReleasing(decision.eniId, decision.sessionId, releaser);
    }
    if (mark.kind === 'marked' && mark.item !== undefined) this.knownEnis.set(decision.eniId, mark.item);
    if (mark.kind === 'left-to-releaser') {
      this.leftToReleaser ??= mark.release;
      this.leaveToReleaser(decision, `left to the invocation deleting ${decision.sessionId}`);
      return;
    }
    if (mark.kind === 'no-slot' && knewSlot) {
      // The slot this run last saw is gone: a slot goes only once its session is gone, so the run that deleted the
      // session has recorded and announced it. A second delete would only be answered NotFound.
      this.deletedSessionIds.add(decision.sessionId);
      this.noteAlreadyDetached(decision, 'another invocation deleted it and removed its slot since this run read the ledger');
      return;
    }
    if (mark.kind === 'no-slot') {
      // Never recorded (a sweep's orphan on a detached ENI after the ledger was lost): its attach comes first, and
      // it is learned and marked before the delete, so that a run killed after the delete leaves the mark for whoever
      // comes next to announce the detach (repairLedger), as for any session of ours.
      await this.learnUnrecorded(session);
      mark = await ledger.markSlotReleasing(decision.eniId, decision.sessionId, releaser);
    }
    this.releases = true;
    let deletion: Awaited<ReturnType<typeof ec2.deleteSession>>;
    try {
      deletion = await ec2.deleteSession(decision.sessionId);
    } catch (error) {
      if (releaser.until !== undefined) {
        const dropped = { redeliveredAs: releaser.redeliveredAs };
        await ledger.markSlotReleasing(decision.eniId, decision.sessionId, dropped).catch((dropError: unknown) => {
          // The hold then lapses by itself within RELEASE_HOLD_MS; the delete's own error is what matters.
          this.deps.logger.warn('release hold not dropped', {
            eniId: decision.eniId,
            sessionId: decision.sessionId,
            error: dropError as Error,
          });
        });
      }
      throw error;
    }
    this.deletedSessionIds.add(decision.sessionId);
    // A session freed under the account's quota: the attaches after this one may be taken again.
    if (deletion === 'deleted') this.runWide.accountQuotaRefusal = undefined;
    // Duplicate events converge at once (stopping and stopped): only the call whose delete took effect reports it,
    // unless its mark says the run that was deleting it died.
    // Announced before the slot goes, so that no moment leaves the deletion both unannounced and unmarked.
    const earlier = mark.kind === 'marked' ? mark.earlier : undefined;
    if (deletion === 'already-gone' && earlier === 'unheld') {
      // Its releaser may be recording it now, or may have died: the slot stays releasing, for that releaser to
      // remove, or for the first run that finds the session gone to announce (repairLedger), as for any such slot.
      this.noteAlreadyDetached(decision, 'another invocation is deleting it; its releasing mark stays until the detach is recorded');
      return;
    }
    // Its slot was active (and not one this run wrote for a session EC2 still listed after its delete): no run of
    // ours was deleting it, so nobody else reports its end.
    const endedWithoutUs =
      deletion === 'already-gone' && mark.kind === 'marked' && earlier === undefined && !this.learnedUnannounced.has(decision.sessionId);
    if (deletion === 'already-gone' && earlier !== 'dead' && !endedWithoutUs) {
      this.noteAlreadyDetached(decision);
    } else {
      // Deleted by this run, or by the dead run whose mark it took over, which may not have recorded it (EC2 still
      // listed the session to this run's read), or by nobody of ours: announced here, under the same outcomeId.
      this.note(
        {
          action: 'detach',
          eniId: decision.eniId,
          sessionId: decision.sessionId,
          targetId: decision.targetId,
          sessionNumber: session.sessionNumber,
          reason: decision.reason,
          ...(endedWithoutUs ? { detail: `${ENDED_WITHOUT_US}; EC2 still listed it to this run` } : {}),
        },
        detachOutcomeId(decision.sessionId),
      );
    }
    this.detached.push({ eniId: decision.eniId, sessionId: decision.sessionId, targetId: decision.targetId });
  }

  /**
   * Writes the run's detaches (history, and their events into the outbox), then removes the deleted sessions' slots
   * (each after its target source):
   * a run killed in between leaves them marked releasing, and whoever finds them so announces the detach under the
   * same outcomeId (repairLedger). One write for all of a run's detaches; at the run's end, with its last decisions.
   */
  private async removeDetachedSlots(): Promise<void> {
    if (this.detached.length === 0) return;
    await this.flush();
    for (const { eniId, sessionId, targetId } of this.detached.splice(0)) await this.removeSlotAfterSource(eniId, { sessionId }, targetId);
  }

  /**
   * A managed slot's target source (unless another slot of the ENI uses the target), then the slot, when this run
   * knows the ENI item: a run killed in between leaves the slot, which the next run resolves again (announces a
   * releasing one, releases a reserved one); the other order left a source no slot explains until a sweep found its
   * target quiet for the grace period. Without the item, the removal tells what remains, and the source follows.
   */
  private async removeSlotAfterSource(eniId: string, match: SlotMatch, targetId: string | undefined): Promise<void> {
    const known = this.knownEnis.get(eniId);
    const others = known?.slots.filter((slot) => !matchesSlot(slot, match));
    if (targetId !== undefined && others !== undefined) await this.releaseTargetIfUnused(targetId, eniId, others);
    const remaining = await this.deps.ledger.removeSlot(eniId, match, known);
    this.knownEnis.set(eniId, remaining ?? null);
    if (targetId !== undefined && others === undefined) await this.releaseTargetIfUnused(targetId, eniId, remaining?.slots);
  }

  /** Another invocation's delete took effect: that one reports the detach; this run notes it found it done. */
  private noteAlreadyDetached(decision: DetachDecision, detail?: string): void {
    const { eniId, sessionId, targetId } = decision;
    this.note({ action: 'skip', eniId, sessionId, targetId, reason: 'already-detached', ...(detail !== undefined ? { detail } : {}) });
  }

  /**
   * This run as a releaser: when its trigger comes back to it until it records its deletes, it holds them (until
   * its invocation's timeout) and says which sessions its plan deletes.
   */
  private releaser(): Releaser {
    const redeliveredAs = this.ownMessages();
    if (redeliveredAs.length === 0) return { redeliveredAs };
    return {
      redeliveredAs,
      until: new Date(this.deps.clock.now().getTime() + RELEASE_HOLD_MS).toISOString(),
      detaches: this.plan.decisions.flatMap((decision) => (decision.action === 'detach' ? [decision.sessionId] : [])),
    };
  }

  /**
   * A session the releaser this run left another of the instance's sessions to deletes next (its plan lists it),
   * while this run has marked none releasing itself: left to it as well, before any write. That releaser deletes
   * the instance's sessions one at a time, so this run would otherwise find the next one unmarked and delete it
   * too, and the releaser's own delete would find it gone. A run that marks a slot releasing never does this, so
   * two runs can never each leave a session to the other.
   */
  private leavesWithItsReleaser(decision: DetachDecision): boolean {
    const releaser = this.leftToReleaser;
    if (releaser === undefined || this.releases || releaser.detaches?.includes(decision.sessionId) !== true) return false;
    if (!isLiveRelease(releaser, this.deps.clock.now())) return false;
    this.leaveToReleaser(
      decision,
      `left to the invocation deleting another of the instance's sessions: its plan deletes ${decision.sessionId} next`,
    );
    return true;
  }

  /**
   * Another invocation is deleting the session and its trigger comes back to it until it records the detach
   * (markReleasing): a stop's other event leaves it to that run, with no second delete and no write.
   */
  private leaveToReleaser(decision: DetachDecision, leftTo: string): void {
    const { eniId, sessionId, targetId, reason } = decision;
    const detail = `${leftTo}: its trigger comes back to it until it records the detach`;
    this.leave(eniId, { sessionId, targetId, detail }, `detach:${reason}`);
  }

  /** Attach: the first target candidate that takes the ENI; refused when none does. */
  private async attach(decision: AttachDecision, replacedOnce = false): Promise<void> {
    if (!replacedOnce && this.leavesWithTheInstance(decision)) return;
    if (this.runWide.accountQuotaRefusal !== undefined) {
      this.note({
        action: 'refuse',
        eniId: decision.eniId,
        reason: 'account-session-limit',
        detail: `not tried: ${this.runWide.accountQuotaRefusal}`,
      });
      return;
    }
    const tried: string[] = [];
    const full = this.runWide.fullTargets;
    const candidates = full
      ? [...decision.targetCandidates.filter((id) => !full.has(id)), ...decision.targetCandidates.filter((id) => full.has(id))]
      : decision.targetCandidates;
    // A reservation planning saw on the ENI (another invocation's attach under way, or one that died) is reused
    // whatever the target: no source is reserved on a candidate only to be given back.
    const item = this.knownEnis.get(decision.eniId);
    const existing = item ? existingReservation(item.slots) : undefined;
    if (existing !== undefined) {
      if (await this.settleExisting(decision, existing, replacedOnce)) return;
      const attempt = await this.createSession(decision, existing, replacedOnce);
      if (attempt.done) return;
      tried.push(attempt.tried);
    }
    for (const candidate of candidates) {
      const attempt = await this.attachOnTarget(decision, candidate, replacedOnce);
      if (attempt.done) return;
      tried.push(attempt.tried);
    }
    this.note({
      action: 'refuse',
      eniId: decision.eniId,
      reason: 'target-pool-full',
      detail: `no target could take ${decision.eniId} (${tried.join('; ') || 'no candidates'}); add a target to the pool`,
    });
  }

  /** One target candidate: reserve on it, then settle what a reservation already holds, or create the session. */
  private async attachOnTarget(decision: AttachDecision, candidate: string, replacedOnce: boolean): Promise<TargetAttempt> {
    const target = this.plan.targets.get(candidate);
    if (target === undefined) return { done: false, tried: `${candidate}: not found` };
    const reservation = await this.reserve(decision, candidate, target.sourceLimit);
    if (reservation.kind === 'target-full') {
      return {
        done: false,
        tried: `${candidate}: full (${target.sourceLimit ?? 'no'} source limit in the ledger, or EC2 said full less than ${TARGET_FULL_RECHECK_MS / 60_000} min ago)`,
      };
    }
    if (reservation.kind === 'interface-full') {
      this.note({
        action: 'refuse',
        eniId: decision.eniId,
        reason: 'interface-session-limit',
        detail: `${decision.eniId} already has 3 sessions (ledger)`,
      });
      return DONE;
    }
    const { slot } = reservation;
    if (slot.kind === 'existing' && (await this.settleExisting(decision, slot, replacedOnce))) return DONE;
    return this.createSession(decision, slot, replacedOnce);
  }

  /**
   * Steps 1 and 2: a source on the target (a target with a source limit only), then a slot on the ENI; the source
   * is given back when no slot is had.
   */
  private async reserve(decision: AttachDecision, candidate: string, sourceLimit: number | null): Promise<Reservation> {
    const { ledger, config } = this.deps;
    const source: TargetSourceReservation | 'not-counted' = this.countsSources(candidate)
      ? await ledger.reserveTargetSource(candidate, decision.eniId, sourceLimit, 'new-session')
      : 'not-counted';
    if (source === 'full') {
      this.runWide.fullTargets ??= new Set();
      this.runWide.fullTargets.add(candidate);
      return { kind: 'target-full' };
    }
    const releaseSource = async () => {
      if (source === 'reserved') await this.releaseSource(candidate, decision.eniId);
    };
    let slot: SlotReservation;
    try {
      slot = await ledger.reserveSlot({
        eniId: decision.eniId,
        instanceId: decision.instanceId,
        targetId: candidate,
        numberCandidates: decision.sessionNumberCandidates,
        preferredSessionNumber: config.preferredSessionNumber,
        observedSessions: this.observedNow(decision.eniId),
        heldUntil: this.holdUntil(),
        intent: this.intentFor(decision),
        // A source already ours on this target means a reservation exists that planning did not see (another
        // invocation planned at the same moment): read the ENI item rather than write blind and fail.
        known: source === 'already-held' ? undefined : this.knownEnis.get(decision.eniId),
      });
      this.knownEnis.delete(decision.eniId);
    } catch (error) {
      await releaseSource();
      throw error;
    }
    if (slot.kind === 'full') {
      await releaseSource();
      return { kind: 'interface-full' };
    }
    // A reservation made earlier (crashed run) or concurrently (duplicate event) wins: same ClientToken, one session.
    if (slot.kind === 'existing' && slot.targetId !== candidate) await releaseSource();
    return { kind: 'slot', slot };
  }

  /**
   * The ENI is left to the live reservation of another invocation that makes the session this run wants and whose
   * trigger comes back to it until its run succeeds: that run records the attach and the ENI's last decision, so
   * this one logs its decision and records nothing (a recorded skip would cost a history item and a decisions write).
   */
  private leaveToHolder(eniId: string, slot: ExistingReservation): void {
    this.leftTo ??= slot;
    this.leave(eniId, {
      targetId: slot.targetId,
      sessionNumber: slot.sessionNumber,
      detail: `left to the invocation that holds reservation ${slot.reservationId}: it makes the same session and its trigger comes back to it until it records the outcome`,
    });
  }

  /**
   * An ENI that the holder this run left another of the instance's ENIs to attaches next (its plan lists it, and
   * its settings match what this run wants here), while this run holds no reservation of the instance: left to it
   * as well, before any write. That holder attaches the instance's ENIs one at a time, so this run would otherwise
   * find the next ENI free and converge half the instance in a second batch. A run that holds a reservation never
   * does this, so two runs can never each leave an ENI to the other.
   */
  private leavesWithTheInstance(decision: AttachDecision): boolean {
    const holder = this.leftTo;
    if (holder === undefined || this.holdsAReservation || holder.intent?.attaches?.includes(decision.eniId) !== true) return false;
    if (!leftToHolder(holder, this.desiredFor(decision), this.deps.clock.now(), this.ownMessages())) return false;
    this.leave(decision.eniId, {
      detail: `left to the invocation that holds reservation ${holder.reservationId} on another of the instance's ENIs: its plan attaches this one next, with the same settings, and its trigger comes back to it until it records the outcome`,
    });
    return true;
  }

  /**
   * Leaves the ENI to the invocation converging it: `recorded` is the last decision that invocation writes for it
   * (MIRRORED for an attach), so that this run's decisions, when written for another reason, agree with it.
   */
  private leave(
    eniId: string,
    facts: Pick<DecisionRecord, 'sessionId' | 'targetId' | 'sessionNumber' | 'detail'>,
    recorded = MIRRORED,
  ): void {
    this.convergedByOthers.add(eniId);
    this.log(this.full({ action: 'skip', eniId, ...facts, reason: 'handled-by-concurrent-invocation' }));
    this.decided[eniId] = recorded;
  }

  /**
   * A reservation already held for this ENI: keep its session (or replace it when its settings are outdated), or
   * leave the ENI to the invocation that took and released it, or that still holds it past the wait. False when its
   * hold lapsed or was dropped (its holder crashed or gave up): this run then holds it and replays its create under
   * the same ClientToken.
   */
  private async settleExisting(decision: AttachDecision, slot: ExistingReservation, replacedOnce: boolean): Promise<boolean> {
    if (leftToHolder(slot, this.desiredFor(decision), this.deps.clock.now(), this.ownMessages())) {
      this.leaveToHolder(decision.eniId, slot);
      return true;
    }
    const settled = slot.sessionId === undefined ? await this.awaitOtherAttach(decision.eniId, slot.reservationId) : undefined;
    const sessionId = slot.sessionId ?? (settled?.kind === 'active' ? settled.sessionId : undefined);
    if (sessionId !== undefined) {
      if (!replacedOnce && (await this.replaceIfOutdated(decision, sessionId))) return true;
      this.convergedByOthers.add(decision.eniId);
      this.note({
        action: 'keep',
        eniId: decision.eniId,
        sessionId,
        targetId: slot.targetId,
        sessionNumber: slot.sessionNumber,
        reason: 'already-mirrored',
      });
      return true;
    }
    if (settled?.kind === 'released') {
      this.note({
        action: 'skip',
        eniId: decision.eniId,
        reason: 'handled-by-concurrent-invocation',
        detail: 'another invocation took and released this reservation: it recorded the outcome',
      });
      return true;
    }
    if (settled?.kind === 'still-held') {
      this.note({
        action: 'skip',
        eniId: decision.eniId,
        reason: 'handled-by-concurrent-invocation',
        detail: `another invocation has held reservation ${slot.reservationId} for over ${MAX_HOLDER_WAIT_MS / 1000} s (EC2 is slow): it records the outcome`,
      });
      return true;
    }
    // Replaying a reservation whose holder is gone: hold it, so that other invocations now wait on this one (or
    // leave it to this one: its create is made with this run's settings).
    if (settled?.kind === 'abandoned') {
      await this.deps.ledger.holdSlot(decision.eniId, slot.reservationId, this.holdUntil(), slot.sessionNumber, this.intentFor(decision));
    }
    this.knownEnis.delete(decision.eniId);
    return false;
  }

  /**
   * Steps 3 and 4: CreateTrafficMirrorSession under the reservation's ClientToken; the slot is marked active when
   * the run settles, after the run's records (this attach's event among them) are written in one batch.
   */
  private async createSession(decision: AttachDecision, slot: HeldSlot, replacedOnce: boolean): Promise<TargetAttempt> {
    const { ec2, ledger, config } = this.deps;
    const { reservationId } = slot;
    let sessionId: string;
    this.holdsAReservation = true;
    this.keepHeld(decision.eniId, reservationId, slot.sessionNumber);
    try {
      ({ sessionId } = await ec2.createSession({
        instanceId: decision.instanceId,
        eniId: decision.eniId,
        targetId: slot.targetId,
        filterId: decision.filterId,
        sessionNumber: slot.sessionNumber,
        reservationId,
        ...(config.virtualNetworkId !== undefined ? { virtualNetworkId: config.virtualNetworkId } : {}),
        ...(config.packetLength !== undefined ? { packetLength: config.packetLength } : {}),
      }));
    } catch (error) {
      this.letGo(reservationId);
      if (error instanceof PermanentError) return this.onCreateRefused(decision, slot, error, replacedOnce);
      // Transient: keep the reservation, so Lambda's retry reuses its ClientToken and cannot make a second session,
      // but drop its hold: nobody works on it now, so whoever comes next replays it without waiting.
      await ledger.holdSlot(decision.eniId, reservationId, undefined, slot.sessionNumber).catch((dropError: unknown) => {
        // The hold then lapses by itself within RESERVATION_HOLD_MS; the create's own error is what matters.
        this.deps.logger.warn('reservation hold not dropped', { eniId: decision.eniId, reservationId, error: dropError as Error });
      });
      throw error;
    }
    const attach = this.awaitingFor(decision.eniId, reservationId, {
      sessionId,
      targetId: slot.targetId,
      sessionNumber: slot.sessionNumber,
      reason: decision.reason,
    });
    try {
      await this.announce(attach);
    } catch (error) {
      // Neither published nor in the outbox: left reserved, for the next converge to activate and announce.
      this.letGo(reservationId);
      throw error;
    }
    this.awaiting.push(attach);
    return DONE;
  }

  /**
   * Announces a session the moment EC2 made it, before the run records it: a run killed while it makes the
   * instance's next session has told of this one already (the next converge activates it, and announces it again
   * under the same outcomeId). What EventBridge does not take goes into the outbox at once, for the flush.
   */
  private async announce(attach: AwaitingActivation): Promise<void> {
    if (await publishEvents([attach.event], this.deps)) return;
    await this.deps.ledger.writeRecords({ history: [], outbox: [attach.event] });
  }

  /**
   * EC2 said no for good: nothing was created, so both reservations are undone. A target refusal moves on to the
   * next candidate; a reused ClientToken is resolved; any other refusal is the outcome.
   */
  private async onCreateRefused(
    decision: AttachDecision,
    slot: HeldSlot,
    error: PermanentError,
    replacedOnce: boolean,
  ): Promise<TargetAttempt> {
    const { ledger, clock } = this.deps;
    if (error instanceof Ec2RefusalError && error.scope === 'token-reused' && !replacedOnce) {
      await this.resolveTokenMismatch(decision, slot.reservationId);
      return DONE;
    }
    await this.removeSlotAfterSource(decision.eniId, { reservationId: slot.reservationId }, slot.targetId);
    if (!(error instanceof Ec2RefusalError)) throw error;
    if (error.scope === 'target' || error.scope === 'target-full') {
      // Full on EC2 though not in the ledger (hand-made sessions): remember it rather than pay a call each time.
      if (error.scope === 'target-full')
        await ledger.markTargetFull(slot.targetId, new Date(clock.now().getTime() + TARGET_FULL_RECHECK_MS));
      return { done: false, tried: `${slot.targetId}: ${error.code}` };
    }
    if (error.scope === 'account') this.runWide.accountQuotaRefusal = `an earlier create of this run was refused (${error.message})`;
    this.note({ action: 'refuse', eniId: decision.eniId, targetId: slot.targetId, reason: error.reason, detail: error.message });
    return DONE;
  }
}

/**
 * The attaches another invocation has in flight (a live hold, as planning read it) on ENIs of an instance that must
 * have no session, and that no decision of the plan covers: what a run for an event waits on and undoes. None for a
 * sweep or a CLI run (undoAttachesInFlight says why).
 */
function attachesToUndo(plan: InstancePlan, trigger: ConvergeTrigger, now: Date): { eniId: string; reservationId: string }[] {
  if (plan.mirrorsNothing === undefined || (trigger.redeliveredAs ?? []).length === 0) return [];
  const decided = new Set(plan.decisions.flatMap((decision) => (decision.eniId !== undefined ? [decision.eniId] : [])));
  const ledgers = [...(plan.eniLedgers?.values() ?? [])].filter(
    (ledger): ledger is EniLedger => ledger !== null && !decided.has(ledger.eniId),
  );
  return ledgers.flatMap(({ eniId, slots }) =>
    slots.flatMap((slot) =>
      slot.instanceId === plan.instanceId && slot.reservationId !== undefined && isLiveHold(slot, now)
        ? [{ eniId, reservationId: slot.reservationId }]
        : [],
    ),
  );
}

function desiredOf(decision: AttachDecision, config: ConvergeDeps['config']): Desired {
  return {
    filterId: decision.filterId,
    targetIds: new Set(decision.allowedTargetIds),
    virtualNetworkId: config.virtualNetworkId,
    packetLength: config.packetLength,
  };
}

/**
 * Whether the plan attaches an ENI on which another invocation holds a live reservation (as planning read it) that
 * it must wait on (one it can leave to its holder, leftToHolder, costs no wait), or must undo such an attach.
 */
function racesALiveHolder(plan: InstancePlan, trigger: ConvergeTrigger, now: Date, config: ConvergeDeps['config']): boolean {
  if (attachesToUndo(plan, trigger, now).length > 0) return true;
  return plan.decisions.some((decision) => {
    if (decision.action !== 'attach') return false;
    const slots = plan.eniLedgers?.get(decision.eniId)?.slots ?? [];
    const existing = existingReservation(slots);
    if (existing !== undefined && leftToHolder(existing, desiredOf(decision, config), now, trigger.redeliveredAs ?? [])) return false;
    return slots.some((slot) => isLiveHold(slot, now));
  });
}

/** A 'fail' record: retryable or not in the reason, the error's name and message in the detail. */
export function failureRecord(instanceId: string, triggerEventId: string, error: unknown): DecisionRecord {
  const reason: ApplyReason = error instanceof RetryableError ? 'transient-failure' : 'permanent-failure';
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { action: 'fail', instanceId, reason, detail, triggerEventId };
}

export function summarize(records: readonly DecisionRecord[]): ConvergeSummary {
  const count = (action: RecordedAction) => records.filter((record) => record.action === action).length;
  return {
    attached: count('attach'),
    detached: count('detach'),
    refused: count('refuse'),
    skipped: count('skip'),
    kept: count('keep'),
    failed: count('fail'),
    decisions: records,
  };
}

export class ConvergeError extends RetryableError {
  constructor(
    readonly summary: ConvergeSummary,
    readonly failures: readonly unknown[],
  ) {
    super(
      `converge: ${failures.length} instance(s) failed; first: ${failures[0] instanceof Error ? failures[0].message : String(failures[0])}`,
      {
        cause: failures[0],
      },
    );
  }
}

/** What applyPlans did, and the instances whose run failed (each has its `fail` record in the summary). */
export interface AppliedPlans {
  readonly summary: ConvergeSummary;
  readonly failures: ReadonlyMap<string, unknown>;
}

/**
 * Applies already-read plans, each under its own trigger, and reports failures instead of throwing them: the SQS
 * batch fails only the records of the instances that failed. Events are published instance by instance as each
 * run ends, and taken out of the outbox together at the end.
 */
export async function applyPlansReporting(
  plans: readonly InstancePlan[],
  triggerOf: (plan: InstancePlan) => ConvergeTrigger,
  deps: ConvergeDeps,
  runWide: RunWide = {},
): Promise<AppliedPlans> {
  const failures = new Map<string, unknown>();
  const unread = plans.filter((plan) => plan.lastDecisions === undefined).map((plan) => plan.instanceId);
  const lastDecisions =
    unread.length === 0 ? new Map() : (await deps.ledger.readPlanItems({ eniIds: [], targetIds: [], instanceIds: unread })).lastDecisions;
  const published: OutcomeEvent[] = [];
  const watch = new HolderWatch(deps);
  const now = deps.clock.now();
  const applyOne = async (plan: InstancePlan): Promise<DecisionRecord[]> => {
    const trigger = triggerOf(plan);
    const { eventId } = trigger;
    const last = plan.lastDecisions ?? lastDecisions.get(plan.instanceId) ?? {};
    const run = new InstanceRun(plan, deps, trigger, runWide, last, watch, now.getTime());
    try {
      await run.run();
    } catch (error) {
      failures.set(plan.instanceId, error);
      const record = failureRecord(plan.instanceId, eventId, error);
      deps.logger.error('decision', { ...record, error: error as Error });
      run.records.push(record);
    }
    // What was done is announced even when a later step failed. Events EventBridge does not take stay in the
    // outbox for the next flush: the change is done, so the run does not fail for them.
    if (await publishEvents(run.events, deps)) published.push(...run.events);
    return run.records;
  };
  // Instances another invocation is attaching right now wait until the others are done: by then their holders have
  // mostly recorded the outcome, which one shared read finds for all of them.
  const raced = new Set(plans.filter((plan) => racesALiveHolder(plan, triggerOf(plan), now, deps.config)));
  const ownRecords = await mapWithConcurrency(
    plans.filter((plan) => !raced.has(plan)),
    INSTANCE_CONCURRENCY,
    applyOne,
  );
  const racedRecords = await mapWithConcurrency([...raced], INSTANCE_CONCURRENCY, applyOne);
  const perInstance = [...ownRecords, ...racedRecords];
  await forgetPublished(published, deps);
  const summary = summarize(perInstance.flat());
  countOutcome(deps.metrics, 'attached', summary.attached);
  countOutcome(deps.metrics, 'detached', summary.detached);
  countOutcome(deps.metrics, 'refused', summary.refused);
  countOutcome(deps.metrics, 'skipped', summary.skipped);
  countOutcome(deps.metrics, 'failed', summary.failed);
  // Once per trigger that led to an attach: from its event to the sessions existing.
  const attachedBy = new Map<string, string | undefined>();
  for (const plan of plans) {
    const { eventId, eventTime } = triggerOf(plan);
    if (summary.decisions.some((decision) => decision.action === 'attach' && decision.instanceId === plan.instanceId)) {
      attachedBy.set(eventId, eventTime);
    }
  }
  for (const eventTime of attachedBy.values()) {
    if (eventTime !== undefined) {
      recordMilliseconds(deps.metrics, GOVERNANCE_METRICS.eventToSessionMs, deps.clock.now().getTime() - Date.parse(eventTime));
    }
  }
  return { summary, failures };
}

/** Applies already-read plans; converge = readAndPlan + applyPlans. */
export async function applyPlans(
  plans: readonly InstancePlan[],
  trigger: ConvergeTrigger,
  deps: ConvergeDeps,
  runWide: RunWide = {},
): Promise<ConvergeSummary> {
  const { summary, failures } = await applyPlansReporting(plans, () => trigger, deps, runWide);
  if (failures.size === 0) return summary;
  // Never swallowed: the invocation fails so Lambda retries (converge is idempotent) and then the DLQ gets it.
  const all = [...failures.values()];
  const [first] = all;
  if (all.every((failure) => failure instanceof PermanentError)) throw first;
  throw new ConvergeError(summary, all);
}

export async function converge(
  instanceIds: readonly string[],
  trigger: ConvergeTrigger,
  deps: ConvergeDeps,
  options: ReadOptions & { readonly runWide?: RunWide } = {},
): Promise<ConvergeSummary> {
  const plans = await readAndPlan(instanceIds, deps, options);
  return applyPlans(plans, trigger, deps, options.runWide);
}
