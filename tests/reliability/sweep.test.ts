/**
 * The scheduled sweep against the simulator and dynalite (real adapters over HTTP): bounded runs that resume from a
 * cursor, cleanup first, pacing of mutating calls, stale reservations resolved after the grace period (session
 * exists -> active; else released with its target source), orphaned target sources, hand-made sessions learned.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SweepSettings } from '../../shared/config/sweep-settings';
import { SLOT_GRACE_MS } from '../../shared/converge';
import { GOVERNANCE_METRICS } from '../../shared/converge/governance-metrics';
import { sweep } from '../../shared/converge/sweep';
import { handleScheduledSweep } from '../../shared/lambda/sweep-handler';
import { TokenBucket } from '../../shared/util/token-bucket';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { TEST_SWEEP_SETTINGS } from '../support/sweep-world';
import { Ec2Seeder, type Launched, ledgerItem, sessionsOn, startTestCloud, type TestCloud, targetLoads } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';
const AFTER_GRACE_MS = SLOT_GRACE_MS + 60_000;
const trigger = (id: string) => ({ eventId: id });

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let interfaceTarget: string;
let nlbTarget: string;
const wirings: Wiring[] = [];

function wiring(clockOffsetMs = 0): Wiring {
  const made = wire(endpointsOf(cloud), { targetIds: [interfaceTarget, nlbTarget], filterId, clockOffsetMs });
  wirings.push(made);
  return made;
}

function settings(overrides: Partial<SweepSettings>): SweepSettings {
  // A generous bucket: these tests are about what is converged, pacing has its own test.
  return { ...TEST_SWEEP_SETTINGS, ...overrides };
}

const ours = (eniIds: readonly string[]) => sessionsOn(cloud, eniIds).filter((s) => s.tags[OWNER_TAG] !== undefined);

/** The target item as a version before per-source reservation times wrote it. */
async function withoutSourceTimes(targetId: string): Promise<void> {
  const item = (await ledgerItem(cloud, `target#${targetId}`, 'load')) ?? {};
  const times = Object.keys(item).filter((name) => name.startsWith('since#'));
  expect(times).not.toEqual([]);
  await cloud.documents.send(
    new UpdateCommand({
      TableName: cloud.table.tableName,
      Key: { pk: `target#${targetId}`, sk: 'load' },
      UpdateExpression: `REMOVE ${times.map((_, index) => `#t${index}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(times.map((name, index) => [`#t${index}`, name])),
    }),
  );
}

beforeEach(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  interfaceTarget = await seed.interfaceTarget('eu-west-1a');
  nlbTarget = await seed.loadBalancerTarget();
});

afterEach(async () => {
  for (const made of wirings.splice(0)) made.destroy();
  await cloud?.stop();
});

describe('sweep, bounded per run', () => {
  it('converges at most maxInstancesPerRun instances per run and covers the whole fleet over successive runs', async () => {
    const fleet: Launched[] = [];
    for (let i = 0; i < 7; i += 1) fleet.push(await seed.launch({ tags: TAG }));
    const { deps, sweepLedger } = wiring();
    const bounded = settings({ maxInstancesPerRun: 3, batchSize: 2 });

    const runs = [];
    for (let run = 0; run < 3; run += 1) runs.push(await sweep(trigger(`sweep-${run}`), deps, { ledger: sweepLedger, settings: bounded }));

    expect(runs.map((r) => r.converged)).toEqual([3, 3, 3]);
    expect(runs.map((r) => r.listed)).toEqual([7, 7, 7]);
    expect(runs[0]?.deferred).toBe(4);
    // 3 + 3 + 1 new ones, then the rotation wraps around to instances already mirrored (kept).
    expect(runs.map((r) => r.attached)).toEqual([3, 3, 1]);
    const eniIds = fleet.flatMap((instance) => instance.eniIds);
    expect(
      ours(eniIds)
        .map((s) => s.networkInterfaceId)
        .sort(),
    ).toEqual([...eniIds].sort());
  });

  it('cleans up untagged instances that still carry our sessions before converging tagged ones', async () => {
    const leaving = await seed.launch({ tags: TAG });
    const { deps, sweepLedger } = wiring();
    await sweep(trigger('sweep-attach'), deps, { ledger: sweepLedger, settings: settings({}) });
    expect(ours(leaving.eniIds)).toHaveLength(1);
    await seed.untag(leaving.instanceId, 'traffic-mirror');
    const newcomers: Launched[] = [];
    for (let i = 0; i < 3; i += 1) newcomers.push(await seed.launch({ tags: TAG }));

    const run = await sweep(trigger('sweep-cleanup'), deps, {
      ledger: sweepLedger,
      settings: settings({ maxInstancesPerRun: 1, batchSize: 1 }),
    });

    expect(run).toMatchObject({ converged: 1, detached: 1, attached: 0 });
    expect(ours(leaving.eniIds)).toEqual([]);
    expect(await ledgerItem(cloud, `eni#${leaving.eniIds[0]}`, 'slots')).toBeUndefined();
  });

  it('stops starting new steps when less than the time reserve is left, after the first step', async () => {
    for (let i = 0; i < 4; i += 1) await seed.launch({ tags: TAG });
    const { deps, sweepLedger } = wiring();

    const run = await sweep(trigger('sweep-late'), deps, {
      ledger: sweepLedger,
      settings: settings({ batchSize: 1, timeReserveMs: 30_000 }),
      remainingTimeMs: () => 10_000,
    });

    expect(run).toMatchObject({ converged: 1, deferred: 3, attached: 1 });
    // The cursor moved past the converged instance: the next run starts with the others.
    const next = await sweep(trigger('sweep-next'), deps, { ledger: sweepLedger, settings: settings({ batchSize: 3 }) });
    expect(next).toMatchObject({ converged: 4, attached: 3, kept: 1 });
  });

  it('saves the cursor after every step, so a run cut short by its timeout still moves on', async () => {
    const fleet: Launched[] = [];
    for (let i = 0; i < 3; i += 1) fleet.push(await seed.launch({ tags: TAG }));
    const { deps, sweepLedger } = wiring();
    const firstInTurn = fleet.map((instance) => instance.instanceId).sort()[0];
    // The second step never returns: the Lambda timeout will end the run there, before any end-of-run write.
    let steps = 0;
    let secondStepStarted: () => void = () => undefined;
    const stuck = new Promise<void>((resolve) => {
      secondStepStarted = resolve;
    });
    const stuckInSecondStep: typeof deps = {
      ...deps,
      ec2: {
        ...deps.ec2,
        describeInstances: (ids) => {
          steps += 1;
          if (steps < 2) return deps.ec2.describeInstances(ids);
          secondStepStarted();
          return new Promise(() => undefined);
        },
      },
    };

    void sweep(trigger('sweep-stuck'), stuckInSecondStep, { ledger: sweepLedger, settings: settings({ batchSize: 1 }) });
    await stuck;

    expect(await sweepLedger.cursor.read()).toBe(firstInTurn);
  });

  it('visits a tagged instance whose events were lost even when remembered instances outnumber a run', async () => {
    // Arrange: three instances the ledger remembers for their hand-made sessions (mirrored once, then untagged).
    const { deps, sweepLedger } = wiring();
    const remembered: Launched[] = [];
    for (let i = 0; i < 3; i += 1) {
      const instance = await seed.launch({ tags: TAG });
      await seed.handMadeSession(instance.eniIds[0] as string, nlbTarget, filterId, 5);
      remembered.push(instance);
    }
    await sweep(trigger('sweep-learn'), deps, { ledger: sweepLedger, settings: settings({}) });
    for (const instance of remembered) await seed.untag(instance.instanceId, 'traffic-mirror');
    await sweep(trigger('sweep-untagged'), deps, { ledger: sweepLedger, settings: settings({}) });
    expect(ours(remembered.flatMap((instance) => instance.eniIds))).toEqual([]);
    // A tagged instance the event functions never heard of.
    const missed = await seed.launch({ tags: {} });
    await cloud.ec2.send(new CreateTagsCommand({ Resources: [missed.instanceId], Tags: [{ Key: 'traffic-mirror', Value: 'true' }] }));

    // Act: runs of 2 instances, fewer than the 3 remembered ones; 4 instances in turn need ceil(4 / 2) = 2 runs.
    const bounded = settings({ maxInstancesPerRun: 2, batchSize: 1 });
    for (let run = 0; run < 2; run += 1) await sweep(trigger(`sweep-bounded-${run}`), deps, { ledger: sweepLedger, settings: bounded });

    // Assert: the missed instance is mirrored.
    expect(ours(missed.eniIds)).toHaveLength(1);
  });
});

describe('the scheduled sweep', () => {
  it('repairs what events missed without counting it as event-to-session latency, and times its own run', async () => {
    // Arrange: a tagged instance whose events were lost, and a schedule tick a minute old when the run starts.
    const missed = await seed.launch({ tags: TAG });
    const { deps, sweepLedger } = wiring();
    const emitted: string[] = [];
    const metrics = { addMetric: (name: string) => emitted.push(name) } as unknown as Metrics;
    const tick = {
      id: 'tick-1',
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      time: new Date(Date.now() - 60_000).toISOString(),
      detail: {},
    };

    // Act
    const summary = await handleScheduledSweep(tick, { ...deps, metrics }, { ledger: sweepLedger, settings: settings({}) });

    // Assert
    expect(summary.attached).toBe(1);
    expect(ours(missed.eniIds)).toHaveLength(1);
    expect(emitted).toContain(GOVERNANCE_METRICS.sweepDurationMs);
    expect(emitted).not.toContain(GOVERNANCE_METRICS.eventToSessionMs);
  });
});

describe('sweep pacing', () => {
  it('passes every create through the token bucket and waits when the burst is spent', async () => {
    for (let i = 0; i < 3; i += 1) await seed.launch({ tags: TAG, interfaces: 2 });
    const { deps, sweepLedger } = wiring();
    const waits: number[] = [];
    let fakeNow = 0;
    const bucket = new TokenBucket({
      capacity: 2,
      refillPerSecond: 4,
      now: () => fakeNow,
      sleep: async (ms) => {
        waits.push(ms);
        fakeNow += ms;
      },
    });
    cloud.sim.resetCalls();

    const run = await sweep(trigger('sweep-paced'), deps, { ledger: sweepLedger, settings: settings({}), bucket });

    const creates = cloud.sim.calls().CreateTrafficMirrorSession?.total ?? 0;
    expect(run.attached).toBe(6);
    expect(creates).toBe(6);
    expect(run.mutations).toBe(creates);
    // 2 from the burst, then 4 more at 4/s (a quarter second each): a full second of waiting.
    expect(waits).toHaveLength(4);
    expect(run.pacedMs).toBe(1000);
  });
});

describe('sweep resolving what a crash left in the ledger', () => {
  it('marks a stale reservation active when its session exists on EC2', async () => {
    const instance = await seed.launch({ tags: TAG });
    const eniId = instance.eniIds[0] as string;
    // A handler created the session and died before the ledger commit: the slot is still 'reserved'.
    const removeHook = cloud.sim.hook('CreateTrafficMirrorSession', 'after', () => {
      throw new Error('handler died before reading the answer');
    });
    const noRetry = wire(endpointsOf(cloud), { targetIds: [interfaceTarget, nlbTarget], filterId, ec2MaxAttempts: 1 });
    wirings.push(noRetry);
    await expect(sweep(trigger('crashed'), noRetry.deps, { settings: settings({}) })).rejects.toThrow();
    removeHook();
    const before = (await ledgerItem(cloud, `eni#${eniId}`, 'slots')) as { slots: Record<string, { state: string }> };
    expect(Object.values(before.slots).map((slot) => slot.state)).toEqual(['reserved']);

    const later = wiring(AFTER_GRACE_MS);
    const run = await sweep(trigger('sweep-after-crash'), later.deps, { ledger: later.sweepLedger, settings: settings({}) });

    // No new session: the one the crashed attempt made is recorded, and announced (for the first time).
    expect(run).toMatchObject({ attached: 1, failed: 0 });
    expect(run.decisions).toContainEqual(
      expect.objectContaining({ action: 'attach', eniId, detail: expect.stringContaining('earlier attempt') }),
    );
    const session = ours([eniId]);
    expect(session).toHaveLength(1);
    const after = (await ledgerItem(cloud, `eni#${eniId}`, 'slots')) as { slots: Record<string, { state: string; sessionId: string }> };
    expect(Object.values(after.slots)).toEqual([
      expect.objectContaining({ state: 'active', sessionId: session[0]?.trafficMirrorSessionId }),
    ]);
  });

  it('releases a stale reservation and its target source when no session exists, once the instance is no longer tagged', async () => {
    const instance = await seed.launch({ tags: TAG });
    const eniId = instance.eniIds[0] as string;
    const { deps } = wiring();
    // A handler reserved target source and slot, then died before CreateTrafficMirrorSession.
    expect(await deps.ledger.reserveTargetSource(nlbTarget, eniId, null)).toBe('reserved');
    const slot = await deps.ledger.reserveSlot({
      eniId,
      instanceId: instance.instanceId,
      targetId: nlbTarget,
      numberCandidates: [1],
      preferredSessionNumber: 1,
      observedSessions: [],
      heldUntil: new Date(deps.clock.now().getTime() + 60_000).toISOString(),
    });
    expect(slot.kind).toBe('reserved');
    await seed.untag(instance.instanceId, 'traffic-mirror');

    const within = await sweep(trigger('sweep-within-grace'), deps, { ledger: wiring().sweepLedger, settings: settings({}) });
    expect(within.decisions.filter((d) => d.action === 'release')).toEqual([]);
    const later = wiring(AFTER_GRACE_MS);
    const run = await sweep(trigger('sweep-after-grace'), later.deps, { ledger: later.sweepLedger, settings: settings({}) });

    expect(run.decisions).toContainEqual(expect.objectContaining({ action: 'release', eniId, reason: 'session-gone' }));
    expect(await ledgerItem(cloud, `eni#${eniId}`, 'slots')).toBeUndefined();
    expect((await targetLoads(cloud)).get(nlbTarget)).toEqual({ count: 0, sources: [] });
    expect(ours([eniId])).toEqual([]);
  });

  it('releases a target source that no slot and no session accounts for, only after the grace period', async () => {
    const instance = await seed.launch({ tags: {} });
    const eniId = instance.eniIds[0] as string;
    const { deps, sweepLedger } = wiring();
    // A handler reserved the target source and died before reserving the ENI slot.
    await deps.ledger.reserveTargetSource(interfaceTarget, eniId, 10);

    const within = await sweep(trigger('audit-within-grace'), deps, { ledger: sweepLedger, settings: settings({}) });
    const later = wiring(AFTER_GRACE_MS);
    const after = await sweep(trigger('audit-after-grace'), later.deps, { ledger: later.sweepLedger, settings: settings({}) });

    expect(within.targetSourcesReleased).toBe(0);
    expect(after.targetSourcesReleased).toBe(1);
    expect(after.decisions).toContainEqual(
      expect.objectContaining({ action: 'release', eniId, targetId: interfaceTarget, reason: 'target-source-orphaned' }),
    );
    expect((await targetLoads(cloud)).get(interfaceTarget)).toEqual({ count: 0, sources: [] });
  });

  it('releases a source a crashed attach left on a busy target, whose item the sweep itself touches', async () => {
    const idle = await seed.launch({ tags: {} });
    const orphan = idle.eniIds[0] as string;
    await wiring().deps.ledger.reserveTargetSource(interfaceTarget, orphan, 10);
    const busy = await seed.launch({ tags: TAG });
    const later = wiring(AFTER_GRACE_MS);

    // The run attaches the tagged instance to the same target before its audit: the item changed a moment ago.
    const run = await sweep(trigger('audit-busy-target'), later.deps, { ledger: later.sweepLedger, settings: settings({}) });

    expect(run.attached).toBe(1);
    expect(run.decisions).toContainEqual(
      expect.objectContaining({ action: 'release', eniId: orphan, targetId: interfaceTarget, reason: 'target-source-orphaned' }),
    );
    expect((await targetLoads(cloud)).get(interfaceTarget)).toEqual({ count: 1, sources: busy.eniIds });
  });

  it("judges a source an older version took, with no time of its own, by the item's last change", async () => {
    const idle = await seed.launch({ tags: {} });
    const orphan = idle.eniIds[0] as string;
    const { deps } = wiring();
    await deps.ledger.reserveTargetSource(interfaceTarget, orphan, 10);
    await withoutSourceTimes(interfaceTarget);

    const within = wiring(SLOT_GRACE_MS / 2);
    const early = await sweep(trigger('legacy-within-grace'), within.deps, { ledger: within.sweepLedger, settings: settings({}) });
    const later = wiring(AFTER_GRACE_MS);
    const after = await sweep(trigger('legacy-after-grace'), later.deps, { ledger: later.sweepLedger, settings: settings({}) });

    expect(early.targetSourcesReleased).toBe(0);
    expect(after.targetSourcesReleased).toBe(1);
    expect((await targetLoads(cloud)).get(interfaceTarget)).toEqual({ count: 0, sources: [] });
  });

  it('keeps target sources that a hand-made session accounts for', async () => {
    const instance = await seed.launch({ tags: TAG });
    const eniId = instance.eniIds[0] as string;
    const handMade = await seed.handMadeSession(eniId, interfaceTarget, filterId, 5);
    const now = wiring();
    await sweep(trigger('learn'), now.deps, { ledger: now.sweepLedger, settings: settings({}) });
    const later = wiring(AFTER_GRACE_MS);

    const run = await sweep(trigger('audit-hand-made'), later.deps, { ledger: later.sweepLedger, settings: settings({}) });

    expect(run.targetSourcesReleased).toBe(0);
    expect((await targetLoads(cloud)).get(interfaceTarget)?.sources).toContain(eniId);
    const item = (await ledgerItem(cloud, `eni#${eniId}`, 'slots')) as { slots: Record<string, { owner: string; sessionId: string }> };
    expect(Object.values(item.slots)).toContainEqual(expect.objectContaining({ owner: 'foreign', sessionId: handMade }));
    expect(sessionsOn(cloud, [eniId]).map((s) => s.trafficMirrorSessionId)).toContain(handMade);
  });
});

describe('sweep counting load balancer targets', () => {
  it('counts the slots on one (attaches do not: no limit), drops the list an older version kept, and rewrites nothing unchanged', async () => {
    const launched = [await seed.launch({ tags: TAG }), await seed.launch({ tags: TAG })];
    const onlyNlb = wire(endpointsOf(cloud), { targetIds: [nlbTarget], filterId });
    wirings.push(onlyNlb);
    // What an older version left: every source listed on the target, one of them long gone.
    await onlyNlb.deps.ledger.reserveTargetSource(nlbTarget, 'eni-0f0f0f0f0f0f0f0f0', null);

    const first = await sweep(trigger('count-1'), onlyNlb.deps, { ledger: onlyNlb.sweepLedger, settings: settings({}) });
    const counted = await ledgerItem(cloud, `target#${nlbTarget}`, 'load');
    await sweep(trigger('count-2'), onlyNlb.deps, { ledger: onlyNlb.sweepLedger, settings: settings({}) });

    expect(first).toMatchObject({ attached: 2, failed: 0 });
    expect(ours(launched.flatMap((instance) => instance.eniIds))).toHaveLength(2);
    expect((await targetLoads(cloud)).get(nlbTarget)).toEqual({ count: 2, sources: [] });
    expect(await ledgerItem(cloud, `target#${nlbTarget}`, 'load')).toEqual(counted);
  });

  it('counts one taken out of the pool down to zero, then stops reading it', async () => {
    const launched = [await seed.launch({ tags: TAG }), await seed.launch({ tags: TAG })];
    const onNlb = wire(endpointsOf(cloud), { targetIds: [nlbTarget], filterId });
    const onInterface = wire(endpointsOf(cloud), { targetIds: [interfaceTarget], filterId });
    wirings.push(onNlb, onInterface);
    await sweep(trigger('pool-1'), onNlb.deps, { ledger: onNlb.sweepLedger, settings: settings({}) });

    // The operator moves the pool to the interface target: the sessions move, and nothing else counts the NLB down.
    const moved = await sweep(trigger('pool-2'), onInterface.deps, { ledger: onInterface.sweepLedger, settings: settings({}) });
    const afterMove = await ledgerItem(cloud, 'sweep#targets', 'counted');
    await sweep(trigger('pool-3'), onInterface.deps, { ledger: onInterface.sweepLedger, settings: settings({}) });
    const settled = await ledgerItem(cloud, 'sweep#targets', 'counted');
    await sweep(trigger('pool-4'), onInterface.deps, { ledger: onInterface.sweepLedger, settings: settings({}) });

    expect(moved).toMatchObject({ detached: 2, attached: 2, failed: 0 });
    expect(ours(launched.flatMap((instance) => instance.eniIds)).map((s) => s.trafficMirrorTargetId)).toEqual([
      interfaceTarget,
      interfaceTarget,
    ]);
    expect((await targetLoads(cloud)).get(nlbTarget)).toEqual({ count: 0, sources: [] });
    expect(afterMove).toMatchObject({ targetIds: new Set([interfaceTarget, nlbTarget]) });
    expect(settled).toMatchObject({ targetIds: new Set([interfaceTarget]) });
    expect(await ledgerItem(cloud, 'sweep#targets', 'counted')).toEqual(settled);
  });
});

describe('sweep on tags it never heard about', () => {
  it('mirrors an instance tagged after launch with no event, and is a no-op on the next run', async () => {
    const instance = await seed.launch({ tags: {} });
    await cloud.ec2.send(new CreateTagsCommand({ Resources: [instance.instanceId], Tags: [{ Key: 'traffic-mirror', Value: 'true' }] }));
    const { deps, sweepLedger } = wiring();

    const first = await sweep(trigger('missed-1'), deps, { ledger: sweepLedger, settings: settings({}) });
    const second = await sweep(trigger('missed-2'), deps, { ledger: sweepLedger, settings: settings({}) });

    expect(first).toMatchObject({ attached: 1, failed: 0 });
    expect(second).toMatchObject({ attached: 0, detached: 0, kept: 1, mutations: 0 });
  });
});
