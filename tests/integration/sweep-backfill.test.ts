/**
 * The tracked-ENI index on a ledger that an older version filled (issue 12, item 4): ENI items written before the
 * index existed lack its key, and the sweep backfills them by itself, a few Scan pages a run, resuming where the last
 * run stopped; until then it reads the table, so nothing is missed; once done it reads the index only. Real
 * adapters over HTTP against the simulator and dynalite.
 */

import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { eniKey, historyKey, instanceIndexKey, TRACKED_INDEX_MIGRATION_KEY } from '../../shared/aws/ledger/keys';
import { createSweepLedger } from '../../shared/aws/ledger/sweep';
import { WRITER_GRACE_MS } from '../../shared/aws/ledger/tracked-enis';
import { converge } from '../../shared/converge';
import { sweep } from '../../shared/converge/sweep';
import type { SweepLedgerPort } from '../../shared/converge/sweep-ports';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { type DynamoReadCounter, startDynamoReadCounter } from '../support/dynamo-read-counter';
import { TEST_SWEEP_SETTINGS as SWEEP_SETTINGS } from '../support/sweep-world';
import { Ec2Seeder, ledgerItem, startTestCloud, type TestCloud } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
const PAGE_SIZE = 10;
const OLD_HISTORY_ITEMS = 40;

let cloud: TestCloud;
let seed: Ec2Seeder;
let counter: DynamoReadCounter;
let wiring: Wiring | undefined;
/** Added to the sweep ledger's clock: "after the writer grace" without waiting for it. */
let clockOffsetMs = 0;

beforeEach(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  counter = startDynamoReadCounter(cloud.table);
  clockOffsetMs = 0;
});

afterEach(async () => {
  wiring?.destroy();
  counter?.destroy();
  await cloud?.stop();
});

function sweepLedger(backfill: { pagesPerRun: number } = { pagesPerRun: 1 }): SweepLedgerPort {
  return createSweepLedger({
    documents: counter.documents,
    tableName: cloud.table.tableName,
    clock: { now: () => new Date(Date.now() + clockOffsetMs) },
    backfill: { pageSize: PAGE_SIZE, ...backfill },
  });
}

/** The ENI item of an instance the ledger remembers for a hand-made session, as the version before the index wrote it. */
async function writeOldEniItem(instanceId: string, eniId: string, sessionId: string, targetId: string): Promise<void> {
  const at = new Date().toISOString();
  await cloud.documents.send(
    new PutCommand({
      TableName: cloud.table.tableName,
      Item: {
        ...eniKey(eniId),
        ...instanceIndexKey(instanceId, eniId),
        instanceId,
        eniId,
        slots: { '5': { sessionNumber: 5, owner: 'foreign', state: 'active', sessionId, targetId, updatedAt: at } },
        version: 1,
        updatedAt: at,
      },
    }),
  );
}

async function writeOldHistory(count: number): Promise<void> {
  const items = Array.from({ length: count }, (_, index) => ({
    ...historyKey(`i-${index.toString(16).padStart(17, '0')}`, new Date(Date.UTC(2026, 9, 1, 0, index)).toISOString(), undefined, 'skip'),
    action: 'skip',
  }));
  for (let start = 0; start < items.length; start += 25) {
    const batch = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
    await cloud.documents.send(new BatchWriteCommand({ RequestItems: { [cloud.table.tableName]: batch } }));
  }
}

describe('the tracked-ENI index on a ledger an older version filled', () => {
  it('is backfilled by the sweep, a page a run, and then finds the instance only that older ENI item names', async () => {
    // Arrange: an untagged instance with a hand-made session, known to the ledger only by an ENI item without the index key.
    const poolTarget = await seed.loadBalancerTarget();
    const filterId = await seed.filter();
    wiring = wire({ ...endpointsOf(cloud), documents: counter.documents }, { targetIds: [poolTarget], filterId });
    const remembered = await seed.launch({ tags: {} });
    const eniId = remembered.eniIds[0] as string;
    const sessionId = await seed.handMadeSession(eniId, poolTarget, filterId, 5);
    await writeOldEniItem(remembered.instanceId, eniId, sessionId, poolTarget);
    await writeOldHistory(OLD_HISTORY_ITEMS);
    await seed.launch({ tags: TAG });
    const ledger = sweepLedger();
    const run = () => sweep({ eventId: 'sweep' }, (wiring as Wiring).deps, { ledger, settings: SWEEP_SETTINGS });

    // Act 1: one page a run; the first pass indexes the older item, so a second pass must begin after the grace.
    const first = await run();
    const afterFirstRun = await ledgerItem(cloud, TRACKED_INDEX_MIGRATION_KEY.pk, TRACKED_INDEX_MIGRATION_KEY.sk);
    let runs = 1;
    while ((await ledgerItem(cloud, TRACKED_INDEX_MIGRATION_KEY.pk, TRACKED_INDEX_MIGRATION_KEY.sk))?.passes !== 1) {
      await run();
      runs += 1;
    }
    const waiting = await run();
    const afterPass = await ledgerItem(cloud, TRACKED_INDEX_MIGRATION_KEY.pk, TRACKED_INDEX_MIGRATION_KEY.sk);
    clockOffsetMs = WRITER_GRACE_MS + 1_000;
    while ((await ledgerItem(cloud, TRACKED_INDEX_MIGRATION_KEY.pk, TRACKED_INDEX_MIGRATION_KEY.sk))?.done !== true) await run();
    counter.reset();
    const indexed = await run();

    // Assert: resumable (the first run saved where its Scan stopped), found all along, and read through the index at the end.
    expect(afterFirstRun).toMatchObject({ done: false, passes: 0, lastEvaluatedKey: expect.any(Object) });
    // More than 40 items at 10 a page: the pass took several runs, each resuming from the key the last one saved.
    expect(runs).toBeGreaterThanOrEqual(OLD_HISTORY_ITEMS / PAGE_SIZE);
    expect(afterPass).toMatchObject({ done: false, passes: 1, indexed: 1 });
    expect(afterPass?.lastEvaluatedKey).toBeUndefined();
    for (const summary of [first, waiting, indexed]) expect(summary).toMatchObject({ listed: 2, converged: 2, failed: 0 });
    expect(await ledgerItem(cloud, `eni#${eniId}`, 'slots')).toMatchObject({ gsi2pk: expect.stringMatching(/^tracked#[0-7]$/) });
    expect(counter.reads().requests.Scan).toBeUndefined();
    expect(indexed.decisions.map((decision) => decision.instanceId)).toContain(remembered.instanceId);
  });

  it('is complete within the first run when no older version wrote ENI items, and the table is not scanned again', async () => {
    // Arrange: a fleet mirrored by the event path of this version, and history, before the sweep ever ran.
    wiring = wire(
      { ...endpointsOf(cloud), documents: counter.documents },
      { targetIds: [await seed.loadBalancerTarget()], filterId: await seed.filter() },
    );
    const instance = await seed.launch({ tags: TAG, interfaces: 2 });
    await converge([instance.instanceId], { eventId: 'launch' }, wiring.deps);
    await writeOldHistory(OLD_HISTORY_ITEMS);
    const ledger = sweepLedger({ pagesPerRun: 10 });

    counter.reset();
    const first = await sweep({ eventId: 'sweep-first' }, wiring.deps, { ledger, settings: SWEEP_SETTINGS });
    const firstScans = counter.reads().requests.Scan;
    counter.reset();
    const next = await sweep({ eventId: 'sweep-next' }, wiring.deps, { ledger, settings: SWEEP_SETTINGS });

    expect(first).toMatchObject({ listed: 1, kept: 2, failed: 0 });
    expect(next).toMatchObject({ listed: 1, kept: 2, failed: 0 });
    expect(await ledgerItem(cloud, TRACKED_INDEX_MIGRATION_KEY.pk, TRACKED_INDEX_MIGRATION_KEY.sk)).toMatchObject({
      done: true,
      indexed: 0,
    });
    // The backfill read the table in pages of 10 (over 40 items), once; the next run reads the index only.
    expect(firstScans).toBeGreaterThanOrEqual(OLD_HISTORY_ITEMS / PAGE_SIZE);
    expect(counter.reads().requests.Scan).toBeUndefined();
  });
});
