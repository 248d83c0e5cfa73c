/**
 * Taking mirroring away: stop, untag and terminate remove our sessions and only ours; the sweep catches what
 * events missed. Real handlers, real SDK, the EC2 simulator and dynalite.
 */
import type { Handler } from 'aws-lambda';
import type { ConvergeSummary } from '../../shared/converge';
import { createLambdaContext } from '../support/lambda-context';
import {
  Ec2Seeder,
  fixtureEvent,
  type Launched,
  ledgerItem,
  sessionsOn,
  setFunctionEnvironment,
  startTestCloud,
  type TestCloud,
  targetLoads,
} from '../support/test-cloud';

const TAG_KEY = 'traffic-mirror';
const TAG = { [TAG_KEY]: 'true' };
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let interfaceTargetId: string;
let nlbTargetId: string;
let instanceEvents: Handler<unknown, ConvergeSummary>;
let sweepHandler: Handler<unknown, ConvergeSummary>;

function invoke(handler: Handler<unknown, ConvergeSummary>, event: unknown): Promise<ConvergeSummary> {
  return handler(event, createLambdaContext(), () => undefined) as Promise<ConvergeSummary>;
}

const scheduledEvent = (id: string) => ({
  version: '0',
  id,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '111122223333',
  time: '2026-10-02T15:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:111122223333:rule/vpc-mirror-sweep'],
  detail: {},
});

/** A tagged m5 with two ENIs, a hand-made session (number 1) on the first, and ours attached by a running event. */
async function mirroredInstanceWithHandMadeSession(options: { keepPrimaryOnTermination?: boolean } = {}) {
  const instance = await seed.launch({ type: 'm5.large', tags: TAG, interfaces: 2, ...options });
  const handMadeId = await seed.handMadeSession(instance.eniIds[0] as string, nlbTargetId, filterId, 1);
  const attached = await invoke(instanceEvents, fixtureEvent('state-change-running', instance.instanceId));
  expect(attached).toMatchObject({ attached: 2, failed: 0 });
  cloud.bus.clear();
  return { instance, handMadeId };
}

async function expectOnlyHandMadeLeft(instance: Launched, handMadeId: string): Promise<void> {
  const left = sessionsOn(cloud, instance.eniIds);
  expect(left.map((s) => s.trafficMirrorSessionId)).toEqual([handMadeId]);
  expect(left.filter((s) => s.tags[OWNER_TAG] !== undefined)).toEqual([]);
  const loads = await targetLoads(cloud);
  for (const eniId of instance.eniIds) {
    expect([...loads.values()].some((load) => load.sources.includes(eniId))).toBe(false);
  }
}

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  interfaceTargetId = await seed.interfaceTarget('eu-west-1a');
  nlbTargetId = await seed.loadBalancerTarget();
  setFunctionEnvironment(cloud, { targetIds: [interfaceTargetId, nlbTargetId], filterId });
  instanceEvents = (await import('../../functions/instance-events')).handler as Handler<unknown, ConvergeSummary>;
  sweepHandler = (await import('../../functions/sweep')).handler as Handler<unknown, ConvergeSummary>;
});

afterAll(async () => {
  await cloud?.stop();
});

describe('converge when mirroring should end', () => {
  it('removes our sessions, and only ours, when the instance stops', async () => {
    const { instance, handMadeId } = await mirroredInstanceWithHandMadeSession();
    await seed.stop(instance.instanceId);

    const summary = await invoke(instanceEvents, fixtureEvent('state-change-stopped', instance.instanceId));

    expect(summary).toMatchObject({ detached: 2, attached: 0, failed: 0 });
    await expectOnlyHandMadeLeft(instance, handMadeId);
    const slots = (await ledgerItem(cloud, `eni#${instance.eniIds[0]}`, 'slots')) as { slots: Record<string, Record<string, unknown>> };
    expect(Object.values(slots.slots)).toEqual([expect.objectContaining({ owner: 'foreign', sessionId: handMadeId })]);
    expect(await ledgerItem(cloud, `eni#${instance.eniIds[1]}`, 'slots')).toBeUndefined();
    const detached = cloud.bus.events.filter((e) => e.detailType === 'Mirror Session Detached');
    expect(detached.map((e) => e.detail.reason)).toEqual(['not-running', 'not-running']);
  });

  it('removes our sessions, and only ours, when the opt-in tag is removed', async () => {
    const { instance, handMadeId } = await mirroredInstanceWithHandMadeSession();
    await seed.untag(instance.instanceId, TAG_KEY);

    const summary = await invoke(instanceEvents, fixtureEvent('tag-change-removed', instance.instanceId));

    expect(summary).toMatchObject({ detached: 2, failed: 0 });
    await expectOnlyHandMadeLeft(instance, handMadeId);
    expect(cloud.bus.events.filter((e) => e.detailType === 'Mirror Session Detached').map((e) => e.detail.reason)).toEqual([
      'not-tagged',
      'not-tagged',
    ]);
  });

  it('on terminate, detaches ours from the ENI that survives and announces the end of what EC2 deleted with the other', async () => {
    const { instance, handMadeId } = await mirroredInstanceWithHandMadeSession({ keepPrimaryOnTermination: true });
    await seed.terminate(instance.instanceId);
    const survivor = instance.eniIds[0] as string;
    expect(sessionsOn(cloud, [survivor])).toHaveLength(2);

    const summary = await invoke(instanceEvents, fixtureEvent('state-change-terminated', instance.instanceId));

    expect(summary).toMatchObject({ detached: 2, failed: 0 });
    expect(summary.decisions).toContainEqual(
      expect.objectContaining({ action: 'detach', eniId: instance.eniIds[1], reason: 'instance-gone' }),
    );
    const detachedEnis = cloud.bus.events.filter((e) => e.detailType === 'Mirror Session Detached').map((e) => e.detail.eniId);
    expect(detachedEnis.sort()).toEqual([survivor, instance.eniIds[1]].sort());
    await expectOnlyHandMadeLeft(instance, handMadeId);
    expect(await ledgerItem(cloud, `eni#${instance.eniIds[1]}`, 'slots')).toBeUndefined();
  });
});

describe('the sweep', () => {
  it('mirrors a tagged instance whose events never arrived, and is a no-op the second time', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG });

    const first = await invoke(sweepHandler, scheduledEvent('0a0b0c0d-0000-4000-8000-000000000001'));
    const second = await invoke(sweepHandler, scheduledEvent('0a0b0c0d-0000-4000-8000-000000000002'));

    expect(first.decisions).toContainEqual(expect.objectContaining({ action: 'attach', instanceId: instance.instanceId }));
    expect(second.attached).toBe(0);
    expect(second.failed).toBe(0);
    expect(sessionsOn(cloud, instance.eniIds).filter((s) => s.tags[OWNER_TAG] !== undefined)).toHaveLength(1);
  });
});
