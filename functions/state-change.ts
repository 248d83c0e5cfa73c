/**
 * EC2 Instance State-change Notification -> converge the instance.
 * Fed by its SQS queue (a batch of events -> one converge, partial batch response); a direct EventBridge event
 * is converged on its own.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { convergeHandler } from './support/handlers';

type StateChangeEvent = EventBridgeEvent<'EC2 Instance State-change Notification', { 'instance-id': string; state: string }>;

export const handler = convergeHandler<StateChangeEvent>();
