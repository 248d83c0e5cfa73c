/**
 * AWS API Call via CloudTrail (CreateTags / DeleteTags) -> converge the instances it tagged.
 * Fed by its SQS queue (a batch of events -> one converge, partial batch response); a direct EventBridge event
 * is converged on its own.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { EventBridgeEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../shared/config/config';
import type { ConvergeSummary } from '../shared/converge';
import { defaultDeps } from '../shared/wiring/deps';
import { handleTriggerEvent } from '../shared/lambda/batch';
import { logger, metrics } from '../shared/observability';

type CloudTrailTagsEvent = EventBridgeEvent<'AWS API Call via CloudTrail', { eventName: string; requestParameters?: unknown }>;

const deps = defaultDeps(loadConfig(process.env));

export const handler = middy<CloudTrailTagsEvent | SQSEvent, SQSBatchResponse | ConvergeSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event) => handleTriggerEvent(event, deps));
