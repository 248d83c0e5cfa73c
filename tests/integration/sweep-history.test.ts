/**
 * History grows with changes, not with sweeps: a skip or a refusal is recorded (and a refusal announced) when the
 * decision changes, not again on every run that reaches the same decision. Real adapters over HTTP against the
 * simulator and dynalite.
 */

import { DEFAULT_SWEEP_SETTINGS } from '../../shared/config/sweep-settings';
import { sweep } from '../../shared/converge/sweep';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { Ec2Seeder, historyOf, startTestCloud, type TestCloud } from '../support/test-cloud';

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

const sweepTimes = async (times: number, from = 0) => {
  for (let run = from; run < from + times; run += 1) {
    await sweep({ eventId: `sweep-${run}` }, (wiring as Wiring).deps, { ledger: (wiring as Wiring).sweepLedger, settings: SWEEP_SETTINGS });
  }
};

describe('sweeps over instances whose decision does not change', () => {
  it('record and announce a refusal once, however many sweeps refuse it again', async () => {
    wiring = wire(endpointsOf(cloud), { targetIds: [await seed.loadBalancerTarget()], filterId: await seed.filter() });
    const refused = await seed.launch({ tags: TAG, type: 't2.micro' });

    await sweepTimes(SWEEPS);

    const history = await historyOf(cloud, refused.instanceId);
    expect(history.map((item) => `${item.action}:${item.reason}`)).toEqual(['refuse:unsupported-instance-type']);
    const announced = cloud.bus.events.filter(
      (event) => event.detailType === 'Mirror Session Refused' && event.detail.instanceId === refused.instanceId,
    );
    expect(announced).toHaveLength(1);
  });

  it('record the skip of a stopped instance once across sweeps', async () => {
    wiring = wire(endpointsOf(cloud), { targetIds: [await seed.loadBalancerTarget()], filterId: await seed.filter() });
    const instance = await seed.launch({ tags: TAG });
    await seed.stop(instance.instanceId);

    await sweepTimes(SWEEPS);

    const history = await historyOf(cloud, instance.instanceId);
    expect(history.map((item) => item.action)).toEqual(['skip']);
  });
});
