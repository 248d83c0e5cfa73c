/**
 * converge through the real handlers, the real SDK over HTTP, the EC2 simulator and dynalite: attaching,
 * refusing, hand-made sessions, idempotency and bad input.
 */
import { AttachNetworkInterfaceCommand } from '@aws-sdk/client-ec2';
import type { Handler } from 'aws-lambda';
import type { ConvergeSummary } from '../../shared/converge';
import { InvalidEventError } from '../../shared/domain/errors';
import { createLambdaContext } from '../support/lambda-context';
import {
  Ec2Seeder,
  fixtureEvent,
  historyOf,
  ledgerItem,
  sessionsOn,
  setFunctionEnvironment,
  startTestCloud,
  type TestCloud,
  targetLoads,
} from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
const OWNER = 'vpc-mirror-orchestrator';

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let poolTargetIds: string[];
let instanceEvents: Handler<unknown, ConvergeSummary>;
let cloudTrailTags: Handler<unknown, ConvergeSummary>;

function invoke(handler: Handler<unknown, ConvergeSummary>, event: unknown): Promise<ConvergeSummary> {
  return handler(event, createLambdaContext(), () => undefined) as Promise<ConvergeSummary>;
}

function ownedSessions(eniIds: readonly string[]) {
  return sessionsOn(cloud, eniIds).filter((session) => session.tags['vpc-mirror-orchestrator:owner'] === OWNER);
}

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  poolTargetIds = [await seed.interfaceTarget('eu-west-1a'), await seed.interfaceTarget('eu-west-1b'), await seed.loadBalancerTarget()];
  setFunctionEnvironment(cloud, { targetIds: poolTargetIds, filterId });
  // Handlers read their configuration at module load: only now may they be loaded.
  instanceEvents = (await import('../../functions/instance-events')).handler as Handler<unknown, ConvergeSummary>;
  cloudTrailTags = (await import('../../functions/cloudtrail-tags')).handler as Handler<unknown, ConvergeSummary>;
});

afterAll(async () => {
  await cloud?.stop();
});

beforeEach(() => cloud.bus.clear());

describe('converge on a running, tagged instance', () => {
  it('mirrors each of the two ENIs of an m5 once, tagged as ours, and records it in the ledger', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG, interfaces: 2, zone: 'eu-west-1a' });
    const event = fixtureEvent('state-change-running', instance.instanceId);

    const summary = await invoke(instanceEvents, event);

    expect(summary).toMatchObject({ attached: 2, failed: 0, refused: 0 });
    const sessions = sessionsOn(cloud, instance.eniIds);
    expect(sessions.map((s) => s.networkInterfaceId).sort()).toEqual([...instance.eniIds].sort());
    for (const session of sessions) {
      expect(session.trafficMirrorFilterId).toBe(filterId);
      expect(poolTargetIds).toContain(session.trafficMirrorTargetId);
      expect(session.tags).toMatchObject({
        'vpc-mirror-orchestrator:owner': OWNER,
        'vpc-mirror-orchestrator:instance-id': instance.instanceId,
      });
      const slots = (await ledgerItem(cloud, `eni#${session.networkInterfaceId}`, 'slots')) as {
        slots: Record<string, Record<string, unknown>>;
        gsi1pk: string;
      };
      expect(slots.gsi1pk).toBe(`instance#${instance.instanceId}`);
      expect(slots.slots[String(session.sessionNumber)]).toMatchObject({
        owner: 'managed',
        state: 'active',
        sessionId: session.trafficMirrorSessionId,
        reservationId: session.tags['vpc-mirror-orchestrator:reservation'],
      });
      const load = (await targetLoads(cloud)).get(session.trafficMirrorTargetId);
      expect(load?.sources).toContain(session.networkInterfaceId);
    }
    const attachedEvents = cloud.bus.events.filter((e) => e.detailType === 'Mirror Session Attached');
    expect(attachedEvents).toHaveLength(2);
    for (const published of attachedEvents) {
      expect(published.source).toBe('vpc-mirror-orchestrator');
      expect(published.eventBusName).toBe('mirror-outcomes');
      expect(published.detail).toMatchObject({
        schemaVersion: 1,
        action: 'attach',
        instanceId: instance.instanceId,
        triggerEventId: event.id,
        ownerId: OWNER,
      });
    }
    const history = await historyOf(cloud, instance.instanceId);
    expect(history.filter((h) => h.action === 'attach')).toHaveLength(2);
    expect(history.every((h) => typeof h.expiresAt === 'number' && (h.expiresAt as number) > Date.now() / 1000 + 89 * 86_400)).toBe(true);
  });

  it('mirrors the instance a CloudTrail CreateTags call tagged', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG });

    const summary = await invoke(cloudTrailTags, fixtureEvent('cloudtrail-create-tags', instance.instanceId));

    expect(summary).toMatchObject({ attached: 1, failed: 0 });
    expect(ownedSessions(instance.eniIds)).toHaveLength(1);
  });

  it("mirrors an interface attached later to a running tagged instance, from CloudTrail's record of the attach", async () => {
    // Arrange: mirrored; then an operator attaches a second interface (no state or tag change follows).
    const instance = await seed.launch({ type: 'm5.large', tags: TAG, zone: 'eu-west-1a' });
    await invoke(instanceEvents, fixtureEvent('state-change-running', instance.instanceId));
    const added = await seed.detachedInterface('eu-west-1a');
    await cloud.ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: added, InstanceId: instance.instanceId, DeviceIndex: 1 }));
    await cloud.sim.settle();
    const record = JSON.parse(
      JSON.stringify(fixtureEvent('cloudtrail-attach-network-interface', instance.instanceId)).replace('eni-0f1e2d3c4b5a69788', added),
    );

    // Act
    const summary = await invoke(cloudTrailTags, record);

    // Assert
    expect(summary).toMatchObject({ attached: 1, kept: 1, failed: 0 });
    expect(ownedSessions([added])).toHaveLength(1);
    expect(ownedSessions(instance.eniIds)).toHaveLength(1);
  });

  it('does nothing for an instance that is not tagged, whatever the event claims', async () => {
    const instance = await seed.launch({ type: 'm5.large' });

    const summary = await invoke(instanceEvents, fixtureEvent('tag-change-added', instance.instanceId));

    expect(summary).toMatchObject({ attached: 0, failed: 0 });
    expect(sessionsOn(cloud, instance.eniIds)).toEqual([]);
    expect(cloud.bus.events).toEqual([]);
  });

  it.each([
    ['t2.micro', 'unsupported-instance-type'],
    ['m6i.large', 'unsupported-instance-type'],
    ['m5.metal', 'bare-metal'],
  ])('refuses %s (%s) and creates nothing', async (type, reason) => {
    const instance = await seed.launch({ type, tags: TAG });

    const summary = await invoke(instanceEvents, fixtureEvent('state-change-running', instance.instanceId));

    expect(summary).toMatchObject({ attached: 0, failed: 0 });
    expect(summary.refused).toBeGreaterThan(0);
    expect(sessionsOn(cloud, instance.eniIds)).toEqual([]);
    const refused = cloud.bus.events.filter((e) => e.detailType === 'Mirror Session Refused');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.detail).toMatchObject({ action: 'refuse', reason, instanceId: instance.instanceId });
  });
});

describe('converge next to hand-made sessions', () => {
  it('refuses an ENI that already has three hand-made sessions and leaves them untouched', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG });
    const eniId = instance.eniIds[0] as string;
    const handMade = [];
    for (const number of [1, 2, 3]) handMade.push(await seed.handMadeSession(eniId, poolTargetIds[2] as string, filterId, number));
    const before = sessionsOn(cloud, [eniId]);

    const summary = await invoke(instanceEvents, fixtureEvent('state-change-running', instance.instanceId));

    expect(summary).toMatchObject({ attached: 0, refused: 1, failed: 0 });
    expect(sessionsOn(cloud, [eniId])).toEqual(before);
    expect(before.map((s) => s.trafficMirrorSessionId).sort()).toEqual(handMade.sort());
    const refused = cloud.bus.events.find((e) => e.detailType === 'Mirror Session Refused');
    expect(refused?.detail).toMatchObject({ reason: 'interface-session-limit', eniId });
  });

  it('takes number 2 when a hand-made session holds number 1, and learns the hand-made one into the ledger', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG });
    const eniId = instance.eniIds[0] as string;
    const handMade = await seed.handMadeSession(eniId, poolTargetIds[2] as string, filterId, 1);

    const summary = await invoke(instanceEvents, fixtureEvent('state-change-running', instance.instanceId));

    expect(summary).toMatchObject({ attached: 1, failed: 0 });
    const ours = ownedSessions([eniId]);
    expect(ours.map((s) => s.sessionNumber)).toEqual([2]);
    expect(sessionsOn(cloud, [eniId]).find((s) => s.trafficMirrorSessionId === handMade)?.sessionNumber).toBe(1);
    const slots = (await ledgerItem(cloud, `eni#${eniId}`, 'slots')) as { slots: Record<string, Record<string, unknown>> };
    expect(slots.slots['1']).toMatchObject({ owner: 'foreign', sessionId: handMade });
    expect(slots.slots['2']).toMatchObject({ owner: 'managed', state: 'active' });
  });
});

describe('converge is idempotent', () => {
  it('gives the same result for the same event delivered three times in a row', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG, interfaces: 2 });
    const event = fixtureEvent('state-change-running', instance.instanceId);

    const first = await invoke(instanceEvents, event);
    const afterFirst = sessionsOn(cloud, instance.eniIds);
    const loadsAfterFirst = await targetLoads(cloud);
    const second = await invoke(instanceEvents, event);
    const third = await invoke(instanceEvents, event);

    expect(first).toMatchObject({ attached: 2, kept: 0 });
    expect(second).toMatchObject({ attached: 0, kept: 2, detached: 0 });
    expect(third).toMatchObject({ attached: 0, kept: 2, detached: 0 });
    expect(sessionsOn(cloud, instance.eniIds)).toEqual(afterFirst);
    expect(await targetLoads(cloud)).toEqual(loadsAfterFirst);
    expect(cloud.bus.events.filter((e) => e.detailType === 'Mirror Session Attached')).toHaveLength(2);
  });

  it('creates one session per ENI when the same event is handled three times at once', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG, interfaces: 2 });
    const event = fixtureEvent('state-change-running', instance.instanceId);

    const summaries = await Promise.all([invoke(instanceEvents, event), invoke(instanceEvents, event), invoke(instanceEvents, event)]);

    expect(summaries.every((s) => s.failed === 0)).toBe(true);
    const sessions = sessionsOn(cloud, instance.eniIds);
    expect(sessions.map((s) => s.networkInterfaceId).sort()).toEqual([...instance.eniIds].sort());
    const loads = await targetLoads(cloud);
    for (const eniId of instance.eniIds) {
      const holders = [...loads.values()].filter((load) => load.sources.includes(eniId));
      expect(holders).toHaveLength(1);
    }
  });
});

describe('converge on bad or stale input', () => {
  it('rejects a malformed event with InvalidEventError and touches nothing', async () => {
    const before = cloud.sim.snapshot().sessions;
    cloud.sim.resetCalls();
    const malformed = { ...fixtureEvent('state-change-running', 'i-0123456789abcdef0'), detail: { state: 'running' } };

    await expect(invoke(instanceEvents, malformed)).rejects.toBeInstanceOf(InvalidEventError);

    expect(cloud.sim.calls()).toEqual({});
    expect(cloud.sim.snapshot().sessions).toEqual(before);
    expect(cloud.bus.events).toEqual([]);
  });

  it('ends cleanly for an instance EC2 does not know', async () => {
    const before = cloud.sim.snapshot().sessions;

    const summary = await invoke(instanceEvents, fixtureEvent('state-change-running', 'i-0fedcba9876543210'));

    expect(summary).toMatchObject({ attached: 0, detached: 0, failed: 0 });
    expect(summary.decisions).toEqual([
      expect.objectContaining({ action: 'skip', reason: 'instance-gone', instanceId: 'i-0fedcba9876543210' }),
    ]);
    expect(cloud.sim.snapshot().sessions).toEqual(before);
  });
});
