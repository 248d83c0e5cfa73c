/**
 * Every minute (EventBridge Scheduler): end the mirroring of instances whose end-time tag falls before the next
 * tick, at their end time. The payload is not read: a tick means "look now", whatever the scheduler sends.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../shared/config/config';
import { ec2 } from '../shared/aws/clients';
import { createInventory } from '../shared/aws/inventory';
import { defaultDeps } from '../shared/converge';
import { endDueWindows, type WindowEndSummary } from '../shared/converge/window-end';
import { logger, metrics } from '../shared/observability';

const config = loadConfig(process.env);
const deps = defaultDeps(config);
const inventory = createInventory({ client: ec2(), ownerId: config.ownerId });

export const handler = middy<unknown, WindowEndSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (_event: unknown, context: Context) => {
    const trigger = { eventId: `window-end-${context.awsRequestId}` };
    const summary = await endDueWindows(trigger, deps, inventory);
    logger.info('windows ended', { triggerEventId: trigger.eventId, instances: summary.instanceIds.length, detached: summary.detached });
    return summary;
  });
