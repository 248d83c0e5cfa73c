/**
 * The state-change handler fed by its SQS queue: a batch of records is one converge (one read of EC2 for all of
 * them), and the partial batch response names only the records that must come back.
 */

import { Ec2Error } from '@vpc-mirror-orchestrator/ec2-sim';
import { sqsEvent, sqsRecord } from '@vpc-mirror-orchestrator/local-lambda';
import type { Handler, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { CATCH_UP_DELAYS_MS } from '../../shared/lambda/catch-up';
import { createLambdaContext } from '../support/lambda-context';
import {
  Ec2Seeder,
  fixtureEvent,
  historyOf,
  type Launched,
  sessionsOn,
  setFunctionEnvironment,
  startTestCloud,
  type TestCloud,
} from '../support/test-cloud';

const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:111122223333:vpc-mirror-orchestrator-test-instanceEvents';
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';
const UNKNOWN_INSTANCE = 'i-0123456789abcdef0';

let cloud: TestCloud;
let seed: Ec2Seeder;
let instanceEvents: Handler<unknown, SQSBatchResponse>;
let sequence = 0;

function runningRecord(instanceId: string): { record: SQSRecord; eventId: string } {
  sequence += 1;
  const eventId = `batch-event-${sequence}`;
  return {
    record: sqsRecord({ queueArn: QUEUE_ARN, body: JSON.stringify(fixtureEvent('state-change-running', instanceId, eventId)) }),
    eventId,
  };
}

function invoke(records: readonly SQSRecord[]): Promise<SQSBatchResponse> {
  return instanceEvents(sqsEvent(records), createLambdaContext(), () => undefined) as Promise<SQSBatchResponse>;
}

async function launchTagged(count: number, type = 'm5.large'): Promise<Launched[]> {
  const launched: Launched[] = [];
  for (let i = 0; i < count; i += 1) launched.push(await seed.launch({ type, tags: { 'traffic-mirror': 'true' } }));
  return launched;
}

function managedSessionsOn(eniIds: readonly string[]) {
  return sessionsOn(cloud, eniIds).filter((session) => session.tags[OWNER_TAG] !== undefined);
}

function callTotals(): Record<string, number> {
  return Object.fromEntries(Object.entries(cloud.sim.calls()).map(([action, count]) => [action, count.total]));
}

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  const filterId = await seed.filter();
  const targetId = await seed.loadBalancerTarget();
  setFunctionEnvironment(cloud, { targetIds: [targetId], filterId });
  instanceEvents = (await import('../../functions/instance-events')).handler as Handler<unknown, SQSBatchResponse>;
});

afterAll(async () => {
  await cloud?.stop();
});

describe('instance-events handler fed by its SQS queue', () => {
  it('converges a batch of 10 with one read of EC2 and reports only the malformed record', async () => {
    const instances = await launchTagged(8);
    const good = instances.map((instance) => runningRecord(instance.instanceId));
    const unknown = runningRecord(UNKNOWN_INSTANCE);
    const malformed = sqsRecord({
      queueArn: QUEUE_ARN,
      body: JSON.stringify({ ...fixtureEvent('state-change-running', 'i-nope', 'malformed-1') }),
    });
    cloud.sim.resetCalls();

    const response = await invoke([
      ...good.slice(0, 4).map((g) => g.record),
      malformed,
      unknown.record,
      ...good.slice(4).map((g) => g.record),
    ]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: malformed.messageId }] });
    const eniIds = instances.flatMap((instance) => instance.eniIds);
    expect(
      managedSessionsOn(eniIds)
        .map((session) => session.networkInterfaceId)
        .sort(),
    ).toEqual([...eniIds].sort());
    const calls = callTotals();
    // One read for the batch, asked again without the id EC2 says it does not know (InvalidInstanceID.NotFound);
    // the unknown instance's event says `running`, so it alone (no ENIs, no sessions to list) is read again after
    // each catch-up delay (EC2 may not list a new instance yet), then left to the sweep.
    expect(calls['DescribeInstances']).toBe(2 + CATCH_UP_DELAYS_MS.length);
    expect(calls['DescribeTrafficMirrorSessions']).toBe(1);
    expect(calls['CreateTrafficMirrorSession']).toBe(8);
    // Each instance's decisions carry the id of the event that named it.
    const history = await historyOf(cloud, instances[5]?.instanceId as string);
    expect(history.map((item) => item['triggerEventId'])).toEqual([good[5]?.eventId]);
  });

  it('retries only the record naming an instance whose converge failed; a refusal is an outcome', async () => {
    const [healthy, broken] = await launchTagged(2);
    const [unsupported] = await launchTagged(1, 't2.micro');
    const brokenEni = broken?.eniIds[0] as string;
    const removeHook = cloud.sim.hook('CreateTrafficMirrorSession', 'before', (params) => {
      // Failing on every attempt the SDK makes: the failure outlives its retries and reaches converge.
      if (params['NetworkInterfaceId'] === brokenEni) throw new Ec2Error('InternalError', 'An internal error has occurred.', 500);
    });
    const records = [healthy, broken, unsupported].map((instance) => runningRecord(instance?.instanceId as string).record);

    let response: SQSBatchResponse;
    try {
      response = await invoke(records);
    } finally {
      removeHook();
    }

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.messageId }] });
    expect(managedSessionsOn(healthy?.eniIds ?? [])).toHaveLength(1);
    expect(managedSessionsOn([brokenEni])).toEqual([]);
    expect(managedSessionsOn(unsupported?.eniIds ?? [])).toEqual([]);

    // The record comes back (SQS redelivers it): now it converges.
    expect(await invoke([records[1] as SQSRecord])).toEqual({ batchItemFailures: [] });
    expect(managedSessionsOn([brokenEni])).toHaveLength(1);
  });

  it('acknowledges a record whose create EC2 refuses for good at the account quota: nothing comes back, nothing is dead-lettered', async () => {
    const [instance] = await launchTagged(1);
    cloud.sim.setLimits({ sessionsPerAccount: cloud.sim.snapshot().sessions.length });
    const { record } = runningRecord(instance?.instanceId as string);
    cloud.sim.resetCalls();

    let response: SQSBatchResponse;
    try {
      response = await invoke([record]);
    } finally {
      cloud.sim.setLimits({ sessionsPerAccount: 10_000 });
    }

    expect(response).toEqual({ batchItemFailures: [] });
    expect(managedSessionsOn(instance?.eniIds ?? [])).toEqual([]);
    expect(cloud.sim.calls()['CreateTrafficMirrorSession']?.errors).toMatchObject({ TrafficMirrorSessionLimitExceeded: 1 });
  });

  it('converges an instance named by several records of the batch once; those and an ignored event succeed', async () => {
    const [instance] = await launchTagged(1);
    const first = runningRecord(instance?.instanceId as string);
    const second = runningRecord(instance?.instanceId as string);
    const otherKey = fixtureEvent('tag-change-added', instance?.instanceId as string, 'unrelated-tag');
    const ignored = sqsRecord({
      queueArn: QUEUE_ARN,
      body: JSON.stringify({ ...otherKey, detail: { ...(otherKey['detail'] as object), 'changed-tag-keys': ['owner'] } }),
    });
    cloud.sim.resetCalls();

    const response = await invoke([first.record, ignored, second.record]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(managedSessionsOn(instance?.eniIds ?? [])).toHaveLength(1);
    expect(callTotals()['CreateTrafficMirrorSession']).toBe(1);
  });

  it('fails the whole batch when EC2 cannot be read', async () => {
    const [instance] = await launchTagged(1);
    const removeHook = cloud.sim.hook('DescribeInstances', 'before', () => {
      throw new Ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.');
    });

    try {
      await expect(invoke([runningRecord(instance?.instanceId as string).record])).rejects.toThrow(/UnauthorizedOperation|not authorized/);
    } finally {
      removeHook();
    }
    expect(managedSessionsOn(instance?.eniIds ?? [])).toEqual([]);
  });

  it('mirrors 25 instances in batches of 10 with at most 2 EC2 calls per attached session', async () => {
    const instances = await launchTagged(25);
    const records = instances.map((instance) => runningRecord(instance.instanceId).record);
    cloud.sim.resetCalls();

    const responses = await Promise.all([invoke(records.slice(0, 10)), invoke(records.slice(10, 20)), invoke(records.slice(20))]);

    expect(responses.flatMap((response) => response.batchItemFailures)).toEqual([]);
    const eniIds = instances.flatMap((instance) => instance.eniIds);
    const sessions = managedSessionsOn(eniIds);
    expect(sessions).toHaveLength(25);
    const calls = callTotals();
    const total = Object.values(calls).reduce((sum, count) => sum + count, 0);
    // Recorded for the report; the bound is a count, not a timing.
    console.info(`25 instances in 3 SQS batches: ${total} EC2 calls for ${sessions.length} sessions: ${JSON.stringify(calls)}`);
    expect(calls['DescribeInstances']).toBe(3);
    expect(total / sessions.length).toBeLessThanOrEqual(2);
  });
});
