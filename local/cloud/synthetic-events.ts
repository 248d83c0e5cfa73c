/** Events the local cloud makes itself: what EventBridge delivers for a schedule, and a probe for CloudTrail rules. */
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@vpc-mirror-orchestrator/local-lambda';

export const DEFAULT_ACCOUNT = '111122223333';

/** What EventBridge delivers for a schedule rule. */
export function scheduledEvent(ruleName: string, region: string, accountId: string): EventEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${accountId}:rule/${ruleName}`],
    detail: {},
  };
}

/** A CloudTrail CreateTags event: does any rule want CloudTrail events (then the simulator emits them)? */
export function cloudTrailProbe(): EventEnvelope {
  return {
    version: '0',
    id: 'probe',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: DEFAULT_ACCOUNT,
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { eventSource: 'ec2.amazonaws.com', eventName: 'CreateTags' },
  };
}
