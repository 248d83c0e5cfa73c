/**
 * IdempotentParameterMismatch at create time means a session with our ClientToken (the reservation id) exists,
 * made with other parameters. It happens during a redeploy: an invocation on the old settings reserves and creates,
 * dies before recording the session, and an invocation on the new settings that read EC2 before that session
 * existed replays the reservation. converge finds the session by its reservation tag and adopts it when it is
 * right, else replaces it; the ledger never forgets it. Real adapters over HTTP against the simulator and dynalite.
 */

import { applyPlans, converge, readAndPlan } from '../../shared/converge';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { Ec2Seeder, ledgerProblemLines, ownedSessionsOn, startTestCloud, type TestCloud } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };

let cloud: TestCloud;
let seed: Ec2Seeder;
let nlbTarget: string;
const wirings: Wiring[] = [];

function wiringFor(filterId: string, env: Record<string, string> = {}): Wiring {
  const made = wire(endpointsOf(cloud), { targetIds: [nlbTarget], filterId, env, ec2MaxAttempts: 1 });
  wirings.push(made);
  return made;
}

/** The old invocation creates its session and dies before it learns the answer: the reservation stays 'reserved'. */
async function oldInvocationDiesAfterCreate(instanceId: string, old: Wiring): Promise<void> {
  let answered = false;
  const remove = cloud.sim.hook('CreateTrafficMirrorSession', 'after', () => {
    if (answered) return;
    answered = true;
    throw new Error('process killed before the answer');
  });
  await expect(converge([instanceId], { eventId: 'old-settings' }, old.deps)).rejects.toThrow();
  remove();
}

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  nlbTarget = await seed.loadBalancerTarget();
});

afterAll(async () => {
  for (const made of wirings) made.destroy();
  await cloud?.stop();
});

describe('converge when its ClientToken was used with other parameters', () => {
  it('replaces the session made on the old settings with one on the new settings', async () => {
    const [oldFilter, newFilter] = [await seed.filter(), await seed.filter()];
    const instance = await seed.launch({ tags: TAG });
    const current = wiringFor(newFilter);
    const [plan] = await readAndPlan([instance.instanceId], current.deps);
    await oldInvocationDiesAfterCreate(instance.instanceId, wiringFor(oldFilter));
    const [madeOnOldSettings] = ownedSessionsOn(cloud, instance.eniIds);

    const summary = await applyPlans(plan ? [plan] : [], { eventId: 'new-settings' }, current.deps);

    // The adopted session is announced from its record to its end (attach, then detach), then its replacement.
    expect(summary).toMatchObject({ attached: 2, detached: 1, failed: 0, refused: 0 });
    const sessions = ownedSessionsOn(cloud, instance.eniIds);
    expect(sessions).toEqual([expect.objectContaining({ trafficMirrorFilterId: newFilter })]);
    expect(sessions[0]?.trafficMirrorSessionId).not.toBe(madeOnOldSettings?.trafficMirrorSessionId);
    const changes = summary.decisions.filter((decision) => decision.action === 'attach' || decision.action === 'detach');
    expect(changes.map(({ action, sessionId }) => [action, sessionId])).toEqual([
      ['attach', madeOnOldSettings?.trafficMirrorSessionId],
      ['detach', madeOnOldSettings?.trafficMirrorSessionId],
      ['attach', sessions[0]?.trafficMirrorSessionId],
    ]);
    expect(cloud.sim.calls().CreateTrafficMirrorSession?.errors).toMatchObject({ IdempotentParameterMismatch: 1 });
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });

  it('replaces a session an invocation on the old settings made and recorded while this one was planning', async () => {
    const [oldFilter, newFilter] = [await seed.filter(), await seed.filter()];
    const instance = await seed.launch({ tags: TAG });
    const current = wiringFor(newFilter);
    const [plan] = await readAndPlan([instance.instanceId], current.deps);
    await converge([instance.instanceId], { eventId: 'old-settings' }, wiringFor(oldFilter).deps);

    const summary = await applyPlans(plan ? [plan] : [], { eventId: 'new-settings' }, current.deps);

    expect(summary).toMatchObject({ attached: 1, detached: 1, failed: 0 });
    expect(ownedSessionsOn(cloud, instance.eniIds)).toEqual([expect.objectContaining({ trafficMirrorFilterId: newFilter })]);
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });

  it('adopts the session when it already has the new settings (AWS stored the 8500 now configured)', async () => {
    const filterId = await seed.filter();
    const instance = await seed.launch({ tags: TAG });
    const current = wiringFor(filterId, { MIRROR_PACKET_LENGTH: '8500' });
    const [plan] = await readAndPlan([instance.instanceId], current.deps);
    await oldInvocationDiesAfterCreate(instance.instanceId, wiringFor(filterId));
    const [madeOnOldSettings] = ownedSessionsOn(cloud, instance.eniIds);
    cloud.sim.resetCalls();

    const summary = await applyPlans(plan ? [plan] : [], { eventId: 'new-settings' }, current.deps);

    expect(summary).toMatchObject({ attached: 1, detached: 0, failed: 0, refused: 0 });
    expect(ownedSessionsOn(cloud, instance.eniIds).map((session) => session.trafficMirrorSessionId)).toEqual([
      madeOnOldSettings?.trafficMirrorSessionId,
    ]);
    expect(cloud.sim.calls().DeleteTrafficMirrorSession).toBeUndefined();
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });
});
