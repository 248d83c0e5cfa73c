/**
 * What every event handler does: parse the trigger, converge the instances it names, log the outcome.
 * A malformed event is logged once with its id and rethrown (Lambda's bounded retries, then the on-failure
 * destination); an understood event that concerns nothing we manage is a logged no-op. This is the direct
 * (EventBridge -> function) path; batches from the function's queue go through batch.ts.
 */

import { applyPlans, type ConvergeSummary } from '../converge/converge';
import type { ConvergeDeps } from '../converge/ports';
import { readAndPlan } from '../converge/read-and-plan';
import { InvalidEventError, RetryableError } from '../domain/errors';
import { parseTrigger, readEventTime, type Trigger } from '../domain/events';
import { catchUp, logLeftToSweep, partitionByClaims } from './catch-up';
import { mustSplit, requestParts } from './split';

const NOTHING_DONE: ConvergeSummary = { attached: 0, detached: 0, refused: 0, skipped: 0, kept: 0, failed: 0, decisions: [] };

/** @param logContext extra fields for the 'invalid event' line (an SQS record's messageId). */
export function readTrigger(event: unknown, deps: ConvergeDeps, logContext: Readonly<Record<string, unknown>> = {}): Trigger {
  try {
    const eventTime = readEventTime(event);
    const trigger = parseTrigger(event, {
      tagKey: deps.config.tagKey,
      overrideTagKeys: [
        deps.config.targetOverrideTagKey,
        deps.config.filterOverrideTagKey,
        // Setting, extending or removing an end time changes what the instance should have now.
        ...(deps.config.untilTagKey !== undefined ? [deps.config.untilTagKey] : []),
      ],
    });
    return eventTime === undefined ? trigger : { ...trigger, eventTime };
  } catch (error) {
    if (error instanceof InvalidEventError) {
      deps.logger.error('invalid event', { ...logContext, eventId: error.eventId ?? 'unknown', reason: error.message });
    }
    throw error;
  }
}

function logOutcome(trigger: Trigger, summary: ConvergeSummary, deps: ConvergeDeps): void {
  const { decisions, ...counts } = summary;
  deps.logger.info('converged', { triggerEventId: trigger.eventId, kind: trigger.kind, instances: trigger.instanceIds.length, ...counts });
}

export async function handleTrigger(event: unknown, deps: ConvergeDeps): Promise<ConvergeSummary> {
  const trigger = readTrigger(event, deps);
  if (trigger.ignoredReason !== undefined) {
    deps.logger.info('event ignored', { triggerEventId: trigger.eventId, kind: trigger.kind, reason: trigger.ignoredReason });
    return NOTHING_DONE;
  }
  if (mustSplit(trigger, new Set())) {
    // Too large for one invocation: handed on in parts (split.ts); failing to do so fails the invocation.
    if (!(await requestParts(trigger, deps))) throw new RetryableError(`could not split trigger ${trigger.eventId} into parts`);
    return NOTHING_DONE;
  }
  // converge, with instances whose read is behind the event read again first (catch-up.ts).
  const claimsOf = () => trigger.claims;
  const { ready, lagging } = partitionByClaims(await readAndPlan(trigger.instanceIds, deps), claimsOf);
  const caught = await catchUp(lagging, claimsOf, deps);
  logLeftToSweep(caught.behind, () => trigger.eventId, deps);
  const summary = await applyPlans([...ready, ...caught.plans], trigger, deps);
  logOutcome(trigger, summary, deps);
  return summary;
}
