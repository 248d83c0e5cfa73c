/**
 * converge when the settings change between invocations (a redeploy with a new filter, VNI, packet length or target
 * pool; an override tag added): the old session is replaced in the same converge and the ledger names only sessions
 * EC2 has. And when nothing changes: a steady instance costs no mutating call, whatever AWS filled in by default.
 * Real adapters over HTTP against the simulator and dynalite.
 */

import { type ConvergeDeps, converge } from '../../shared/converge';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { Ec2Seeder, ledgerProblemLines, ownedSessionsOn, startTestCloud, type TestCloud } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let otherFilterId: string;
let interfaceTarget: string;
let nlbTarget: string;
let gwlbTarget: string;
const wirings: Wiring[] = [];

function depsFor(targetIds: readonly string[], env: Record<string, string> = {}): ConvergeDeps {
  const wiring = wire(endpointsOf(cloud), {
    targetIds,
    filterId,
    env: { MIRROR_ALLOWED_FILTER_IDS: otherFilterId, MIRROR_ALLOWED_TARGET_IDS: nlbTarget, ...env },
  });
  wirings.push(wiring);
  return wiring.deps;
}

function mutatingCalls(): number {
  const calls = cloud.sim.calls();
  return (calls.CreateTrafficMirrorSession?.total ?? 0) + (calls.DeleteTrafficMirrorSession?.total ?? 0);
}

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  otherFilterId = await seed.filter();
  interfaceTarget = await seed.interfaceTarget('eu-west-1a');
  nlbTarget = await seed.loadBalancerTarget();
  gwlbTarget = await seed.gatewayEndpointTarget();
});

afterAll(async () => {
  for (const wiring of wirings) wiring.destroy();
  await cloud?.stop();
});

describe('converge after a settings change', () => {
  const changes: ReadonlyArray<{
    name: string;
    before: Record<string, string>;
    after: Record<string, string>;
    expected: Record<string, unknown>;
  }> = [
    { name: 'a new filter', before: {}, after: { MIRROR_FILTER_ID: 'other' }, expected: { trafficMirrorFilterId: 'other' } },
    { name: 'a new VNI', before: { MIRROR_VNI: '4242' }, after: { MIRROR_VNI: '4343' }, expected: { virtualNetworkId: 4343 } },
    { name: 'a new packet length', before: {}, after: { MIRROR_PACKET_LENGTH: '128' }, expected: { packetLength: 128 } },
    { name: 'the packet length unset', before: { MIRROR_PACKET_LENGTH: '128' }, after: {}, expected: { packetLength: undefined } },
  ];

  it.each(changes)(
    'replaces the session in the same converge after $name, and the ledger names only the new one',
    async ({ before, after, expected }) => {
      const resolve = (env: Record<string, string>) =>
        Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === 'other' ? otherFilterId : value]));
      const instance = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
      await converge([instance.instanceId], { eventId: 'first' }, depsFor([interfaceTarget], resolve(before)));
      const [old] = ownedSessionsOn(cloud, instance.eniIds);

      const summary = await converge([instance.instanceId], { eventId: 'redeploy' }, depsFor([interfaceTarget], resolve(after)));

      expect(summary).toMatchObject({ detached: 1, attached: 1, kept: 0, failed: 0 });
      const sessions = ownedSessionsOn(cloud, instance.eniIds);
      expect(sessions).toHaveLength(1);
      expect(sessions[0]?.trafficMirrorSessionId).not.toBe(old?.trafficMirrorSessionId);
      const actual = sessions[0] as unknown as Record<string, unknown>;
      const wanted = Object.fromEntries(Object.entries(expected).map(([key, value]) => [key, value === 'other' ? otherFilterId : value]));
      expect(Object.fromEntries(Object.keys(wanted).map((key) => [key, actual[key]]))).toEqual(wanted);
      expect(await ledgerProblemLines(cloud)).toEqual([]);
    },
  );

  it('moves the session when its target leaves the pool', async () => {
    const instance = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    await converge([instance.instanceId], { eventId: 'first' }, depsFor([interfaceTarget]));

    const summary = await converge([instance.instanceId], { eventId: 'pool-changed' }, depsFor([nlbTarget]));

    expect(summary).toMatchObject({ detached: 1, attached: 1, failed: 0 });
    expect(ownedSessionsOn(cloud, instance.eniIds).map((session) => session.trafficMirrorTargetId)).toEqual([nlbTarget]);
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });

  it('follows an allow-listed override tag added after the instance was mirrored', async () => {
    const instance = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    await converge([instance.instanceId], { eventId: 'first' }, depsFor([interfaceTarget]));
    await seed.tag(instance.instanceId, { 'traffic-mirror-target': nlbTarget, 'traffic-mirror-filter': otherFilterId });

    const summary = await converge([instance.instanceId], { eventId: 'override' }, depsFor([interfaceTarget]));

    expect(summary).toMatchObject({ detached: 1, attached: 1, failed: 0 });
    expect(ownedSessionsOn(cloud, instance.eniIds)).toEqual([
      expect.objectContaining({ trafficMirrorTargetId: nlbTarget, trafficMirrorFilterId: otherFilterId }),
    ]);
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });
});

describe('converge on a steady instance', () => {
  it.each([
    ['a network interface', () => interfaceTarget],
    ['a Network Load Balancer', () => nlbTarget],
    ['a Gateway Load Balancer endpoint', () => gwlbTarget],
  ])('makes no mutating call across sweeps when the target is %s and VNI and packet length are unset', async (_kind, target) => {
    const instance = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    const deps = depsFor([target()]);
    await converge([instance.instanceId], { eventId: 'first' }, deps);
    const [session] = ownedSessionsOn(cloud, instance.eniIds);
    cloud.sim.resetCalls();

    for (let run = 0; run < 3; run += 1) {
      const summary = await converge([instance.instanceId], { eventId: `sweep-${run}` }, deps);
      expect(summary).toMatchObject({ kept: 1, attached: 0, detached: 0 });
    }

    expect(mutatingCalls()).toBe(0);
    expect(ownedSessionsOn(cloud, instance.eniIds).map((s) => s.trafficMirrorSessionId)).toEqual([session?.trafficMirrorSessionId]);
  });

  it('keeps an NLB session whose packet length AWS set to 8500 when 8500 is configured explicitly', async () => {
    const instance = await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    await converge([instance.instanceId], { eventId: 'first' }, depsFor([nlbTarget]));
    cloud.sim.resetCalls();

    const summary = await converge([instance.instanceId], { eventId: 'explicit' }, depsFor([nlbTarget], { MIRROR_PACKET_LENGTH: '8500' }));

    expect(summary).toMatchObject({ kept: 1, attached: 0, detached: 0 });
    expect(mutatingCalls()).toBe(0);
  });
});
