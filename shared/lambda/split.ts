/**
 * A trigger naming more instances than one invocation can converge (a CloudTrail CreateTags on 1,000 instances) is
 * split: one Converge Instances Requested event per part, which the stack's ConvergePartsRule sends to
 * ConvergePartsQueue, consumed one part per invocation (batchSize 1, maximumConcurrency 2). Every part is converged,
 * retried and dead-lettered on its own, within its own timeout.
 *
 * Sizing MAX_INSTANCES_PER_INVOCATION: EC2 refills mutating calls (CreateTrafficMirrorSession,
 * DeleteTrafficMirrorSession) at 5 per second per account, from a bucket of 50. A handler has 60 s; 20 s go to the
 * reads, the ledger writes, the catch-up delays and a cold start, leaving 40 s of mutating calls. The two part
 * invocations run beside the event queues' batches, so a part counts on a quarter of the refill, 1.25 calls/s: 50
 * calls in 40 s, with no help from the burst (others may have spent it). An instance costs one create per ENI (two
 * ENIs is common; a settings change adds a delete each): 25 instances is about 50 calls. 1,000 instances are 40
 * parts; EC2's rate, not the split, then bounds the whole (about 2,000 calls / 5 per s = 400 s at best).
 *
 * The same bound holds per SQS batch of the event queues: records are converged in order until the next would take
 * the batch past the bound; that record is split instead (state-change and tag-change events name one instance each,
 * so in practice only CloudTrail records are split).
 */

import type { ConvergeDeps, ConvergeRequest } from '../converge/ports';
import type { Trigger } from '../domain/events';

export const MAX_INSTANCES_PER_INVOCATION = 25;

export function splitIntoParts(trigger: Trigger, partSize = MAX_INSTANCES_PER_INVOCATION): ConvergeRequest[] {
  const parts = Math.ceil(trigger.instanceIds.length / partSize);
  return Array.from({ length: parts }, (_, index) => ({
    parentEventId: trigger.eventId,
    part: index + 1,
    parts,
    instanceIds: trigger.instanceIds.slice(index * partSize, (index + 1) * partSize),
    ...(trigger.claims ? { claims: trigger.claims } : {}),
  }));
}

/** True when converging `trigger` on top of `alreadyNamed` instances would exceed one invocation's bound. */
export function mustSplit(trigger: Trigger, alreadyNamed: ReadonlySet<string>): boolean {
  const added = trigger.instanceIds.filter((id) => !alreadyNamed.has(id)).length;
  return alreadyNamed.size + added > MAX_INSTANCES_PER_INVOCATION;
}

/**
 * Publishes the parts of `trigger`; false (logged) when EventBridge did not take them all: the record is then
 * retried whole (a part sent twice is converged twice, which converge makes harmless).
 */
export async function requestParts(
  trigger: Trigger,
  deps: ConvergeDeps,
  logContext: Readonly<Record<string, unknown>> = {},
): Promise<boolean> {
  const parts = splitIntoParts(trigger);
  try {
    await deps.publisher.requestConverge(parts);
  } catch (error) {
    deps.logger.error('trigger not split', {
      ...logContext,
      triggerEventId: trigger.eventId,
      instances: trigger.instanceIds.length,
      error: error as Error,
    });
    return false;
  }
  deps.logger.info('trigger split', {
    ...logContext,
    triggerEventId: trigger.eventId,
    instances: trigger.instanceIds.length,
    parts: parts.length,
  });
  return true;
}
