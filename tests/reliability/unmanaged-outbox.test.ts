/**
 * An unknown session's announcement is never lost and never repeated: it goes into the ledger's outbox before the
 * ledger remembers it as announced, so when EventBridge refuses it the outbox flush of a later sweep sends it, once,
 * and no later sweep announces the unchanged session again.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { OUTBOX_FLUSH_AFTER_MS } from '../../shared/converge/outbox';
import { sweep } from '../../shared/converge/sweep';
import { governanceDeps } from '../../shared/wiring/governance';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { TEST_SWEEP_SETTINGS as SETTINGS } from '../support/sweep-world';
import { Ec2Seeder, startTestCloud, type TestCloud } from '../support/test-cloud';

const DETECTED = 'Unmanaged Mirror Session Detected';

let cloud: TestCloud;
const wirings: Wiring[] = [];

beforeEach(async () => {
  cloud = await startTestCloud();
});

afterEach(async () => {
  for (const made of wirings.splice(0)) made.destroy();
  await cloud?.stop();
});

async function outboxActions(): Promise<unknown[]> {
  const answer = await cloud.documents.send(
    new QueryCommand({
      TableName: cloud.table.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'outbox' },
      ConsistentRead: true,
    }),
  );
  return (answer.Items ?? []).map((item) => item.action);
}

describe('unknown-session announcements', () => {
  it('are sent by a later sweep when EventBridge refused them, once, and not announced again', async () => {
    const seed = new Ec2Seeder(cloud);
    const filterId = await seed.filter();
    const poolTarget = await seed.loadBalancerTarget();
    const outsideTarget = await seed.interfaceTarget();
    const bystander = await seed.launch();
    const unknown = await seed.handMadeSession(bystander.eniIds[0] as string, outsideTarget, filterId, 1);
    const sweepAt = async (clockOffsetMs: number, eventId: string) => {
      const made = wire(endpointsOf(cloud), { targetIds: [poolTarget], filterId, clockOffsetMs });
      wirings.push(made);
      const clock = { now: () => new Date(Date.now() + clockOffsetMs) };
      const { unmanaged } = governanceDeps(made.deps.config, { ec2: cloud.ec2, documents: cloud.documents }, clock);
      return sweep({ eventId }, made.deps, { ledger: made.sweepLedger, settings: SETTINGS, unmanaged });
    };

    cloud.bus.failNextEntries(1_000);
    const refused = await sweepAt(0, 'sweep-1');
    cloud.bus.failNextEntries(0);
    const leftInOutbox = await outboxActions();
    await sweepAt(OUTBOX_FLUSH_AFTER_MS + 1_000, 'sweep-2');
    await sweepAt(OUTBOX_FLUSH_AFTER_MS + 2_000, 'sweep-3');

    expect(refused).toMatchObject({ unmanagedSessions: 1, unmanagedAnnounced: 1 });
    expect(leftInOutbox).toEqual(['detect']);
    const detected = cloud.bus.events.filter((event) => event.detailType === DETECTED);
    expect(detected.map((event) => [event.detail['sessionId'], event.detail['triggerEventId']])).toEqual([[unknown, 'sweep-1']]);
    expect(await outboxActions()).toEqual([]);
  });
});
