/**
 * A steady fleet costs no mutating call, however many sweeps run, whatever the target kind and with VNI and packet
 * length left to AWS (it stores 8500 on NLB sessions). Real adapters over HTTP against the simulator and dynalite.
 */

import { useSweepWorld } from '../support/sweep-world';
import type { Ec2Seeder } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
const SWEEPS = 4;

const world = useSweepWorld();

describe('sweeps over a steady fleet', () => {
  it.each([
    ['a network interface', (s: Ec2Seeder) => s.interfaceTarget('eu-west-1a')],
    ['a Network Load Balancer', (s: Ec2Seeder) => s.loadBalancerTarget()],
    ['a Gateway Load Balancer endpoint', (s: Ec2Seeder) => s.gatewayEndpointTarget()],
  ])('make no mutating call once the fleet is mirrored, with %s as the target', async (_kind, makeTarget) => {
    const targetId = await makeTarget(world.seed);
    world.wire({ targetIds: [targetId], filterId: await world.seed.filter() });
    await world.seed.launch({ tags: TAG, interfaces: 2, zone: 'eu-west-1a' });
    await world.seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    const first = await world.sweep('sweep-0');
    expect(first).toMatchObject({ attached: 3, failed: 0 });
    world.cloud.sim.resetCalls();

    for (let run = 1; run <= SWEEPS; run += 1) {
      const summary = await world.sweep(`sweep-${run}`);
      expect(summary).toMatchObject({ kept: 3, attached: 0, detached: 0, mutations: 0 });
    }

    const calls = world.cloud.sim.calls();
    expect(calls.CreateTrafficMirrorSession).toBeUndefined();
    expect(calls.DeleteTrafficMirrorSession).toBeUndefined();
  });
});
