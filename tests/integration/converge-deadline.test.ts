/**
 * An invocation EC2 throttles to its deadline: the deployed handler (functions/instance-events) over the real SDK
 * against the simulator, dynalite and the local SQS endpoint. Before, such an invocation waited in its throttle line
 * until Lambda killed it at the timeout: nothing recorded, release holds left live (the stop's other event left its
 * sessions to it), and the records back only after the queue's 420-s visibility timeout (the x1 stop of the bench).
 */
import { sqsEvent, sqsRecord } from '@vpc-mirror-orchestrator/local-lambda';
import type { Handler, SQSBatchResponse } from 'aws-lambda';
import { ledgerProblems, OWNER_TAG } from '../../local/oracle';
import { createLambdaContext } from '../support/lambda-context';
import { Ec2Seeder, type Launched, sessionsOn, setFunctionEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';
import { QUEUE_ARN, sqsBatchOf, stateChangeEvent } from '../support/trigger-events';

const TAG = { 'traffic-mirror': 'true' };
/** The handler keeps 10 s to wrap up (functions/support/handlers.ts): 13 s left gives a deadline 3 s away. */
const REMAINING_MS = 13_000;

let cloud: TestCloud;
let instanceEvents: Handler<unknown, SQSBatchResponse>;
let fleet: Launched[];

const invoke = (event: unknown, remainingMs = 60_000) => {
  const deadline = Date.now() + remainingMs;
  const context = createLambdaContext('instance-events', { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) });
  return instanceEvents(event, context, () => undefined) as Promise<SQSBatchResponse>;
};
const managedOn = (instances: readonly Launched[]) =>
  sessionsOn(
    cloud,
    instances.flatMap((instance) => instance.eniIds),
  ).filter((session) => session.tags[OWNER_TAG]);

beforeAll(async () => {
  cloud = await startTestCloud();
  const seed = new Ec2Seeder(cloud);
  const filterId = await seed.filter();
  setFunctionEnvironment(cloud, { targetIds: [await seed.loadBalancerTarget()], filterId });
  instanceEvents = (await import('../../functions/instance-events')).handler as Handler<unknown, SQSBatchResponse>;
  fleet = await seed.launchMany(3, { tags: TAG });
  await invoke(sqsBatchOf(...fleet.map((instance) => stateChangeEvent(instance.instanceId, 'running'))));
});

afterAll(async () => {
  await cloud?.stop();
});

describe('an invocation EC2 throttles to its deadline', () => {
  it('hands its records on to its queue before its timeout, and the next invocation finishes the stop', async () => {
    expect(managedOn(fleet)).toHaveLength(3);
    for (const instance of fleet) await new Ec2Seeder(cloud).stop(instance.instanceId);
    cloud.sim.setFault('DeleteTrafficMirrorSession', { errorRate: 1, errorCode: 'RequestLimitExceeded' });
    const sentBefore = cloud.queue.stats().sent;

    const answer = await invoke(sqsBatchOf(...fleet.map((instance) => stateChangeEvent(instance.instanceId, 'stopping'))), REMAINING_MS);
    const handedOn = cloud.queue.messages().slice(-3);

    // Nothing failed, nothing deleted: the three records went back to the queue as new messages, visible at once.
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(managedOn(fleet)).toHaveLength(3);
    expect(cloud.queue.stats().sent - sentBefore).toBe(3);
    expect(handedOn.map((message) => JSON.parse(message.body).detail['instance-id']).sort()).toEqual(
      fleet.map((instance) => instance.instanceId).sort(),
    );
    expect(handedOn.map((message) => message.messageAttributes)).toEqual(
      handedOn.map(() => ({ 'mirror-hand-ons': { DataType: 'Number', StringValue: '1' } })),
    );

    // EC2 takes deletes again: the copies, delivered, stop the sessions at once (no release hold left live).
    cloud.sim.setFault('DeleteTrafficMirrorSession', undefined);
    const copies = handedOn.map((message) =>
      sqsRecord({ body: message.body, queueArn: QUEUE_ARN, messageAttributes: message.messageAttributes ?? {} }),
    );
    const delivered = await invoke(sqsEvent(copies));

    expect(delivered).toEqual({ batchItemFailures: [] });
    expect(managedOn(fleet)).toEqual([]);
    expect(cloud.bus.events.filter((event) => event.detailType === 'Mirror Session Detached')).toHaveLength(3);
    expect(await ledgerProblems({ documents: cloud.documents, tableName: cloud.table.tableName }, cloud.sim.snapshot())).toEqual([]);
  });

  it('fails a record handed on too many times as usual, so that SQS counts it towards its dead-letter queue', async () => {
    const [instance] = await new Ec2Seeder(cloud).launchMany(1, { tags: TAG });
    const running = instance as Launched;
    await invoke(sqsBatchOf(stateChangeEvent(running.instanceId, 'running')));
    await new Ec2Seeder(cloud).stop(running.instanceId);
    cloud.sim.setFault('DeleteTrafficMirrorSession', { errorRate: 1, errorCode: 'RequestLimitExceeded' });
    const record = sqsRecord({
      body: JSON.stringify(stateChangeEvent(running.instanceId, 'stopping')),
      queueArn: QUEUE_ARN,
      messageAttributes: { 'mirror-hand-ons': { DataType: 'Number', StringValue: '5' } },
    });
    const sentBefore = cloud.queue.stats().sent;

    const answer = await invoke(sqsEvent([record]), REMAINING_MS);
    cloud.sim.setFault('DeleteTrafficMirrorSession', undefined);

    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(cloud.queue.stats().sent).toBe(sentBefore);
  });

  it('hands on a record the hub deferred as often as that, its pacing count kept: each limit counts its own', async () => {
    const [instance] = await new Ec2Seeder(cloud).launchMany(1, { tags: TAG });
    const running = instance as Launched;
    await invoke(sqsBatchOf(stateChangeEvent(running.instanceId, 'running')));
    await new Ec2Seeder(cloud).stop(running.instanceId);
    cloud.sim.setFault('DeleteTrafficMirrorSession', { errorRate: 1, errorCode: 'RequestLimitExceeded' });
    const paced = { 'mirror-deferrals': { DataType: 'Number', StringValue: '5' } };
    const record = sqsRecord({
      body: JSON.stringify(stateChangeEvent(running.instanceId, 'stopping')),
      queueArn: QUEUE_ARN,
      messageAttributes: paced,
    });

    const answer = await invoke(sqsEvent([record]), REMAINING_MS);
    cloud.sim.setFault('DeleteTrafficMirrorSession', undefined);

    expect(answer).toEqual({ batchItemFailures: [] });
    expect(cloud.queue.messages().at(-1)?.messageAttributes).toEqual({
      ...paced,
      'mirror-hand-ons': { DataType: 'Number', StringValue: '1' },
    });
  });
});
