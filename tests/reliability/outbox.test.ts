/**
 * Outcome events are never lost when PutEvents fails after a successful change: each event is in the ledger's
 * outbox with its change, and the sweep or the next invocation sends what a failed publish left, at least once,
 * under a stable outcomeId.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { converge } from '../../shared/converge';
import { OUTBOX_FLUSH_AFTER_MS } from '../../shared/converge/outbox';
import { sweep } from '../../shared/converge/sweep';
import { handleTriggerEvent } from '../../shared/lambda/batch';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { TEST_SWEEP_SETTINGS as SETTINGS } from '../support/sweep-world';
import { Ec2Seeder, startTestCloud, type TestCloud } from '../support/test-cloud';
import { stateChangeEvent } from '../support/trigger-events';

const TAG = { 'traffic-mirror': 'true' };
const LATER_MS = OUTBOX_FLUSH_AFTER_MS + 1_000;

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let targetId: string;
const wirings: Wiring[] = [];

function wiring(clockOffsetMs = 0): Wiring {
  const made = wire(endpointsOf(cloud), { targetIds: [targetId], filterId, clockOffsetMs });
  wirings.push(made);
  return made;
}

async function outbox(): Promise<Record<string, unknown>[]> {
  const answer = await cloud.documents.send(
    new QueryCommand({
      TableName: cloud.table.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'outbox' },
      ConsistentRead: true,
    }),
  );
  return answer.Items ?? [];
}

const attachedEvents = () => cloud.bus.events.filter((event) => event.detailType === 'Mirror Session Attached');

/** Converges `instanceId` while EventBridge refuses every entry; the change itself succeeds. */
async function convergeWhileEventBridgeFails(instanceId: string): Promise<void> {
  cloud.bus.failNextEntries(1_000);
  await converge([instanceId], { eventId: 'evt-change' }, wiring().deps).catch(() => undefined);
  cloud.bus.failNextEntries(0);
}

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

describe('outcome events, at least once', () => {
  it('sends the Attached event of a change made while PutEvents failed, from the next sweep, once', async () => {
    const instance = await seed.launch({ tags: TAG });
    await convergeWhileEventBridgeFails(instance.instanceId);
    expect(attachedEvents()).toEqual([]);
    const kept = await outbox();
    expect(kept).toHaveLength(1);

    const later = wiring(LATER_MS);
    const run = await sweep({ eventId: 'sweep-later' }, later.deps, { ledger: later.sweepLedger, settings: SETTINGS });
    await sweep({ eventId: 'sweep-again' }, later.deps, { ledger: later.sweepLedger, settings: SETTINGS });

    expect(run.outboxFlushed).toBe(1);
    expect(attachedEvents()).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({
          action: 'attach',
          instanceId: instance.instanceId,
          triggerEventId: 'evt-change',
          outcomeId: kept[0]?.outcomeId,
          at: kept[0]?.at,
        }),
      }),
    ]);
    expect(await outbox()).toEqual([]);
  });

  it('sends what a failed publish left from the next event handler invocation, whatever that invocation is about', async () => {
    const instance = await seed.launch({ tags: TAG });
    const other = await seed.launch({ tags: {} });
    await convergeWhileEventBridgeFails(instance.instanceId);

    await handleTriggerEvent(stateChangeEvent(other.instanceId, 'running'), wiring(LATER_MS).deps);

    expect(attachedEvents().map((event) => event.detail.instanceId)).toEqual([instance.instanceId]);
    expect(await outbox()).toEqual([]);
  });

  it('leaves a recent entry to the run that wrote it (no early duplicate)', async () => {
    const instance = await seed.launch({ tags: TAG });
    const other = await seed.launch({ tags: {} });
    await convergeWhileEventBridgeFails(instance.instanceId);

    await handleTriggerEvent(stateChangeEvent(other.instanceId, 'running'), wiring().deps);

    expect(attachedEvents()).toEqual([]);
    expect(await outbox()).toHaveLength(1);
  });

  it('publishes at once and keeps nothing in the outbox when EventBridge takes the events', async () => {
    const instance = await seed.launch({ tags: TAG, interfaces: 2 });

    await converge([instance.instanceId], { eventId: 'evt-ok' }, wiring().deps);

    const ids = attachedEvents().map((event) => event.detail.outcomeId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(await outbox()).toEqual([]);
  });
});
