/**
 * Every minute (EventBridge Scheduler): end the mirroring of instances whose end-time tag falls before the next
 * tick, at their end time. The payload is not read: a tick means "look now", whatever the scheduler sends.
 */
import { endDueWindows, type WindowEndSummary } from '../shared/converge/window-end';
import { governanceDeps } from '../shared/wiring/governance';
import { lambdaHandler } from './support/handlers';

export const handler = lambdaHandler<unknown, WindowEndSummary>(async (_event, context, deps) => {
  const trigger = { eventId: `window-end-${context.awsRequestId}` };
  const summary = await endDueWindows(trigger, deps, governanceDeps(deps.config).inventory);
  deps.logger.info('windows ended', { triggerEventId: trigger.eventId, instances: summary.instanceIds.length, detached: summary.detached });
  return summary;
});
