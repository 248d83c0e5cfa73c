/**
 * AWS API Call via CloudTrail (CreateTags / DeleteTags) -> converge the instances it tagged.
 * Fed by its SQS queue (a batch of events -> one converge, partial batch response); a direct EventBridge event
 * is converged on its own.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { convergeHandler } from './support/handlers';

type CloudTrailTagsEvent = EventBridgeEvent<'AWS API Call via CloudTrail', { eventName: string; requestParameters?: unknown }>;

export const handler = convergeHandler<CloudTrailTagsEvent>();
