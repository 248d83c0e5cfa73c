/**
 * What converge needs from the outside world, as interfaces: the AWS adapters implement them, and tests, the CLI
 * and the sweep pass their own wiring. Nothing here imports the SDK.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Config } from '../config/config';
import type { DescribedTarget } from '../domain/correlation';
import type { EniLedger, ReleaseMark, Releaser, ReservationIntent, SlotMatch, SlotReservation } from '../domain/eni-slots';
import type { EventClaims } from '../domain/events';
import type { InstanceFacts, InstanceTypeFacts, RecordReason, SessionFacts } from '../domain/types';

export interface CreateSessionRequest {
  readonly instanceId: string;
  readonly eniId: string;
  readonly targetId: string;
  readonly filterId: string;
  readonly sessionNumber: number;
  /** Also the ClientToken: retrying a reservation can never create a second session. */
  readonly reservationId: string;
  readonly virtualNetworkId?: number;
  readonly packetLength?: number;
}

export interface Ec2Port {
  /** Instances EC2 knows, by id; unknown ids are simply absent. */
  describeInstances(instanceIds: readonly string[]): Promise<Map<string, InstanceFacts>>;
  describeInstanceTypes(instanceTypes: readonly string[]): Promise<Map<string, InstanceTypeFacts>>;
  /** Every session (managed or hand-made) whose source is one of these ENIs. */
  describeSessionsOnInterfaces(eniIds: readonly string[]): Promise<SessionFacts[]>;
  /** The given targets that exist, with kind, zone and source limit. */
  describeTargets(targetIds: readonly string[]): Promise<DescribedTarget[]>;
  createSession(request: CreateSessionRequest): Promise<{ sessionId: string }>;
  /** 'already-gone' when EC2 no longer knows the session: deleting is then already done. */
  deleteSession(sessionId: string): Promise<'deleted' | 'already-gone'>;
  /** Instances carrying the opt-in tag, any state. */
  listTaggedInstanceIds(tagKey: string, tagValue: string): Promise<string[]>;
  /**
   * Every session of the account, ours (`managed`) and not: DescribeTrafficMirrorSessions has no tag filter, so the
   * sweep reads them all once a run and serves both its own needs and the unmanaged watch from that one read.
   */
  listAccountSessions(): Promise<SessionFacts[]>;
  /**
   * The instance each ENI is attached to, or null when EC2 shows it detached (status available). ENIs EC2 does not
   * show (deleted, or too new for an eventually consistent Describe) are absent.
   */
  describeInterfaceAttachments(eniIds: readonly string[]): Promise<Map<string, string | null>>;
}

export type { DescribedTarget } from '../domain/correlation';
export type { EniLedger, Slot, SlotOwner, SlotReservation, SlotState } from '../domain/eni-slots';

export type TargetSourceReservation = 'reserved' | 'already-held' | 'full';

/** 'new-session': for an attach, refused while EC2's last word on the target was "full". 'existing-session': counting a session EC2 has. */
export type TargetSourcePurpose = 'new-session' | 'existing-session';

export interface SlotRequest {
  readonly eniId: string;
  readonly instanceId: string;
  readonly targetId: string;
  /** Numbers free at plan time, best first; the ledger re-checks them. */
  readonly numberCandidates: readonly number[];
  readonly preferredSessionNumber: number;
  /** Every session EC2 showed on the ENI: hand-made ones are learned as foreign slots, numbers are avoided. */
  readonly observedSessions: readonly SessionFacts[];
  /** The new reservation's hold (Slot.heldUntil), ISO time. */
  readonly heldUntil: string;
  /** What the reservation's holder makes (Slot.intent); absent, other invocations wait on its outcome. */
  readonly intent?: ReservationIntent;
  /**
   * The ENI item as planning read it (null: none): the reservation is written against its version without reading
   * it again, and re-read only when someone changed it since. Absent: read first.
   */
  readonly known?: EniLedger | null;
}

export interface HistoryEntry {
  readonly instanceId: string;
  readonly eniId?: string;
  readonly action: 'attach' | 'detach' | 'skip' | 'refuse' | 'release';
  readonly reason: RecordReason;
  readonly detail?: string;
  readonly sessionId?: string;
  readonly targetId?: string;
  readonly sessionNumber?: number;
  readonly triggerEventId: string;
  /** When it was recorded (ISO time; part of the item's key). Absent: when it is written. */
  readonly at?: string;
}

/**
 * What an instance run records together, in one batch: history entries, outcome events for the outbox and, when
 * they changed, its last decisions. Unconditional writes, made before the ledger change they announce.
 */
export interface RunRecords {
  readonly history: readonly HistoryEntry[];
  readonly outbox: readonly OutcomeEvent[];
  readonly lastDecisions?: { readonly instanceId: string; readonly decisions: Readonly<Record<string, string>> };
}

/** Planning's ledger read: the ENI items, target items and last decisions of a batch of instances, at once. */
export interface PlanItemsRequest {
  readonly eniIds: readonly string[];
  readonly targetIds: readonly string[];
  readonly instanceIds: readonly string[];
}

export interface PlanItems {
  readonly ledgers: Map<string, EniLedger>;
  /** Sources counted per target (0 when the target has no item). */
  readonly targetLoads: Map<string, number>;
  /** By instance id; an instance with no item is absent. */
  readonly lastDecisions: Map<string, Readonly<Record<string, string>>>;
}

/** Outcome events written with their change and deleted once published (shared/aws/ledger/outbox.ts). */
export interface OutboxPort {
  addToOutbox(event: OutcomeEvent): Promise<void>;
  /** The oldest events written before `writtenBefore`, at most `limit`. */
  readOutbox(writtenBefore: Date, limit: number): Promise<OutcomeEvent[]>;
  removeFromOutbox(events: readonly OutcomeEvent[]): Promise<void>;
}

export interface LedgerPort extends OutboxPort {
  readEniLedgers(eniIds: readonly string[]): Promise<Map<string, EniLedger>>;
  /** ENI items, target items and last decisions in one batched read (planning). */
  readPlanItems(request: PlanItemsRequest): Promise<PlanItems>;
  /** ENI items last written for this instance (found through gsi1, so also after the instance is gone). */
  readInstanceEniLedgers(instanceId: string): Promise<EniLedger[]>;
  readTargetLoads(targetIds: readonly string[]): Promise<Map<string, number>>;
  reserveTargetSource(
    targetId: string,
    eniId: string,
    limit: number | null,
    purpose?: TargetSourcePurpose,
  ): Promise<TargetSourceReservation>;
  /** Releasing a source also clears a full mark: the source freed is room on EC2 as well. */
  releaseTargetSource(targetId: string, eniId: string): Promise<void>;
  /** EC2 refused a new source on this target (limit exceeded by sessions the ledger does not count): no new source until `until`. */
  markTargetFull(targetId: string, until: Date): Promise<void>;
  reserveSlot(request: SlotRequest): Promise<SlotReservation>;
  /**
   * Marks the reserved slot active with its session. True when this call did it; false when the slot was already
   * active with that session (a concurrent attach sharing the reservation got there first) or is gone.
   * `sessionNumber`: the slot's number, which lets one conditional write do it without reading the item first.
   */
  activateSlot(eniId: string, reservationId: string, sessionId: string, sessionNumber?: number): Promise<boolean>;
  /**
   * Sets (renews, takes over) or, with undefined, drops the hold of a reservation still waiting for its session.
   * `sessionNumber`: the slot's number, which lets one conditional write do it without reading the item first.
   * `intent`: the new holder's, on a takeover (it creates with its own settings); absent, the slot's stays.
   */
  holdSlot(
    eniId: string,
    reservationId: string,
    heldUntil: string | undefined,
    sessionNumber?: number,
    intent?: ReservationIntent,
  ): Promise<void>;
  /**
   * Marks the session's slot releasing before its delete, held by `releaser` (markReleasing): or leaves the session
   * to the run already deleting it. `known`: the ENI item as planning read it (no read when it is current).
   */
  markSlotReleasing(eniId: string, sessionId: string, releaser: Releaser, known?: EniLedger | null): Promise<ReleaseMark>;
  /**
   * Removes the slot matching the reservation or session; returns what remains (undefined: no item). `known`: the
   * ENI item as the caller last wrote it (no read when it is current).
   */
  removeSlot(eniId: string, match: SlotMatch, known?: EniLedger | null): Promise<EniLedger | undefined>;
  learnForeignSessions(eniId: string, instanceId: string, observedSessions: readonly SessionFacts[]): Promise<void>;
  /** History, outcome events and last decisions of a run in one batch (see RunRecords). */
  writeRecords(records: RunRecords): Promise<void>;
  /** Takes back records written for a change that did not happen (their history entries carry `at`). */
  discardRecords(records: { readonly history: readonly HistoryEntry[]; readonly outbox: readonly OutcomeEvent[] }): Promise<void>;
  /** Instance ids named by any ENI item (for the sweep). */
  listInstanceIds(): Promise<string[]>;
}

export interface OutcomeEvent {
  /** Stable across every publication of this event: consumers dedupe on it (delivery is at least once). */
  readonly outcomeId: string;
  /** When the change was made (ISO 8601), not when the event was sent. */
  readonly at: string;
  /** detect: a session this deployment did not make, to a target nobody configured (never touched, only announced). */
  readonly action: 'attach' | 'detach' | 'refuse' | 'detect';
  readonly reason: RecordReason;
  readonly detail?: string;
  readonly instanceId: string;
  readonly eniId?: string;
  readonly sessionId?: string;
  readonly targetId?: string;
  readonly sessionNumber?: number;
  readonly triggerEventId: string;
  /** Organization: the account and Region of the instance (absent from a single-account deployment's events). */
  readonly accountId?: string;
  readonly region?: string;
  /** detect only: who owns the session and its target, when the product first saw it, and whether it is new. */
  readonly sessionOwnerAccountId?: string;
  readonly targetOwnerAccountId?: string;
  readonly firstSeenAt?: string;
  readonly change?: 'new' | 'changed';
}

/** One part of a trigger too large for one invocation, converged by its own invocation (shared/lambda/split.ts). */
export interface ConvergeRequest {
  readonly parentEventId: string;
  /** 1-based. */
  readonly part: number;
  readonly parts: number;
  readonly instanceIds: readonly string[];
  readonly claims?: EventClaims;
  /** Organization: the account and Region of the instances (the part's own event comes from the hub's). */
  readonly accountId?: string;
  readonly region?: string;
}

export interface PublisherPort {
  publish(events: readonly OutcomeEvent[]): Promise<void>;
  /** Puts one Converge Instances Requested event per part on the default bus, where the stack's rule routes it. */
  requestConverge(requests: readonly ConvergeRequest[]): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface ConvergeDeps {
  readonly ec2: Ec2Port;
  readonly ledger: LedgerPort;
  readonly publisher: PublisherPort;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly clock: Clock;
}
