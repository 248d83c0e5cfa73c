/**
 * The sweep reads what it needs (issue 12, item 4): what a run reads from the ledger follows the instances, ENIs and
 * targets it tracks, not the history the table has piled up; and it reads the account's sessions once a run. Real
 * adapters over HTTP against the simulator and dynalite; DynamoDB reads counted by a middleware on the client, EC2
 * calls by the simulator's counters.
 */

import { CreateTrafficMirrorSessionCommand } from '@aws-sdk/client-ec2';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { announcementKey } from '../../shared/aws/ledger/announcements';
import { decisionsKey, historyKey } from '../../shared/aws/ledger/keys';
import { type SweepContext, sweep } from '../../shared/converge/sweep';
import { chunks } from '../../shared/util/chunks';
import { governanceDeps } from '../../shared/wiring/governance';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { type DynamoReadCounter, startDynamoReadCounter } from '../support/dynamo-read-counter';
import { TEST_SWEEP_SETTINGS as SWEEP_SETTINGS } from '../support/sweep-world';
import { Ec2Seeder, startTestCloud, type TestCloud } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
const HISTORY_ITEMS = 2_000;
const BATCH_WRITE_LIMIT = 25;

let cloud: TestCloud;
let seed: Ec2Seeder;
let counter: DynamoReadCounter;
let wiring: Wiring | undefined;

beforeEach(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  counter = startDynamoReadCounter(cloud.table);
});

afterEach(async () => {
  wiring?.destroy();
  counter?.destroy();
  await cloud?.stop();
});

/**
 * A fleet of every kind the sweep tracks: mirrored instances (one with two ENIs), a stopped one, a refused t2, one
 * the ledger only remembers for its hand-made session, and a hand-made session to a target nobody configured.
 */
async function arrangeFleet(): Promise<{ context: SweepContext }> {
  const poolTarget = await seed.loadBalancerTarget();
  const filterId = await seed.filter();
  wiring = wire({ ...endpointsOf(cloud), documents: counter.documents }, { targetIds: [poolTarget], filterId });
  await seed.launch({ tags: TAG, interfaces: 2 });
  await seed.launch({ tags: TAG });
  await seed.launch({ tags: TAG, type: 't2.micro' });
  const stopped = await seed.launch({ tags: TAG });
  await seed.stop(stopped.instanceId);
  const remembered = await seed.launch({ tags: TAG });
  await seed.handMadeSession(remembered.eniIds[0] as string, poolTarget, filterId, 5);
  const outsider = await seed.launch({ tags: {} });
  const foreignTarget = await seed.interfaceTarget();
  await cloud.ec2.send(
    new CreateTrafficMirrorSessionCommand({
      NetworkInterfaceId: outsider.eniIds[0],
      TrafficMirrorTargetId: foreignTarget,
      TrafficMirrorFilterId: filterId,
      SessionNumber: 1,
    }),
  );
  const context: SweepContext = {
    ledger: wiring.sweepLedger,
    settings: SWEEP_SETTINGS,
    unmanaged: governanceDeps(wiring.deps.config, { ec2: cloud.ec2, documents: counter.documents }).unmanaged,
  };
  await sweep({ eventId: 'sweep-mirror' }, wiring.deps, context);
  await seed.untag(remembered.instanceId, 'traffic-mirror');
  await sweep({ eventId: 'sweep-untagged' }, wiring.deps, context);
  // The run after the detach records the remembered instance's new decision (a skip): from then on nothing changes.
  await sweep({ eventId: 'sweep-settled' }, wiring.deps, context);
  return { context };
}

/** What months of operation leave behind: history, last decisions and announcements of instances long gone. */
async function addHistory(count: number): Promise<void> {
  const items = Array.from({ length: count }, (_, index) => {
    const instanceId = `i-${index.toString(16).padStart(17, '0')}`;
    const at = new Date(Date.UTC(2026, 8, 1) + index * 60_000).toISOString();
    if (index % 10 === 0) return { ...decisionsKey(instanceId), instanceId, decisions: { '-': 'skip:not-running' }, at };
    if (index % 10 === 1)
      return { ...announcementKey(`tms-${index.toString(16).padStart(17, '0')}`), fingerprint: 'gone', firstSeenAt: at };
    return { ...historyKey(instanceId, at, `eni-${index.toString(16).padStart(17, '0')}`, 'attach'), instanceId, action: 'attach', at };
  });
  for (const batch of chunks(items, BATCH_WRITE_LIMIT)) {
    await cloud.documents.send(
      new BatchWriteCommand({ RequestItems: { [cloud.table.tableName]: batch.map((Item) => ({ PutRequest: { Item } })) } }),
    );
  }
}

describe('the sweep reads what it needs', () => {
  it('reads as many ledger items with 2,000 history items in the table as with none', async () => {
    const { context } = await arrangeFleet();
    const deps = (wiring as Wiring).deps;

    counter.reset();
    const before = await sweep({ eventId: 'sweep-without-history' }, deps, context);
    const withoutHistory = counter.reads();
    await addHistory(HISTORY_ITEMS);
    counter.reset();
    const after = await sweep({ eventId: 'sweep-with-history' }, deps, context);
    const withHistory = counter.reads();

    expect(after).toMatchObject({ listed: before.listed, converged: before.converged, attached: 0, detached: 0, failed: 0 });
    expect(withoutHistory.itemsRead).toBeGreaterThan(0);
    expect(withHistory).toEqual(withoutHistory);
  });

  it('lists the account’s mirror sessions once a run, for converging and for the unmanaged watch alike', async () => {
    const { context } = await arrangeFleet();
    let wholeAccountReads = 0;
    cloud.sim.hook('DescribeTrafficMirrorSessions', 'before', (params) => {
      if (!Object.keys(params).some((name) => name.startsWith('Filter.') || name.startsWith('TrafficMirrorSessionId.')))
        wholeAccountReads += 1;
    });
    cloud.sim.resetCalls();

    const run = await sweep({ eventId: 'sweep-counted' }, (wiring as Wiring).deps, context);

    expect(run.unmanagedSessions).toBe(1);
    expect(wholeAccountReads).toBe(1);
    // Besides that one read, converge describes the sessions of the ENIs of each step it converges (one step here).
    expect(cloud.sim.calls().DescribeTrafficMirrorSessions?.total).toBe(2);
  });
});
