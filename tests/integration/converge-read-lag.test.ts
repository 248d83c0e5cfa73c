/**
 * converge while EC2's reads lag its deletes: a session deleted a moment ago is still listed, with no ledger slot
 * left for it (EC2's eventual consistency, both ways). The run reading it must not announce it as attached again
 * after its detach, and the ledger must end up naming only what EC2 has.
 * Real adapters over HTTP against the simulator (its eventual-consistency window) and dynalite.
 */

import { type ConvergeDeps, converge } from '../../shared/converge';
import { endpointsOf, type Wiring, wire } from '../support/deps';
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

function depsFor(env: Record<string, string> = {}): ConvergeDeps {
  const wiring = wire(endpointsOf(cloud), { targetIds: [interfaceTarget], filterId, env });
  wirings.push(wiring);
  return wiring.deps;
}

const events = (detailType: string) => cloud.bus.events.filter((event) => event.detailType === detailType);

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
