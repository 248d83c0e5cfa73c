/**
 * The ledger follows EC2 for hand-made sessions: learned so their numbers are avoided, forgotten once they are gone,
 * so a deleted hand-made session frees its slot and a terminated instance leaves nothing behind for the sweep.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Handler } from 'aws-lambda';
import type { ConvergeSummary } from '../../shared/converge';
import { createLambdaContext } from '../support/lambda-context';
import { Ec2Seeder, fixtureEvent, ledgerItem, setFunctionEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let nlbTargetId: string;
let instanceEvents: Handler<unknown, ConvergeSummary>;

function invoke(event: unknown): Promise<ConvergeSummary> {
  return instanceEvents(event, createLambdaContext(), () => undefined) as Promise<ConvergeSummary>;
}

function foreignSlotNumbers(item: Record<string, unknown> | undefined): number[] {
  const slots = Object.values((item?.slots ?? {}) as Record<string, { owner: string; sessionNumber: number }>);
  return slots.filter((slot) => slot.owner === 'foreign').map((slot) => slot.sessionNumber);
}

async function ledgerItemsOfInstance(instanceId: string): Promise<unknown[]> {
  const answer = await cloud.documents.send(
    new QueryCommand({
      TableName: cloud.table.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': `instance#${instanceId}` },
    }),
  );
  return answer.Items ?? [];
}

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  nlbTargetId = await seed.loadBalancerTarget();
  setFunctionEnvironment(cloud, { targetIds: [nlbTargetId], filterId });
  instanceEvents = (await import('../../functions/instance-events')).handler as Handler<unknown, ConvergeSummary>;
});

afterAll(async () => {
  await cloud.stop();
});

describe('converge keeps hand-made sessions in the ledger in step with EC2', () => {
  it('forgets a hand-made session deleted by hand, freeing its slot', async () => {
    // Arrange: a mirrored instance whose primary ENI also holds a hand-made session at number 1.
    const instance = await seed.launch({ tags: TAG });
    const eniId = instance.eniIds[0] as string;
    const handMadeId = await seed.handMadeSession(eniId, nlbTargetId, filterId, 1);
    await invoke(fixtureEvent('state-change-running', instance.instanceId));
    expect(foreignSlotNumbers(await ledgerItem(cloud, `eni#${eniId}`, 'slots'))).toEqual([1]);

    // Act: the operator deletes the hand-made session, then any trigger converges the instance.
    await seed.deleteSession(handMadeId);
    const summary = await invoke(fixtureEvent('state-change-running', instance.instanceId, 'second-look'));

    // Assert: our session stays, the hand-made slot is gone from the ledger.
    expect(summary).toMatchObject({ kept: 1, attached: 0, failed: 0 });
    expect(foreignSlotNumbers(await ledgerItem(cloud, `eni#${eniId}`, 'slots'))).toEqual([]);
  });

  it('leaves no ledger entry for a terminated instance whose ENI carried a hand-made session', async () => {
    // Arrange
    const instance = await seed.launch({ tags: TAG });
    await seed.handMadeSession(instance.eniIds[0] as string, nlbTargetId, filterId, 1);
    await invoke(fixtureEvent('state-change-running', instance.instanceId));
    expect(await ledgerItemsOfInstance(instance.instanceId)).toHaveLength(1);

    // Act: terminating deletes the ENI and every session on it.
    await seed.terminate(instance.instanceId);
    await invoke(fixtureEvent('state-change-terminated', instance.instanceId));

    // Assert: nothing keeps naming the instance, so the sweep stops visiting it.
    expect(await ledgerItemsOfInstance(instance.instanceId)).toEqual([]);
  });
});
