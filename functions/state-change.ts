/** EC2 Instance State-change Notification -> converge the instance. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { EventBridgeEvent } from 'aws-lambda';
import { loadConfig } from '../shared/config/config';
import { defaultDeps, handleTrigger, type ConvergeSummary } from '../shared/converge';
import { logger, metrics } from '../shared/observability';

type StateChangeEvent = EventBridgeEvent<'EC2 Instance State-change Notification', { 'instance-id': string; state: string }>;

const deps = defaultDeps(loadConfig(process.env));

export const handler = middy<StateChangeEvent, ConvergeSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event) => handleTrigger(event, deps));
