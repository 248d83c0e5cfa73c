/**
 * Tag Change on Resource (EC2 instance, opt-in or override key changed) -> converge the instance.
 * Fed by its SQS queue (a batch of events -> one converge, partial batch response); a direct EventBridge event
 * is converged on its own.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { convergeHandler } from './support/handlers';

interface TagChangeDetail {
  'changed-tag-keys': string[];
  service: string;
  'resource-type': string;
  version: number;
  tags: Record<string, string>;
}
type TagChangeEvent = EventBridgeEvent<'Tag Change on Resource', TagChangeDetail>;

export const handler = convergeHandler<TagChangeEvent>();
