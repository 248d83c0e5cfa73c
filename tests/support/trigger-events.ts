/**
 * Trigger events built in code, in the shapes EventBridge delivers (EC2 state change, Tag Change on Resource,
 * CloudTrail CreateTags), and SQS batches carrying them as Lambda's event source mapping does.
 */
import { randomUUID } from 'node:crypto';
import { sqsEvent, sqsRecord } from '@vpc-mirror-orchestrator/local-lambda';
import type { ScheduledEvent, SQSEvent } from 'aws-lambda';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const instanceArn = (instanceId: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`;

function envelope(detailType: string, source: string, resources: string[], detail: Record<string, unknown>, id?: string) {
  return {
    version: '0',
    id: id ?? randomUUID(),
    'detail-type': detailType,
    source,
    account: ACCOUNT,
    time: new Date().toISOString(),
    region: REGION,
    resources,
    detail,
  };
}

export function stateChangeEvent(instanceId: string, state: string, id?: string) {
  return envelope('EC2 Instance State-change Notification', 'aws.ec2', [instanceArn(instanceId)], { 'instance-id': instanceId, state }, id);
}

/** `tags` are the resource's tags after the change, as the event carries them. */
export function tagChangeEvent(instanceId: string, changedKeys: string[], tags: Record<string, string>, id?: string) {
  return envelope(
    'Tag Change on Resource',
    'aws.tag',
    [instanceArn(instanceId)],
    { 'changed-tag-keys': changedKeys, service: 'ec2', 'resource-type': 'instance', version: 2, tags },
    id,
  );
}

export function cloudTrailCreateTagsEvent(instanceIds: readonly string[], tags: Record<string, string>, id?: string) {
  return envelope(
    'AWS API Call via CloudTrail',
    'aws.ec2',
    [],
    {
      eventVersion: '1.08',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'CreateTags',
      awsRegion: REGION,
      requestParameters: {
        resourcesSet: { items: instanceIds.map((resourceId) => ({ resourceId })) },
        tagSet: { items: Object.entries(tags).map(([key, value]) => ({ key, value })) },
      },
      responseElements: { _return: true },
      eventID: randomUUID(),
      eventType: 'AwsApiCall',
    },
    id,
  );
}

/** The queue sqsBatchOf's records come from (the test cloud serves it: the hub may send deferred records back). */
export const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:trigger-queue`;

/** One SQS batch carrying these events, as the event source mapping delivers it. */
export function sqsBatchOf(...events: unknown[]): SQSEvent {
  return sqsEvent(events.map((event) => sqsRecord({ body: JSON.stringify(event), queueArn: QUEUE_ARN })));
}

/** The sweep's schedule tick as EventBridge sends it in the hub's account and Region (`id` orders the scopes). */
export function scheduledTick(id: string, account: string, region: string): ScheduledEvent {
  return {
    id,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    region,
    time: new Date().toISOString(),
    resources: [],
    detail: {},
    version: '0',
  };
}
