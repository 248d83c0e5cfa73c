/**
 * A target EC2 says is full (TrafficMirrorSourcesPerTargetLimitExceeded: hand-made sessions the ledger never counted)
 * is remembered in the ledger with a time to re-check, so attaches stop spending a mutating call on it until then;
 * and the sweep's audit puts back a target source the ledger lost while a slot still holds it. Real adapters over
 * HTTP against the simulator and dynalite; later times through the wiring's clock offset.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ledgerProblems, OWNER_TAG } from '../../local/oracle';
import { converge, SLOT_GRACE_MS, TARGET_FULL_RECHECK_MS } from '../../shared/converge';
import { sweep } from '../../shared/converge/sweep';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { TEST_SWEEP_SETTINGS as SWEEP_SETTINGS } from '../support/sweep-world';
import { Ec2Seeder, ledgerItem, sessionsOn, startTestCloud, type TestCloud, targetLoads } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let interfaceTarget: string;
const wirings: Wiring[] = [];

function wiring(clockOffsetMs = 0, filter = filterId): Wiring {
  const made = wire(endpointsOf(cloud), { targetIds: [interfaceTarget], filterId: filter, clockOffsetMs });
  wirings.push(made);
  return made;
}

function creates(): number {
  return cloud.sim.calls().CreateTrafficMirrorSession?.total ?? 0;
}

function ownedSessions(eniIds: readonly string[]) {
  return sessionsOn(cloud, eniIds).filter((session) => session.tags[OWNER_TAG] !== undefined);
}

beforeEach(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  interfaceTarget = await seed.interfaceTarget('eu-west-1a');
});

afterEach(async () => {
  for (const made of wirings.splice(0)) made.destroy();
  await cloud?.stop();
});

describe('a target EC2 says is full', () => {
  it('is tried once, then skipped without a create until its re-check time, then tried again', async () => {
    const handMade: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const other = await seed.launch({ zone: 'eu-west-1a' });
      handMade.push(await seed.handMadeSession(other.eniIds[0] as string, interfaceTarget, filterId, 1));
    }
    const first = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    const second = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    cloud.sim.resetCalls();

    const refused = await converge([first.instanceId], { eventId: 'first' }, wiring().deps);
    expect(refused).toMatchObject({ refused: 1, failed: 0 });
    expect(cloud.sim.calls().CreateTrafficMirrorSession?.errors).toEqual({ TrafficMirrorSourcesPerTargetLimitExceeded: 1 });
    expect(await ledgerItem(cloud, `target#${interfaceTarget}`, 'load')).toHaveProperty('fullUntil');

    const meanwhile = await converge(
      [first.instanceId, second.instanceId],
      { eventId: 'meanwhile' },
      wiring(TARGET_FULL_RECHECK_MS / 2).deps,
    );
    expect(meanwhile).toMatchObject({ refused: 2, failed: 0 });
    expect(meanwhile.decisions.filter((d) => d.action === 'refuse').map((d) => d.reason)).toEqual(['target-pool-full', 'target-pool-full']);
    expect(creates()).toBe(1);

    await seed.deleteSession(handMade[0] as string);
    const later = await converge([first.instanceId], { eventId: 'later' }, wiring(TARGET_FULL_RECHECK_MS + 1_000).deps);
    expect(later).toMatchObject({ attached: 1, failed: 0 });
    expect(ownedSessions(first.eniIds)).toHaveLength(1);
    expect(await ledgerProblems({ documents: cloud.documents, tableName: cloud.table.tableName }, cloud.sim.snapshot())).toEqual([]);
  });
});

describe('a target EC2 said is full, then one of our sessions on it replaced or removed', () => {
  /** Nine hand-made sessions and `kept`'s own fill the target (10 sources); `waiting` is refused and marked full. */
  async function fullTargetWithOneOfOurs() {
    for (let i = 0; i < 9; i += 1) {
      const other = await seed.launch({ zone: 'eu-west-1a' });
      await seed.handMadeSession(other.eniIds[0] as string, interfaceTarget, filterId, 1);
    }
    const kept = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    const waiting = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    expect(await converge([kept.instanceId], { eventId: 'kept' }, wiring().deps)).toMatchObject({ attached: 1, failed: 0 });
    expect(await converge([waiting.instanceId], { eventId: 'waiting' }, wiring().deps)).toMatchObject({ refused: 1, failed: 0 });
    cloud.sim.resetCalls();
    return { kept, waiting };
  }

  it('keeps the target marked full when a session of ours is replaced on it, so the next attach makes no create', async () => {
    const { kept, waiting } = await fullTargetWithOneOfOurs();
    const newFilter = await seed.filter();

    // The filter changes: kept's session is deleted and made again on the same target, which is as full as before.
    const replaced = await converge([kept.instanceId], { eventId: 'replace' }, wiring(60_000, newFilter).deps);
    const retried = await converge([waiting.instanceId], { eventId: 'retry' }, wiring(120_000, newFilter).deps);

    expect(replaced).toMatchObject({ detached: 1, attached: 1, failed: 0 });
    expect(retried.decisions.filter((d) => d.action === 'refuse').map((d) => d.reason)).toEqual(['target-pool-full']);
    expect(creates()).toBe(1);
    expect(cloud.sim.calls().CreateTrafficMirrorSession?.errors ?? {}).toEqual({});
  });

  it('tries the target again at once when a session of ours leaves it', async () => {
    const { kept, waiting } = await fullTargetWithOneOfOurs();

    await seed.untag(kept.instanceId, 'traffic-mirror');
    const removed = await converge([kept.instanceId], { eventId: 'untagged' }, wiring(60_000).deps);
    const retried = await converge([waiting.instanceId], { eventId: 'retry' }, wiring(120_000).deps);

    expect(removed).toMatchObject({ detached: 1, failed: 0 });
    expect(retried).toMatchObject({ attached: 1, failed: 0 });
    expect(ownedSessions(waiting.eniIds)).toHaveLength(1);
    expect(await ledgerProblems({ documents: cloud.documents, tableName: cloud.table.tableName }, cloud.sim.snapshot())).toEqual([]);
  });
});

describe('the sweep audit of target sources', () => {
  it('puts back a source the target item lost while a slot and a session still hold it', async () => {
    const instance = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    await converge([instance.instanceId], { eventId: 'attach' }, wiring().deps);
    const eniId = instance.eniIds[0] as string;
    // What a crash between learning a session into a slot and counting it on its target leaves behind.
    await cloud.documents.send(
      new UpdateCommand({
        TableName: cloud.table.tableName,
        Key: { pk: `target#${interfaceTarget}`, sk: 'load' },
        UpdateExpression: 'DELETE sources :eni ADD sourceCount :minusOne',
        ExpressionAttributeValues: { ':eni': new Set([eniId]), ':minusOne': -1 },
      }),
    );
    const later = wiring(SLOT_GRACE_MS + 60_000);

    await sweep({ eventId: 'sweep' }, later.deps, { ledger: later.sweepLedger, settings: SWEEP_SETTINGS });

    expect((await targetLoads(cloud)).get(interfaceTarget)).toEqual({ count: 1, sources: [eniId] });
    expect(await ledgerProblems({ documents: cloud.documents, tableName: cloud.table.tableName }, cloud.sim.snapshot())).toEqual([]);
  });
});
