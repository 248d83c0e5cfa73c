/**
 * EC2 Instance State-change Notification and Tag Change on Resource (EC2 instance, opt-in or override key changed)
 * -> converge the instance. Both rules feed one SQS queue, so the `running` event and the launch-time tag change of
 * one instance usually share a batch and the instance is converged once (a batch of events -> one converge, partial
 * batch response); a direct EventBridge event is converged on its own.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { convergeHandler } from './support/handlers';

type StateChangeEvent = EventBridgeEvent<'EC2 Instance State-change Notification', { 'instance-id': string; state: string }>;

interface TagChangeDetail {
  'changed-tag-keys': string[];
  service: string;
  'resource-type': string;
  version: number;
  tags: Record<string, string>;
}
type TagChangeEvent = EventBridgeEvent<'Tag Change on Resource', TagChangeDetail>;

export const handler = convergeHandler<StateChangeEvent | TagChangeEvent>();
