/**
 * A steady fleet costs no mutating call, however many sweeps run, whatever the target kind and with VNI and packet
 * length left to AWS (it stores 8500 on NLB sessions). Real adapters over HTTP against the simulator and dynalite.
 */

import { DEFAULT_SWEEP_SETTINGS } from '../../shared/config/sweep-settings';
import { sweep } from '../../shared/converge/sweep';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { Ec2Seeder, startTestCloud, type TestCloud } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
const SWEEP_SETTINGS = { ...DEFAULT_SWEEP_SETTINGS, mutationsPerSecond: 50, mutationBurst: 50 };
const SWEEPS = 4;

let cloud: TestCloud;
let seed: Ec2Seeder;
let wiring: Wiring | undefined;

beforeEach(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
});

afterEach(async () => {
  wiring?.destroy();
  await cloud?.stop();
});

describe('sweeps over a steady fleet', () => {
  it.each([
    ['a network interface', (s: Ec2Seeder) => s.interfaceTarget('eu-west-1a')],
    ['a Network Load Balancer', (s: Ec2Seeder) => s.loadBalancerTarget()],
    ['a Gateway Load Balancer endpoint', (s: Ec2Seeder) => s.gatewayEndpointTarget()],
  ])('make no mutating call once the fleet is mirrored, with %s as the target', async (_kind, makeTarget) => {
    const targetId = await makeTarget(seed);
    wiring = wire(endpointsOf(cloud), { targetIds: [targetId], filterId: await seed.filter() });
    await seed.launch({ tags: TAG, interfaces: 2, zone: 'eu-west-1a' });
    await seed.launch({ tags: TAG, zone: 'eu-west-1a' });
    const first = await sweep({ eventId: 'sweep-0' }, wiring.deps, { ledger: wiring.sweepLedger, settings: SWEEP_SETTINGS });
    expect(first).toMatchObject({ attached: 3, failed: 0 });
    cloud.sim.resetCalls();

    for (let run = 1; run <= SWEEPS; run += 1) {
      const summary = await sweep({ eventId: `sweep-${run}` }, wiring.deps, { ledger: wiring.sweepLedger, settings: SWEEP_SETTINGS });
      expect(summary).toMatchObject({ kept: 3, attached: 0, detached: 0, mutations: 0 });
    }

    const calls = cloud.sim.calls();
    expect(calls.CreateTrafficMirrorSession).toBeUndefined();
    expect(calls.DeleteTrafficMirrorSession).toBeUndefined();
  });
});
