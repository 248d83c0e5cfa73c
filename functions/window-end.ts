/**
 * Every minute (EventBridge Scheduler): end the mirroring of instances whose end-time tag falls before the next
 * tick, at their end time. One account and Region: the payload is not read (a tick means "look now"). The hub of an
 * organization: every (account, Region) of its document, or the one the payload names
 * (shared/lambda/organization-window-end.ts).
 */
import { endDueWindows, type WindowEndSummary } from '../shared/converge/window-end';
import { endOrganizationWindows, type ScopeWindowEnd } from '../shared/lambda/organization-window-end';
import { logger } from '../shared/observability';
import { governanceDeps } from '../shared/wiring/governance';
import { lambdaHandler, organizationFromEnvironment, organizationHandler } from './support/handlers';

function singleAccountHandler() {
  return lambdaHandler<unknown, WindowEndSummary>(async (_event, context, deps) => {
    const trigger = { eventId: `window-end-${context.awsRequestId}` };
    const summary = await endDueWindows(trigger, deps, governanceDeps(deps.config).inventory);
    deps.logger.info('windows ended', {
      triggerEventId: trigger.eventId,
      instances: summary.instanceIds.length,
      detached: summary.detached,
    });
    return summary;
  });
}

function organizationWindowEndHandler() {
  const organization = organizationFromEnvironment();
  if (organization === undefined) return undefined;
  return organizationHandler<unknown, readonly ScopeWindowEnd[]>((event, context) =>
    endOrganizationWindows(event, { eventId: `window-end-${context.awsRequestId}` }, { organization, logger }),
  );
}

export const handler = organizationWindowEndHandler() ?? singleAccountHandler();
