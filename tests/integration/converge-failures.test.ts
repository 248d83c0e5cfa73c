/**
 * What converge does when EC2 says no at create time, or fails half-way: refusals undo the ledger, target refusals
 * fall through to the next candidate, a lost answer is retried into the same session. converge is wired here by the
 * functions' wiring over HTTP, but with its own EC2 client (one attempt, so a transient failure reaches converge).
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { loadConfig } from '../../shared/config/config';
import { type ConvergeDeps, converge, SLOT_GRACE_MS } from '../../shared/converge';
import { RetryableError } from '../../shared/domain/errors';
import { defaultDeps } from '../../shared/wiring/deps';
import { Ec2Seeder, ledgerItem, sessionsOn, startTestCloud, type TestCloud, targetLoads } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let crowdedTarget: string;
let nlbTarget: string;
let ec2Client: EC2Client;
let eventBridgeClient: EventBridgeClient;

function depsWith(env: Record<string, string> = {}): ConvergeDeps {
  const config = loadConfig({
    MIRROR_TARGET_IDS: `${crowdedTarget},${nlbTarget}`,
    MIRROR_FILTER_ID: filterId,
    LEDGER_TABLE_NAME: cloud.table.tableName,
    ...env,
  });
  return defaultDeps(config, {
    clients: { ec2: ec2Client, documents: cloud.documents, eventBridge: eventBridgeClient },
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: null,
  });
}

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  ec2Client = new EC2Client({ endpoint: cloud.sim.url, region: 'eu-west-1', credentials, maxAttempts: 1 });
  eventBridgeClient = new EventBridgeClient({ endpoint: cloud.bus.endpoint, region: 'eu-west-1', credentials });
  filterId = await seed.filter();
  crowdedTarget = await seed.interfaceTarget('eu-west-1a');
  nlbTarget = await seed.loadBalancerTarget();
  // Ten hand-made sources the ledger knows nothing about: EC2 itself will refuse an eleventh on this target.
  for (let i = 0; i < 10; i += 1) {
    const other = await seed.launch({ type: 'm5.large', zone: 'eu-west-1b' });
    await seed.handMadeSession(other.eniIds[0] as string, crowdedTarget, filterId, 1);
  }
});

afterAll(async () => {
  ec2Client?.destroy();
  eventBridgeClient?.destroy();
  await cloud?.stop();
});

beforeEach(() => cloud.bus.clear());

describe('converge when EC2 refuses at create time', () => {
  it('falls through to the next target when EC2 says the first one is full, and undoes the first reservation', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG, zone: 'eu-west-1a' });
    const eniId = instance.eniIds[0] as string;
    cloud.sim.resetCalls();

    const summary = await converge([instance.instanceId], { eventId: 'evt-target-full' }, depsWith());

    expect(summary).toMatchObject({ attached: 1, failed: 0 });
    expect(cloud.sim.calls().CreateTrafficMirrorSession?.errors).toEqual({ TrafficMirrorSourcesPerTargetLimitExceeded: 1 });
    expect(sessionsOn(cloud, [eniId]).map((s) => s.trafficMirrorTargetId)).toEqual([nlbTarget]);
    const loads = await targetLoads(cloud);
    expect(loads.get(crowdedTarget)?.sources ?? []).not.toContain(eniId);
    // A load balancer target has no source limit: the attach spent no ledger write on it.
    expect(loads.get(nlbTarget)).toBeUndefined();
  });

  it('refuses, and releases both reservations, when EC2 says the interface is not supported', async () => {
    // Configuration claims m6i is supported; EC2 (the final word) disagrees.
    const instance = await seed.launch({ type: 'm6i.large', tags: TAG, zone: 'eu-west-1a' });
    const eniId = instance.eniIds[0] as string;

    const summary = await converge([instance.instanceId], { eventId: 'evt-unsupported' }, depsWith({ MIRROR_SUPPORTED_TYPES: 'm6i' }));

    expect(summary).toMatchObject({ attached: 0, refused: 1, failed: 0 });
    expect(summary.decisions).toContainEqual(
      expect.objectContaining({ action: 'refuse', eniId, reason: 'network-interface-not-supported' }),
    );
    expect(sessionsOn(cloud, [eniId])).toEqual([]);
    expect(await ledgerItem(cloud, `eni#${eniId}`, 'slots')).toBeUndefined();
    expect([...(await targetLoads(cloud)).values()].some((load) => load.sources.includes(eniId))).toBe(false);
    expect(cloud.bus.events.map((e) => e.detailType)).toEqual(['Mirror Session Refused']);
  });
});

describe('converge when a create answer is lost', () => {
  it('fails retryably, keeps the reservation, and the retry ends with exactly one session', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG, zone: 'eu-west-1a' });
    const eniId = instance.eniIds[0] as string;
    // The session is created, then the answer is lost (InternalError after the state change).
    const removeHook = cloud.sim.hook('CreateTrafficMirrorSession', 'after', () => {
      throw new Error('answer lost');
    });

    const firstTry = converge([instance.instanceId], { eventId: 'evt-lost' }, depsWith());

    await expect(firstTry).rejects.toBeInstanceOf(RetryableError);
    removeHook();
    const reserved = (await ledgerItem(cloud, `eni#${eniId}`, 'slots')) as {
      slots: Record<string, { state: string; reservationId: string }>;
    };
    expect(Object.values(reserved.slots)).toEqual([expect.objectContaining({ state: 'reserved' })]);

    const retry = await converge([instance.instanceId], { eventId: 'evt-lost' }, depsWith());

    expect(retry.failed).toBe(0);
    const ours = sessionsOn(cloud, [eniId]).filter((s) => s.tags[OWNER_TAG] !== undefined);
    expect(ours).toHaveLength(1);
    const slots = (await ledgerItem(cloud, `eni#${eniId}`, 'slots')) as {
      slots: Record<string, { state: string; sessionId: string; reservationId: string }>;
    };
    expect(Object.values(slots.slots)).toEqual([
      expect.objectContaining({
        state: 'active',
        sessionId: ours[0]?.trafficMirrorSessionId,
        reservationId: Object.values(reserved.slots)[0]?.reservationId,
      }),
    ]);
  });
});

describe('converge on eventually consistent reads', () => {
  it('does not create a second session while its first one is not yet visible to Describe', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG, zone: 'eu-west-1a' });
    const eniId = instance.eniIds[0] as string;
    const deps = depsWith();
    const first = await converge([instance.instanceId], { eventId: 'evt-ec-1' }, deps);
    // EC2's listing lags behind its writes: the next read does not show the session just created yet. (The
    // simulator's own consistency window hides the just-launched instance too, so the lag is applied to the read.)
    const justCreated = new Set(first.decisions.flatMap((d) => (d.action === 'attach' && d.sessionId ? [d.sessionId] : [])));
    const lagging: ConvergeDeps = {
      ...deps,
      ec2: {
        ...deps.ec2,
        describeSessionsOnInterfaces: async (eniIds) =>
          (await deps.ec2.describeSessionsOnInterfaces(eniIds)).filter((session) => !justCreated.has(session.sessionId)),
      },
    };

    const second = await converge([instance.instanceId], { eventId: 'evt-ec-2' }, lagging);

    expect(first).toMatchObject({ attached: 1, failed: 0 });
    expect(justCreated.size).toBe(1);
    expect(second).toMatchObject({ attached: 0, kept: 1, failed: 0 });
    expect(sessionsOn(cloud, [eniId]).filter((s) => s.tags[OWNER_TAG] !== undefined)).toHaveLength(1);
  });
});

describe('converge after our session was deleted by hand', () => {
  it('trusts the ledger during the grace period, then announces its end and attaches a new session', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG, zone: 'eu-west-1a' });
    const eniId = instance.eniIds[0] as string;
    const first = await converge([instance.instanceId], { eventId: 'evt-del-1' }, depsWith());
    const deleted = first.decisions.find((d) => d.action === 'attach')?.sessionId as string;
    await seed.deleteSession(deleted);
    const later = (ms: number): ConvergeDeps => ({ ...depsWith(), clock: { now: () => new Date(Date.now() + ms) } });

    const withinGrace = await converge([instance.instanceId], { eventId: 'evt-del-2' }, later(SLOT_GRACE_MS / 2));
    const afterGrace = await converge([instance.instanceId], { eventId: 'evt-del-3' }, later(SLOT_GRACE_MS + 60_000));

    expect(withinGrace).toMatchObject({ attached: 0, kept: 1 });
    expect(afterGrace.decisions).toContainEqual(
      expect.objectContaining({ action: 'detach', eniId, sessionId: deleted, reason: 'session-gone' }),
    );
    expect(afterGrace).toMatchObject({ attached: 1, detached: 1, failed: 0 });
    const detachedEvents = cloud.bus.events.filter((event) => event.detailType === 'Mirror Session Detached');
    expect(detachedEvents.map((event) => event.detail.sessionId)).toEqual([deleted]);
    const ours = sessionsOn(cloud, [eniId]).filter((s) => s.tags[OWNER_TAG] !== undefined);
    expect(ours).toHaveLength(1);
    expect(ours[0]?.trafficMirrorSessionId).not.toBe(deleted);
  });
});

describe('converge with per-instance override tags', () => {
  it('uses an allowed override target and refuses one outside the allow-list', async () => {
    const allowed = await seed.loadBalancerTarget('override');
    const foreign = await seed.loadBalancerTarget('not-allowed');
    const good = await seed.launch({ type: 'm5.large', tags: { ...TAG, 'traffic-mirror-target': allowed } });
    const bad = await seed.launch({ type: 'm5.large', tags: { ...TAG, 'traffic-mirror-target': foreign } });

    const summary = await converge(
      [good.instanceId, bad.instanceId],
      { eventId: 'evt-override' },
      depsWith({ MIRROR_ALLOWED_TARGET_IDS: allowed }),
    );

    expect(summary).toMatchObject({ attached: 1, failed: 0 });
    expect(sessionsOn(cloud, good.eniIds).map((s) => s.trafficMirrorTargetId)).toEqual([allowed]);
    expect(sessionsOn(cloud, bad.eniIds)).toEqual([]);
    expect(summary.decisions).toContainEqual(
      expect.objectContaining({ action: 'refuse', instanceId: bad.instanceId, reason: 'target-not-allowed' }),
    );
  });
});

describe('converge on a batch naming an instance EC2 no longer knows', () => {
  it('converges the known instances and skips the unknown one', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG, zone: 'eu-west-1a' });

    const summary = await converge(['i-0aaaaaaaaaaaaaaaa', instance.instanceId], { eventId: 'evt-batch' }, depsWith());

    expect(summary).toMatchObject({ attached: 1, failed: 0 });
    expect(summary.decisions).toContainEqual(
      expect.objectContaining({ action: 'skip', instanceId: 'i-0aaaaaaaaaaaaaaaa', reason: 'instance-gone' }),
    );
  });
});
