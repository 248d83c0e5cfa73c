/**
 * The sweep's watch over sessions it did not make: read the whole inventory, classify (shared/domain), and
 * announce each unknown session once, again only when it changes, through the outcome publisher. Read-only
 * towards EC2: a session that is not ours is never modified or deleted.
 */
import { createHash } from 'node:crypto';
import { configuredTargetIds } from '../config/config';
import type { SessionFacts } from '../domain/types';
import { findUnknownSessions, type UnknownSession } from '../domain/unmanaged-sessions';
import type { ConvergeTrigger } from './converge';
import { GOVERNANCE_METRICS, recordCount } from './governance-metrics';
import type { AnnouncementPort, InventoryPort } from './governance-ports';
import { publishFromOutbox } from './outbox';
import type { ConvergeDeps, OutcomeEvent } from './ports';

export interface UnmanagedWatch {
  readonly inventory: InventoryPort;
  readonly announcements: AnnouncementPort;
}

export interface UnmanagedReport {
  /** Every unknown session seen now. */
  readonly unknown: readonly UnknownSession[];
  /** The ones announced by this run (new or changed). */
  readonly announced: readonly UnknownSession[];
}

/** Sessions not ours, to targets of the pool or the allow-list, are known; everything else not ours is unknown. */
export function knownTargetIds(deps: ConvergeDeps): ReadonlySet<string> {
  return new Set(configuredTargetIds(deps.config));
}

/**
 * Unknown sessions and what the ledger remembers of them, without announcing (the CLI's read). `sessions`: the
 * account's sessions already read (the sweep's one read); without them the inventory reads them itself.
 */
export async function inventoryUnknownSessions(
  deps: ConvergeDeps,
  watch: UnmanagedWatch,
  sessions?: readonly SessionFacts[],
): Promise<UnknownSession[]> {
  const inventory = sessions ? await watch.inventory.inventoryOf(sessions) : await watch.inventory.listAllSessions();
  const theirs = inventory.filter((session) => !session.managed).map((session) => session.sessionId);
  const announced = await watch.announcements.read(theirs);
  return findUnknownSessions(inventory, knownTargetIds(deps), announced, deps.clock.now());
}

/** The same announcement (session and fingerprint) always has the same id, however often it is sent. */
function outcomeIdOf(found: UnknownSession): string {
  return createHash('sha256').update(`${found.session.sessionId}|${found.fingerprint}`).digest('hex').slice(0, 32);
}

function toEvent(found: UnknownSession, trigger: ConvergeTrigger, at: string): OutcomeEvent {
  const { session } = found;
  return {
    outcomeId: outcomeIdOf(found),
    at,
    action: 'detect',
    reason: found.cause,
    detail:
      `Session ${session.sessionId} mirrors ${session.eniId}${session.instanceId ? ` (${session.instanceId})` : ''} to ` +
      `${session.targetId}, a target in neither the pool nor the allow-list (${found.cause}); it was not made by this ` +
      'orchestrator and is left untouched: check who created it.',
    // A session on a detached ENI serves no instance.
    instanceId: session.instanceId ?? 'unattached',
    eniId: session.eniId,
    sessionId: session.sessionId,
    targetId: session.targetId,
    sessionNumber: session.sessionNumber,
    triggerEventId: trigger.eventId,
    ...(session.ownerAccountId !== undefined ? { sessionOwnerAccountId: session.ownerAccountId } : {}),
    ...(session.targetOwnerAccountId !== undefined ? { targetOwnerAccountId: session.targetOwnerAccountId } : {}),
    firstSeenAt: found.firstSeenAt,
    change: found.status === 'changed' ? 'changed' : 'new',
  };
}

export async function watchUnmanagedSessions(
  trigger: ConvergeTrigger,
  deps: ConvergeDeps,
  watch: UnmanagedWatch,
  sessions?: readonly SessionFacts[],
): Promise<UnmanagedReport> {
  const unknown = await inventoryUnknownSessions(deps, watch, sessions);
  const announced: UnknownSession[] = [];
  const events: OutcomeEvent[] = [];
  for (const found of unknown.filter((candidate) => candidate.status !== 'announced')) {
    const event = toEvent(found, trigger, deps.clock.now().toISOString());
    // Into the outbox before it is remembered as announced: from then on it is sent at least once (outbox.ts).
    await deps.ledger.addToOutbox(event);
    const announcement = { fingerprint: found.fingerprint, firstSeenAt: found.firstSeenAt };
    if (!(await watch.announcements.record(found.session.sessionId, announcement, found.previousFingerprint))) {
      deps.logger.info('announcement already recorded by another run', { sessionId: found.session.sessionId });
    }
    deps.logger.warn('decision', { ...event });
    events.push(event);
    announced.push(found);
  }
  // What EventBridge does not take now stays in the outbox for the next flush.
  await publishFromOutbox(events, deps);
  recordCount(deps.metrics, GOVERNANCE_METRICS.unmanagedSessions, unknown.length);
  recordCount(deps.metrics, GOVERNANCE_METRICS.unmanagedSessionsAnnounced, announced.length);
  return { unknown, announced };
}
