/**
 * A scope the hub may not act in (the spoke role is missing, does not trust the hub, or may not call EC2): one log
 * line naming the account and Region, the spokeAccessDenied metric with both as dimensions (bounded: the accounts
 * and Regions of the document), and a `refuse` outcome event with reason spoke-access-denied for each instance the
 * events named (or one for the scope as a whole, instanceId '-', when none can be read: the sweep).
 */
import { randomUUID } from 'node:crypto';
import { GOVERNANCE_METRICS, recordScopedCount } from '../converge/governance-metrics';
import type { ScopedDeps } from '../converge/organization-ports';
import type { OutcomeEvent } from '../converge/ports';
import { readTrigger } from './handle-trigger';

interface Named {
  readonly instanceId: string;
  readonly triggerEventId: string;
}

function namedInstances(bodies: readonly unknown[], deps: ScopedDeps): Named[] {
  return bodies.flatMap((body) => {
    try {
      const trigger = readTrigger(body, deps);
      return trigger.instanceIds.map((instanceId) => ({ instanceId, triggerEventId: trigger.eventId }));
    } catch {
      return [];
    }
  });
}

export async function reportSpokeAccessDenied(
  deps: ScopedDeps,
  error: unknown,
  bodies: readonly unknown[],
  triggerEventId = '-',
): Promise<void> {
  const { accountId, region } = deps.scope;
  const detail = error instanceof Error ? error.message : String(error);
  const named = namedInstances(bodies, deps);
  deps.logger.error('spoke access denied', {
    accountId,
    region,
    reason: 'spoke-access-denied',
    detail,
    instances: named.map((item) => item.instanceId),
  });
  recordScopedCount(deps.metrics, GOVERNANCE_METRICS.spokeAccessDenied, { AccountId: accountId, Region: region }, 1);

  const at = deps.clock.now().toISOString();
  const subjects = named.length > 0 ? named : [{ instanceId: '-', triggerEventId }];
  const events: OutcomeEvent[] = subjects.map((subject) => ({
    // Like every refusal, announced each time it happens: there is no change to dedupe on.
    outcomeId: randomUUID(),
    at,
    action: 'refuse',
    reason: 'spoke-access-denied',
    detail,
    instanceId: subject.instanceId,
    triggerEventId: subject.triggerEventId,
    accountId,
    region,
  }));
  try {
    await deps.publisher.publish(events);
  } catch (publishError) {
    deps.logger.error('outcome events not published', { accountId, region, events: events.length, error: publishError as Error });
  }
}

/** The id of an EventBridge event (its `id`), or 'unknown' when it has none. */
export function eventIdOf(event: unknown): string {
  const id = event !== null && typeof event === 'object' ? (event as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : 'unknown';
}
