/**
 * Publishing outcome events at least once. Each event is in the ledger's outbox from the moment its change is
 * recorded; the run that made the change publishes it and removes it. What is left (PutEvents failed, the process
 * died) is flushed by the next invocation of any function and by every sweep, once it is older than
 * OUTBOX_FLUSH_AFTER_MS: by then the run that wrote it has published it or is gone (a handler times out after 60 s).
 */
import type { ConvergeDeps, OutcomeEvent } from './ports';

export const OUTBOX_FLUSH_AFTER_MS = 2 * 60_000;
/** Events an event handler flushes per invocation: enough to drain a backlog in a few invocations, cheap otherwise. */
export const HANDLER_FLUSH_LIMIT = 25;
/** Events a sweep flushes per run (PutEvents takes 10 per call). */
export const SWEEP_FLUSH_LIMIT = 500;

/** Publishes the events and removes them from the outbox. False (logged) when EventBridge did not take them. */
export async function publishFromOutbox(events: readonly OutcomeEvent[], deps: ConvergeDeps): Promise<boolean> {
  if (!(await publishEvents(events, deps))) return false;
  await forgetPublished(events, deps);
  return true;
}

/** Publishes the events, which stay in the outbox. False (logged) when EventBridge did not take them. */
export async function publishEvents(events: readonly OutcomeEvent[], deps: ConvergeDeps): Promise<boolean> {
  if (events.length === 0) return true;
  try {
    await deps.publisher.publish(events);
    return true;
  } catch (error) {
    deps.logger.warn('outcome events kept in the outbox', { outcomeIds: events.map((event) => event.outcomeId), error: error as Error });
    return false;
  }
}

/** Removes published events from the outbox, many in one batch. */
export async function forgetPublished(events: readonly OutcomeEvent[], deps: ConvergeDeps): Promise<void> {
  if (events.length === 0) return;
  try {
    await deps.ledger.removeFromOutbox(events);
  } catch (error) {
    // Only means the events are sent again later, under the same outcomeId.
    deps.logger.warn('published outcome events left in the outbox', {
      outcomeIds: events.map((event) => event.outcomeId),
      error: error as Error,
    });
  }
}

/**
 * Publishes what earlier runs left in the outbox; returns how many events were sent. Throws only when the ledger
 * cannot be read.
 */
export async function flushOutbox(deps: ConvergeDeps, limit: number): Promise<number> {
  const writtenBefore = new Date(deps.clock.now().getTime() - OUTBOX_FLUSH_AFTER_MS);
  const pending = await deps.ledger.readOutbox(writtenBefore, limit);
  if (pending.length === 0) return 0;
  const sent = await publishFromOutbox(pending, deps);
  deps.logger.info('outbox flushed', { events: pending.length, sent });
  return sent ? pending.length : 0;
}

/**
 * How often a container's event handler looks for what earlier runs left: on its first invocation, then at most this
 * often. A burst keeps a container busy with one invocation after another; a Query each (one request in every
 * batch) found nothing but the events a run was still publishing, which are not due before OUTBOX_FLUSH_AFTER_MS.
 */
const HANDLER_FLUSH_EVERY_MS = 60_000;

/** When each container's handler (by its ledger adapter, made once per container and scope) last flushed. */
const lastHandlerFlush = new WeakMap<object, number>();

/** The event handlers' flush: never fails the records of the batch (the sweep flushes too, and fails loudly). */
export async function flushOutboxBeforeConverge(deps: ConvergeDeps): Promise<void> {
  const now = deps.clock.now().getTime();
  const last = lastHandlerFlush.get(deps.ledger);
  if (last !== undefined && now - last < HANDLER_FLUSH_EVERY_MS) return;
  lastHandlerFlush.set(deps.ledger, now);
  try {
    await flushOutbox(deps, HANDLER_FLUSH_LIMIT);
  } catch (error) {
    deps.logger.error('outbox not flushed', { error: error as Error });
  }
}
