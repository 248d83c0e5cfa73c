/**
 * Events that say more than EC2's Describe shows yet are read again after a delay, bounded, instead of being
 * acknowledged as a no-op: a new or newly tagged instance is mirrored within seconds even when EC2 is eventually
 * consistent; past the bound the record is acknowledged with a logged reason, never dead-lettered.
 */
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import type { SQSBatchResponse } from 'aws-lambda';
import { handleTriggerEvent } from '../../shared/lambda/batch';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { Ec2Seeder, sessionsOn, startTestCloud, type TestCloud } from '../support/test-cloud';
import { sqsBatchOf, stateChangeEvent, tagChangeEvent } from '../support/trigger-events';

const TAG = { 'traffic-mirror': 'true' };
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let targetId: string;
const wirings: Wiring[] = [];

function wiring(): Wiring {
  const made = wire(endpointsOf(cloud), { targetIds: [targetId], filterId });
  wirings.push(made);
  return made;
}

/** EC2 turns eventually consistent for new resources; what exists already (the target) is older than the window. */
async function eventuallyConsistent(windowMs: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  cloud.sim.setEventualConsistency(windowMs);
}

const ours = (eniIds: readonly string[]) => sessionsOn(cloud, eniIds).filter((s) => s.tags[OWNER_TAG] !== undefined);

beforeEach(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  targetId = await seed.interfaceTarget('eu-west-1a');
});

afterEach(async () => {
  for (const made of wirings.splice(0)) made.destroy();
  await cloud?.stop();
});

describe('events ahead of EC2 Describe', () => {
  it('mirrors an instance whose running event arrives before DescribeInstances lists it', async () => {
    await eventuallyConsistent(1_500);
    const instance = await seed.launch({ tags: TAG });

    const answer = (await handleTriggerEvent(
      sqsBatchOf(stateChangeEvent(instance.instanceId, 'running')),
      wiring().deps,
    )) as SQSBatchResponse;

    expect(answer.batchItemFailures).toEqual([]);
    expect(ours(instance.eniIds)).toHaveLength(1);
  });

  it('mirrors an instance whose tag-change event arrives before DescribeInstances shows the tag', async () => {
    const instance = await seed.launch({ tags: {} });
    const event = tagChangeEvent(instance.instanceId, ['traffic-mirror'], { Name: 'web-1', 'traffic-mirror': 'true' });
    // EC2 shows the tag a second after the event was delivered.
    const tagged = new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        cloud.ec2
          .send(new CreateTagsCommand({ Resources: [instance.instanceId], Tags: [{ Key: 'traffic-mirror', Value: 'true' }] }))
          .then(() => resolve(), reject);
      }, 1_000);
    });

    const answer = (await handleTriggerEvent(sqsBatchOf(event), wiring().deps)) as SQSBatchResponse;
    await tagged;

    expect(answer.batchItemFailures).toEqual([]);
    expect(ours(instance.eniIds)).toHaveLength(1);
  });

  it('converges the other records of the batch without waiting, and mirrors the lagging one too', async () => {
    const ready = await seed.launch({ tags: TAG });
    await eventuallyConsistent(1_000);
    const fresh = await seed.launch({ tags: TAG });
    const batch = sqsBatchOf(stateChangeEvent(ready.instanceId, 'running'), stateChangeEvent(fresh.instanceId, 'running'));

    const answer = (await handleTriggerEvent(batch, wiring().deps)) as SQSBatchResponse;

    expect(answer.batchItemFailures).toEqual([]);
    expect(ours([...ready.eniIds, ...fresh.eniIds])).toHaveLength(2);
  });

  it('mirrors an instance whose tag EC2 does not show yet to the read its tag-change event triggers', async () => {
    const instance = await seed.launch({ tags: {} });
    await eventuallyConsistent(1_000);
    await seed.tag(instance.instanceId, TAG);

    const answer = (await handleTriggerEvent(
      sqsBatchOf(tagChangeEvent(instance.instanceId, ['traffic-mirror'], { 'traffic-mirror': 'true' })),
      wiring().deps,
    )) as SQSBatchResponse;

    expect(answer.batchItemFailures).toEqual([]);
    expect(ours(instance.eniIds)).toHaveLength(1);
  });

  it('detaches an instance whose stop events arrive while DescribeInstances still shows it running', async () => {
    const instance = await seed.launch({ tags: TAG });
    const { deps } = wiring();
    await handleTriggerEvent(sqsBatchOf(stateChangeEvent(instance.instanceId, 'running')), deps);
    await eventuallyConsistent(1_000);
    await seed.stop(instance.instanceId);
    const mirroredBefore = ours(instance.eniIds).length;

    const answer = (await handleTriggerEvent(
      sqsBatchOf(stateChangeEvent(instance.instanceId, 'stopping'), stateChangeEvent(instance.instanceId, 'stopped')),
      deps,
    )) as SQSBatchResponse;

    expect(mirroredBefore).toBe(1);
    expect(answer.batchItemFailures).toEqual([]);
    expect(ours(instance.eniIds)).toEqual([]);
  });

  it('acknowledges the record with a logged reason once the bound is spent, and leaves the instance to the sweep', async () => {
    cloud.sim.setEventualConsistency(60_000);
    const instance = await seed.launch({ tags: TAG });
    const { deps } = wiring();
    const warn = jest.spyOn(deps.logger, 'warn');

    const answer = (await handleTriggerEvent(sqsBatchOf(stateChangeEvent(instance.instanceId, 'running')), deps)) as SQSBatchResponse;

    expect(answer.batchItemFailures).toEqual([]);
    expect(warn).toHaveBeenCalledWith(
      'read behind event: left to the sweep',
      expect.objectContaining({ instanceId: instance.instanceId, reason: expect.stringContaining('does not list the instance yet') }),
    );
    expect(ours(instance.eniIds)).toEqual([]);
  });
});
