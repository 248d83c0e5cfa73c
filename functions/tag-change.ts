/** Tag Change on Resource (EC2 instance, opt-in or override key changed) -> converge the instance. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { EventBridgeEvent } from 'aws-lambda';
import { loadConfig } from '../shared/config/config';
import { defaultDeps, handleTrigger, type ConvergeSummary } from '../shared/converge';
import { logger, metrics } from '../shared/observability';

interface TagChangeDetail {
  'changed-tag-keys': string[];
  service: string;
  'resource-type': string;
  version: number;
  tags: Record<string, string>;
}
type TagChangeEvent = EventBridgeEvent<'Tag Change on Resource', TagChangeDetail>;

const deps = defaultDeps(loadConfig(process.env));

export const handler = middy<TagChangeEvent, ConvergeSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event) => handleTrigger(event, deps));
