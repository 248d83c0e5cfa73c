/**
 * History grows with changes, not with sweeps: a skip or a refusal is recorded (and a refusal announced) when the
 * decision changes, not again on every run that reaches the same decision. Real adapters over HTTP against the
 * simulator and dynalite.
 */

import { useSweepWorld } from '../support/sweep-world';
import { historyOf } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
const SWEEPS = 4;

const world = useSweepWorld();

const sweepTimes = async (times: number, from = 0) => {
  for (let run = from; run < from + times; run += 1) await world.sweep(`sweep-${run}`);
};

describe('sweeps over instances whose decision does not change', () => {
  it('record and announce a refusal once, however many sweeps refuse it again', async () => {
    world.wire({ targetIds: [await world.seed.loadBalancerTarget()], filterId: await world.seed.filter() });
    const refused = await world.seed.launch({ tags: TAG, type: 't2.micro' });

    await sweepTimes(SWEEPS);

    const history = await historyOf(world.cloud, refused.instanceId);
    expect(history.map((item) => `${item.action}:${item.reason}`)).toEqual(['refuse:unsupported-instance-type']);
    const announced = world.cloud.bus.events.filter(
      (event) => event.detailType === 'Mirror Session Refused' && event.detail.instanceId === refused.instanceId,
    );
    expect(announced).toHaveLength(1);
  });

  it('record the skip of a stopped instance once across sweeps', async () => {
    world.wire({ targetIds: [await world.seed.loadBalancerTarget()], filterId: await world.seed.filter() });
    const instance = await world.seed.launch({ tags: TAG });
    await world.seed.stop(instance.instanceId);

    await sweepTimes(SWEEPS);

    const history = await historyOf(world.cloud, instance.instanceId);
    expect(history.map((item) => item.action)).toEqual(['skip']);
  });
});
