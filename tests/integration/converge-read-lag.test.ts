/**
 * converge while EC2's reads lag its deletes: a session deleted a moment ago is still listed, with no ledger slot
 * left for it (EC2's eventual consistency, both ways). The run reading it must not announce it as attached again
 * after its detach, and the ledger must end up naming only what EC2 has.
 * Real adapters over HTTP against the simulator (its eventual-consistency window) and dynalite.
 */

import { DeleteTrafficMirrorTargetCommand, DescribeTrafficMirrorSessionsCommand } from '@aws-sdk/client-ec2';
import { type ConvergeDeps, converge } from '../../shared/converge';
import { sweep } from '../../shared/converge/sweep';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { TEST_SWEEP_SETTINGS } from '../support/sweep-world';
import { Ec2Seeder, ledgerProblemLines, ownedSessionsOn, startTestCloud, type TestCloud } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
/**
 * EC2's lag: long enough for the reads right after a delete to list the deleted session; resources made before it
 * was set are older than it (the simulator's window applies to every resource by its age).
 */
const READ_LAG_MS = 1_000;

/** From now on EC2's reads lag its writes, for everything made after this. */
async function readsLagFromNow(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, READ_LAG_MS + 50));
  cloud.sim.setEventualConsistency(READ_LAG_MS);
}

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let otherFilterId: string;
let interfaceTarget: string;
const wirings: Wiring[] = [];

function wiringFor(env: Record<string, string> = {}, targetIds = [interfaceTarget]) {
  const wiring = wire(endpointsOf(cloud), { targetIds, filterId, env });
  wirings.push(wiring);
  return wiring;
}

function depsFor(env: Record<string, string> = {}, targetIds = [interfaceTarget]): ConvergeDeps {
  return wiringFor(env, targetIds).deps;
}

function sweepOnce(eventId: string) {
  const wiring = wiringFor();
  return sweep({ eventId }, wiring.deps, { ledger: wiring.sweepLedger, settings: TEST_SWEEP_SETTINGS });
}

const events = (detailType: string) => cloud.bus.events.filter((event) => event.detailType === detailType);
const detachedEnis = () =>
  events('Mirror Session Detached')
    .map((event) => String(event.detail.eniId))
    .sort();

beforeEach(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  otherFilterId = await seed.filter();
  interfaceTarget = await seed.interfaceTarget('eu-west-1a');
});

afterEach(async () => {
  for (const wiring of wirings.splice(0)) wiring.destroy();
  await cloud?.stop();
});

describe('converge while EC2 still lists a session it deleted', () => {
  it("announces nothing again when a stop's second event reads the session its first one deleted", async () => {
    // Arrange: mirrored, then stopped; from now on EC2's listings lag its deletes.
    const instance = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    await converge([instance.instanceId], { eventId: 'running' }, depsFor());
    await seed.stop(instance.instanceId);
    await readsLagFromNow();
    await converge([instance.instanceId], { eventId: 'stopping' }, depsFor());
    const [deleted] = events('Mirror Session Detached');

    // Act
    const summary = await converge([instance.instanceId], { eventId: 'stopped' }, depsFor());

    // Assert: the listing still showed it, and nothing was announced for it again.
    expect(cloud.sim.snapshot().sessions).toEqual([]);
    expect(summary.failed).toBe(0);
    expect(events('Mirror Session Attached')).toHaveLength(1);
    expect(events('Mirror Session Detached')).toEqual([deleted]);
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });

  it('announces nothing again for the session a settings change replaced, read by the next converge', async () => {
    // Arrange: a new filter replaces the session on the same ENI while EC2's listings lag its deletes.
    const instance = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    await converge([instance.instanceId], { eventId: 'first' }, depsFor());
    await readsLagFromNow();
    await converge([instance.instanceId], { eventId: 'redeploy' }, depsFor({ MIRROR_FILTER_ID: otherFilterId }));

    // Act
    const summary = await converge([instance.instanceId], { eventId: 'next' }, depsFor({ MIRROR_FILTER_ID: otherFilterId }));

    // Assert
    const ours = ownedSessionsOn(cloud, instance.eniIds);
    expect(ours.map((session) => session.trafficMirrorFilterId)).toEqual([otherFilterId]);
    expect(summary.failed).toBe(0);
    expect(events('Mirror Session Attached')).toHaveLength(2);
    expect(events('Mirror Session Detached')).toHaveLength(1);
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });
});

describe('converge while EC2 still lists what went with a terminated instance', () => {
  it('announces one detach per session EC2 deleted with the ENIs, and nothing more on the next run', async () => {
    // Arrange: two ENIs mirrored; terminated (EC2 deletes the ENIs, and their sessions with them) while listings lag.
    const instance = await seed.launch({ tags: TAG, zone: 'eu-west-1a', interfaces: 2 });
    await converge([instance.instanceId], { eventId: 'running' }, depsFor());
    await readsLagFromNow();
    await seed.terminate(instance.instanceId);
    const stillListed = await cloud.ec2.send(
      new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'network-interface-id', Values: instance.eniIds }] }),
    );

    // Act
    const summary = await converge([instance.instanceId], { eventId: 'terminated' }, depsFor());
    const again = await converge([instance.instanceId], { eventId: 'terminated-again' }, depsFor());

    // Assert
    expect(stillListed.TrafficMirrorSessions).toHaveLength(2);
    expect(cloud.sim.snapshot().sessions).toEqual([]);
    expect([summary.failed, again.failed]).toEqual([0, 0]);
    expect(events('Mirror Session Attached')).toHaveLength(2);
    expect(detachedEnis()).toEqual([...instance.eniIds].sort());
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });

  it('has the sweep announce one detach per session of an instance terminated while its events were lost', async () => {
    // Arrange
    const instance = await seed.launch({ tags: TAG, zone: 'eu-west-1a', interfaces: 2 });
    await converge([instance.instanceId], { eventId: 'running' }, depsFor());
    await readsLagFromNow();
    await seed.terminate(instance.instanceId);

    // Act
    const first = await sweepOnce('sweep-1');
    const second = await sweepOnce('sweep-2');

    // Assert
    expect([first.failed, second.failed]).toEqual([0, 0]);
    expect(detachedEnis()).toEqual([...instance.eniIds].sort());
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });
});

describe('converge while EC2 still lists a target the operator deleted', () => {
  it('mirrors to the targets that remain, refusing nothing', async () => {
    // Arrange: two targets configured; the operator deletes one (unused) while EC2's listings lag.
    const deletedTarget = await seed.interfaceTarget('eu-west-1a');
    const instances = await seed.launchMany(6, { tags: TAG, zone: 'eu-west-1a' });
    await readsLagFromNow();
    await cloud.ec2.send(new DeleteTrafficMirrorTargetCommand({ TrafficMirrorTargetId: deletedTarget }));
    const ids = instances.map((instance) => instance.instanceId);

    // Act
    const summary = await converge(ids, { eventId: 'running' }, depsFor({}, [deletedTarget, interfaceTarget]));

    // Assert: some create did name the deleted target (the listing still showed it), and all went to the other.
    const createCalls = cloud.sim.calls().CreateTrafficMirrorSession;
    expect(createCalls?.errors['InvalidTrafficMirrorTargetId.NotFound']).toBeGreaterThan(0);
    expect(summary.failed).toBe(0);
    const ours = ownedSessionsOn(
      cloud,
      instances.flatMap((instance) => instance.eniIds),
    );
    expect(ours.map((session) => session.trafficMirrorTargetId)).toEqual(ours.map(() => interfaceTarget));
    expect(ours).toHaveLength(6);
    expect(events('Mirror Session Refused')).toEqual([]);
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });
});
