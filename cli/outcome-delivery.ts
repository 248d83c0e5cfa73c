/**
 * Which outcome events EventBridge did not take during a reconcile. The changes behind them are made and recorded,
 * so they are reported as pending, not as failures. Wraps the publisher converge uses and rethrows what it throws:
 * converge (and, with the ledger's outbox, publishFromOutbox, which keeps unsent events for the next flush) still
 * sees the failure and decides what to do with the events.
 */
import type { OutcomeEvent, PublisherPort } from '../shared/converge';

export interface UndeliveredEvents {
  readonly publisher: PublisherPort;
  /** Events a PutEvents refused or could not reach, with the error that said so. */
  pending(): readonly OutcomeEvent[];
  /** True for an error this publisher threw: the instance's changes were made, only their events are pending. */
  isDeliveryFailure(error: unknown): boolean;
  /** Why the events are pending (the first delivery error), in the user's terms. */
  reason(): string | undefined;
}

export function trackUndelivered(inner: PublisherPort): UndeliveredEvents {
  const pending: OutcomeEvent[] = [];
  const errors = new Set<unknown>();
  return {
    publisher: {
      async publish(events) {
        try {
          await inner.publish(events);
        } catch (error) {
          pending.push(...events);
          errors.add(error);
          throw error;
        }
      },
      requestConverge: (requests) => inner.requestConverge(requests),
    },
    pending: () => [...pending],
    isDeliveryFailure: (error) => errors.has(error),
    reason() {
      const [first] = errors;
      return first === undefined ? undefined : first instanceof Error ? first.message : String(first);
    },
  };
}
