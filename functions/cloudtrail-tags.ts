/** AWS API Call via CloudTrail (CreateTags / DeleteTags) -> converge the instances it tagged. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { EventBridgeEvent } from 'aws-lambda';
import { loadConfig } from '../shared/config/config';
import { defaultDeps, handleTrigger, type ConvergeSummary } from '../shared/converge';
import { logger, metrics } from '../shared/observability';

type CloudTrailTagsEvent = EventBridgeEvent<'AWS API Call via CloudTrail', { eventName: string; requestParameters?: unknown }>;

const deps = defaultDeps(loadConfig(process.env));

export const handler = middy<CloudTrailTagsEvent, ConvergeSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event) => handleTrigger(event, deps));
