/**
 * A trigger naming more instances than one invocation can converge is split into parts (one Converge Instances
 * Requested event each, on the default bus), and every part is converged by its own invocation, within the bound.
 */
import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse } from 'aws-lambda';
import { handleTriggerEvent } from '../../shared/lambda/batch';
import { MAX_INSTANCES_PER_INVOCATION } from '../../shared/lambda/split';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import type { PublishedEvent } from '../support/event-bus';
import { Ec2Seeder, historyOf, type Launched, sessionsOn, startTestCloud, type TestCloud } from '../support/test-cloud';
import { cloudTrailCreateTagsEvent, sqsBatchOf } from '../support/trigger-events';

const TAG = { 'traffic-mirror': 'true' };
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';

let cloud: TestCloud;
let seed: Ec2Seeder;
let wiring: Wiring;

const ours = () => sessionsOn(cloud).filter((s) => s.tags[OWNER_TAG] !== undefined);
const parts = () => cloud.bus.events.filter((event) => event.detailType === 'Converge Instances Requested');
const creates = () => cloud.sim.calls().CreateTrafficMirrorSession?.total ?? 0;

async function launchTagged(count: number): Promise<Launched[]> {
  const launched: Launched[] = [];
  for (let i = 0; i < count; i += 1) launched.push(await seed.launch({ tags: TAG }));
  return launched;
}

/** The event EventBridge delivers for a captured PutEvents entry. */
function delivered(entry: PublishedEvent) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.detailType,
    source: entry.source,
    account: '111122223333',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: [],
    detail: entry.detail,
  };
}

async function handle(...events: unknown[]): Promise<SQSBatchResponse> {
  return (await handleTriggerEvent(sqsBatchOf(...events), wiring.deps)) as SQSBatchResponse;
}

beforeEach(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  const filterId = await seed.filter();
  const targetId = await seed.loadBalancerTarget();
  wiring = wire(endpointsOf(cloud), { targetIds: [targetId], filterId });
});

afterEach(async () => {
  wiring?.destroy();
  await cloud?.stop();
});

describe('a trigger too large for one invocation', () => {
  it('is split into parts of at most the bound, one event each on the default bus, and its record is acknowledged', async () => {
    const fleet = await launchTagged(60);
    const ids = fleet.map((instance) => instance.instanceId);
    cloud.sim.resetCalls();

    const answer = await handle(cloudTrailCreateTagsEvent(ids, TAG, 'ct-1000'));

    expect(answer.batchItemFailures).toEqual([]);
    expect(creates()).toBe(0);
    expect(parts().map((part) => (part.detail.instanceIds as string[]).length)).toEqual([25, 25, 10]);
    expect(parts().flatMap((part) => part.detail.instanceIds as string[])).toEqual(ids);
    expect(parts().map((part) => part.eventBusName)).toEqual(['default', 'default', 'default']);
    expect(parts().map((part) => part.detail)).toEqual(
      [1, 2, 3].map((part) => expect.objectContaining({ parentEventId: 'ct-1000', part, parts: 3 })),
    );
  });

  it('has every part converged by its own invocation within the bound, so the whole fleet ends mirrored', async () => {
    const fleet = await launchTagged(60);
    await handle(
      cloudTrailCreateTagsEvent(
        fleet.map((instance) => instance.instanceId),
        TAG,
        'ct-1000',
      ),
    );

    const perInvocation: number[] = [];
    for (const part of parts()) {
      const before = creates();
      const answer = await handle(delivered(part));
      expect(answer.batchItemFailures).toEqual([]);
      perInvocation.push(creates() - before);
    }

    expect(perInvocation).toEqual([25, 25, 10]);
    expect(ours()).toHaveLength(60);
    const history = await historyOf(cloud, fleet[30]?.instanceId as string);
    expect(history.map((item) => item.triggerEventId)).toEqual(['ct-1000#part-2-of-3']);
  });

  it('is split the same way when it comes as a direct EventBridge event, without converging anything itself', async () => {
    const fleet = await launchTagged(MAX_INSTANCES_PER_INVOCATION + 1);
    cloud.sim.resetCalls();

    const summary = await handleTriggerEvent(
      cloudTrailCreateTagsEvent(
        fleet.map((instance) => instance.instanceId),
        TAG,
        'ct-direct',
      ),
      wiring.deps,
    );

    expect(summary).toMatchObject({ attached: 0, failed: 0 });
    expect(creates()).toBe(0);
    expect(parts().map((part) => (part.detail.instanceIds as string[]).length)).toEqual([MAX_INSTANCES_PER_INVOCATION, 1]);
  });

  it('in a batch, converges records in place up to the bound and splits the record that would pass it', async () => {
    const fleet = await launchTagged(MAX_INSTANCES_PER_INVOCATION + 5);
    const first = fleet.slice(0, 20).map((instance) => instance.instanceId);
    const second = fleet.slice(20).map((instance) => instance.instanceId);
    cloud.sim.resetCalls();

    const answer = await handle(cloudTrailCreateTagsEvent(first, TAG, 'ct-a'), cloudTrailCreateTagsEvent(second, TAG, 'ct-b'));

    expect(answer.batchItemFailures).toEqual([]);
    expect(creates()).toBe(first.length);
    expect(parts().map((part) => part.detail)).toEqual([
      expect.objectContaining({ parentEventId: 'ct-b', instanceIds: second, part: 1, parts: 1 }),
    ]);
  });
});
