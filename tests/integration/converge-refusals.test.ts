/**
 * Permanent answers of EC2 at create time are refusals with a reason, never failures: no crash loop, no
 * dead-lettered record, the sweep goes on for every other instance, and the instance is mirrored by itself once
 * the cause goes away. Real adapters over HTTP against the simulator and dynalite.
 */
import { Ec2Error } from '@vpc-mirror-orchestrator/ec2-sim';
import { converge, INSTANCE_CONCURRENCY } from '../../shared/converge';
import { sweep } from '../../shared/converge/sweep';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { TEST_SWEEP_SETTINGS as SWEEP_SETTINGS } from '../support/sweep-world';
import { Ec2Seeder, type Launched, ledgerProblemLines, ownedSessionsOn, startTestCloud, type TestCloud } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let nlbTarget: string;
let wiring: Wiring;

beforeEach(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  nlbTarget = await seed.loadBalancerTarget();
  wiring = wire(endpointsOf(cloud), { targetIds: [nlbTarget], filterId, ec2MaxAttempts: 1 });
});

afterEach(async () => {
  wiring.destroy();
  await cloud?.stop();
});

describe('converge when EC2 refuses the create for good', () => {
  it('refuses with reason account-session-limit at the account quota, and attaches by itself once the quota frees', async () => {
    const first = await seed.launch({ tags: TAG });
    await converge([first.instanceId], { eventId: 'first' }, wiring.deps);
    cloud.sim.setLimits({ sessionsPerAccount: 1 });
    const second = await seed.launch({ tags: TAG });

    const summary = await converge([second.instanceId], { eventId: 'at-quota' }, wiring.deps);

    expect(summary).toMatchObject({ refused: 1, failed: 0, attached: 0 });
    expect(summary.decisions).toContainEqual(
      expect.objectContaining({ action: 'refuse', eniId: second.eniIds[0], reason: 'account-session-limit' }),
    );
    expect(cloud.bus.events).toContainEqual(
      expect.objectContaining({
        detailType: 'Mirror Session Refused',
        detail: expect.objectContaining({ reason: 'account-session-limit' }),
      }),
    );
    expect(ownedSessionsOn(cloud, second.eniIds)).toEqual([]);
    expect(await ledgerProblemLines(cloud)).toEqual([]);

    cloud.sim.setLimits({ sessionsPerAccount: 10_000 });
    const later = await sweep({ eventId: 'sweep-after-quota' }, wiring.deps, { ledger: wiring.sweepLedger, settings: SWEEP_SETTINGS });

    expect(later).toMatchObject({ attached: 1, failed: 0 });
    expect(ownedSessionsOn(cloud, second.eniIds)).toHaveLength(1);
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });

  it('stops calling EC2 at the account quota once a create of the run was refused: at most one call per instance in flight', async () => {
    cloud.sim.setLimits({ sessionsPerAccount: 0 });
    const instances: Launched[] = [];
    for (let i = 0; i < 3 * INSTANCE_CONCURRENCY; i += 1) instances.push(await seed.launch({ tags: TAG }));
    cloud.sim.resetCalls();

    const summary = await converge(
      instances.map((instance) => instance.instanceId),
      { eventId: 'at-quota' },
      wiring.deps,
    );

    expect(summary).toMatchObject({ refused: instances.length, failed: 0 });
    expect(new Set(summary.decisions.filter((d) => d.action === 'refuse').map((d) => d.reason))).toEqual(
      new Set(['account-session-limit']),
    );
    expect(cloud.sim.calls().CreateTrafficMirrorSession?.total).toBeLessThanOrEqual(INSTANCE_CONCURRENCY);
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });

  it('stops calling EC2 at the account quota for the rest of a sweep run, across its steps', async () => {
    cloud.sim.setLimits({ sessionsPerAccount: 0 });
    const instances: Launched[] = [];
    for (let i = 0; i < 3 * INSTANCE_CONCURRENCY; i += 1) instances.push(await seed.launch({ tags: TAG }));
    cloud.sim.resetCalls();

    const run = await sweep({ eventId: 'sweep-at-quota' }, wiring.deps, {
      ledger: wiring.sweepLedger,
      settings: { ...SWEEP_SETTINGS, batchSize: INSTANCE_CONCURRENCY },
    });

    expect(run).toMatchObject({ refused: instances.length, failed: 0 });
    // Three steps: only the first one's instances in flight hear the refusal from EC2.
    expect(cloud.sim.calls().CreateTrafficMirrorSession?.total).toBeLessThanOrEqual(INSTANCE_CONCURRENCY);
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });

  it('spends no create on a sweep run whose read shows the account at its quota, and mirrors once a session is freed', async () => {
    // The account's one allowed session is hand-made, on an instance that is not tagged.
    const bystander = await seed.launch();
    const handMade = await seed.handMadeSession(bystander.eniIds[0] ?? '', nlbTarget, filterId, 1);
    cloud.sim.setLimits({ sessionsPerAccount: 1 });
    const waiting = [await seed.launch({ tags: TAG }), await seed.launch({ tags: TAG })];
    const context = { ledger: wiring.sweepLedger, settings: SWEEP_SETTINGS, accountSessionQuota: 1 };
    cloud.sim.resetCalls();

    const full = await sweep({ eventId: 'sweep-at-quota' }, wiring.deps, context);
    const again = await sweep({ eventId: 'sweep-at-quota-again' }, wiring.deps, context);

    expect(full).toMatchObject({ refused: 2, failed: 0, attached: 0 });
    expect(full.decisions).toContainEqual(
      expect.objectContaining({
        action: 'refuse',
        instanceId: waiting[0]?.instanceId,
        reason: 'account-session-limit',
        detail: 'not tried: the account holds 1 sessions, its quota of 1',
      }),
    );
    expect(again).toMatchObject({ refused: 2, failed: 0, attached: 0 });
    expect(cloud.sim.calls().CreateTrafficMirrorSession).toBeUndefined();
    expect(await ledgerProblemLines(cloud)).toEqual([]);

    await seed.deleteSession(handMade);
    const freed = await sweep({ eventId: 'sweep-after-delete' }, wiring.deps, context);

    expect(freed).toMatchObject({ attached: 1, refused: 1, failed: 0 });
    expect(
      ownedSessionsOn(
        cloud,
        waiting.flatMap((instance) => instance.eniIds),
      ),
    ).toHaveLength(1);
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });

  it('refuses one instance with reason invalid-parameter while the sweep mirrors every other instance', async () => {
    const rejected = await seed.launch({ tags: TAG });
    const others = [await seed.launch({ tags: TAG }), await seed.launch({ tags: TAG })];
    cloud.sim.hook('CreateTrafficMirrorSession', 'before', (params) => {
      if (params.NetworkInterfaceId === rejected.eniIds[0])
        throw new Ec2Error('InvalidParameterValue', 'The value for parameter X is not valid.');
    });

    const run = await sweep({ eventId: 'sweep' }, wiring.deps, { ledger: wiring.sweepLedger, settings: SWEEP_SETTINGS });

    expect(run).toMatchObject({ attached: 2, refused: 1, failed: 0 });
    expect(run.decisions).toContainEqual(
      expect.objectContaining({ action: 'refuse', instanceId: rejected.instanceId, reason: 'invalid-parameter' }),
    );
    expect(
      ownedSessionsOn(
        cloud,
        others.flatMap((instance) => instance.eniIds),
      ),
    ).toHaveLength(2);
    expect(await ledgerProblemLines(cloud)).toEqual([]);
  });
});
