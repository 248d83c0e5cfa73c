/**
 * EC2 Instance State-change Notification and Tag Change on Resource (EC2 instance, opt-in or override key changed)
 * -> converge the instance. Both rules feed one SQS queue, so the `running` event and the launch-time tag change of
 * one instance usually share a batch and the instance is converged once (a batch of events -> one converge, partial
 * batch response); a direct EventBridge event is converged on its own.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { EventBridgeEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../shared/config/config';
import { defaultDeps, type ConvergeSummary } from '../shared/converge';
import { handleTriggerEvent } from '../shared/converge/batch';
import { logger, metrics } from '../shared/observability';

type StateChangeEvent = EventBridgeEvent<'EC2 Instance State-change Notification', { 'instance-id': string; state: string }>;

interface TagChangeDetail {
  'changed-tag-keys': string[];
  service: string;
  'resource-type': string;
  version: number;
  tags: Record<string, string>;
}
type TagChangeEvent = EventBridgeEvent<'Tag Change on Resource', TagChangeDetail>;

const deps = defaultDeps(loadConfig(process.env));

export const handler = middy<StateChangeEvent | TagChangeEvent | SQSEvent, SQSBatchResponse | ConvergeSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event) => handleTriggerEvent(event, deps));
