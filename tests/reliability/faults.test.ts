/**
 * Injected EC2 faults against converge (real adapters over HTTP, simulator + dynalite). Transient faults
 * (RequestLimitExceeded storms, InternalError, eventual consistency) are retried, by the SDK with backoff and then
 * by Lambda's retry of the invocation, and end converged; permanent answers are not retried: they become refusals
 * with a reason and the ledger is left as it was.
 */

import { ledgerProblems, OWNER_TAG } from '../../local/oracle';
import { ConvergeError, type ConvergeSummary, converge } from '../../shared/converge';
import { RetryableError } from '../../shared/domain/errors';
import { endpointsOf, type Wiring, type WiringOptions, wire } from '../support/deps';
import { Ec2Seeder, type Launched, ledgerItem, sessionsOn, startTestCloud, type TestCloud, targetLoads } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
/** Lambda's async invocation: the first attempt and two retries. */
const LAMBDA_ATTEMPTS = 3;

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let nlb: string;
const wirings: Wiring[] = [];

function wiring(options: Partial<WiringOptions> = {}): Wiring {
  const made = wire(endpointsOf(cloud), { targetIds: [nlb], filterId, ...options });
  wirings.push(made);
  return made;
}

/** converge as an async Lambda invocation would run it: retried on any error, at most LAMBDA_ATTEMPTS times. */
async function convergeWithLambdaRetries(instanceIds: string[], made: Wiring): Promise<{ summary?: ConvergeSummary; errors: unknown[] }> {
  const errors: unknown[] = [];
  for (let attempt = 0; attempt < LAMBDA_ATTEMPTS; attempt += 1) {
    try {
      return { summary: await converge(instanceIds, { eventId: 'evt-faults' }, made.deps), errors };
    } catch (error) {
      errors.push(error);
    }
  }
  return { errors };
}

/** Slots, sessions and target items agree (local/oracle/ledger-audit.ts). */
async function expectConsistentLedger(): Promise<void> {
  expect(await ledgerProblems({ documents: cloud.documents, tableName: cloud.table.tableName }, cloud.sim.snapshot())).toEqual([]);
}

const managed = (eniIds: readonly string[]) => sessionsOn(cloud, eniIds).filter((s) => s.tags[OWNER_TAG] !== undefined);

async function launchFleet(count: number, interfaces = 1): Promise<Launched[]> {
  const fleet: Launched[] = [];
  for (let i = 0; i < count; i += 1) fleet.push(await seed.launch({ tags: TAG, interfaces }));
  return fleet;
}

async function start(options: Parameters<typeof startTestCloud>[0] = {}): Promise<void> {
  cloud = await startTestCloud({ seed: 31, ...options });
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  nlb = await seed.loadBalancerTarget();
}

afterEach(async () => {
  cloud.sim.setFault('*', undefined);
  cloud.sim.setEventualConsistency(0);
  for (const made of wirings.splice(0)) made.destroy();
  await cloud?.stop();
});

describe('converge under transient EC2 faults', () => {
  beforeEach(() => start());

  it('rides out a RequestLimitExceeded storm (30% of every call) and mirrors every ENI once', async () => {
    const fleet = await launchFleet(3, 2);
    cloud.sim.setFault('*', { errorRate: 0.3, errorCode: 'RequestLimitExceeded' });
    cloud.sim.resetCalls();

    const { summary, errors } = await convergeWithLambdaRetries(
      fleet.map((i) => i.instanceId),
      wiring(),
    );

    const throttled = Object.values(cloud.sim.calls()).reduce((sum, c) => sum + (c.errors.RequestLimitExceeded ?? 0), 0);
    expect(throttled).toBeGreaterThan(0);
    expect(summary).toMatchObject({ failed: 0, refused: 0 });
    expect(errors.every((error) => error instanceof RetryableError)).toBe(true);
    for (const eniId of fleet.flatMap((i) => i.eniIds)) expect(managed([eniId])).toHaveLength(1);
    await expectConsistentLedger();
  });

  it('turns InternalError on CreateTrafficMirrorSession into a retryable failure when the SDK gives up, and the retried invocation converges', async () => {
    const fleet = await launchFleet(4);
    cloud.sim.setFault('CreateTrafficMirrorSession', { errorRate: 0.5, errorCode: 'InternalError' });
    cloud.sim.resetCalls();

    const { summary, errors } = await convergeWithLambdaRetries(
      fleet.map((i) => i.instanceId),
      wiring({ ec2MaxAttempts: 1 }),
    );

    expect(cloud.sim.calls().CreateTrafficMirrorSession?.errors.InternalError ?? 0).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error instanceof ConvergeError)).toBe(true);
    expect(summary?.failed).toBe(0);
    for (const eniId of fleet.flatMap((i) => i.eniIds)) expect(managed([eniId])).toHaveLength(1);
    await expectConsistentLedger();
  });

  it('makes no second session while EC2 answers NotFound for what was just created (eventual consistency)', async () => {
    const fleet = await launchFleet(3);
    const made = wiring();
    const first = await converge(
      fleet.map((i) => i.instanceId),
      { eventId: 'evt-ec-1' },
      made.deps,
    );
    // From now on, anything created in the last minute is invisible: the sessions just made, for one.
    cloud.sim.setEventualConsistency(60_000);

    const again = await converge(
      fleet.map((i) => i.instanceId),
      { eventId: 'evt-ec-2' },
      made.deps,
    );
    const thirdTime = await converge(
      fleet.map((i) => i.instanceId),
      { eventId: 'evt-ec-3' },
      made.deps,
    );

    expect(first).toMatchObject({ attached: 3, failed: 0 });
    expect(again.attached + thirdTime.attached).toBe(0);
    cloud.sim.setEventualConsistency(0);
    for (const eniId of fleet.flatMap((i) => i.eniIds)) expect(managed([eniId])).toHaveLength(1);
    await expectConsistentLedger();
  });
});

describe('converge on permanent EC2 answers', () => {
  it('does not retry TrafficMirrorSessionsPerInterfaceLimitExceeded: a refusal with its reason, reservations undone', async () => {
    // EC2 here allows 2 sessions per ENI; one hand-made session leaves room in the ledger's eyes (3), not in EC2's.
    await start({ limits: { sessionsPerInterface: 2 } });
    const [instance] = await launchFleet(1);
    const eniId = instance?.eniIds[0] as string;
    await seed.handMadeSession(eniId, nlb, filterId, 1);
    await seed.handMadeSession(eniId, nlb, filterId, 2);
    cloud.sim.resetCalls();

    const summary = await converge([instance?.instanceId as string], { eventId: 'evt-limit' }, wiring().deps);

    expect(cloud.sim.calls().CreateTrafficMirrorSession).toMatchObject({
      total: 1,
      errors: { TrafficMirrorSessionsPerInterfaceLimitExceeded: 1 },
    });
    expect(summary).toMatchObject({ attached: 0, refused: 1, failed: 0 });
    expect(summary.decisions).toContainEqual(expect.objectContaining({ action: 'refuse', eniId, reason: 'interface-session-limit' }));
    expect(managed([eniId])).toEqual([]);
    expect((await targetLoads(cloud)).get(nlb)?.sources ?? []).not.toContain(eniId);
    const slots = (await ledgerItem(cloud, `eni#${eniId}`, 'slots')) as { slots: Record<string, { owner: string }> } | undefined;
    expect(Object.values(slots?.slots ?? {}).filter((slot) => slot.owner === 'managed')).toEqual([]);
    await expectConsistentLedger();
  });

  it('does not retry NetworkInterfaceNotSupported: a refusal naming the reason', async () => {
    await start();
    const instance = await seed.launch({ tags: TAG, type: 'm6i.large' });
    const eniId = instance?.eniIds[0] as string;
    cloud.sim.resetCalls();

    // The configuration claims m6i is supported; EC2 (the final word) disagrees.
    const summary = await converge(
      [instance?.instanceId as string],
      { eventId: 'evt-unsupported' },
      wiring({ env: { MIRROR_SUPPORTED_TYPES: 'm6i' } }).deps,
    );

    expect(cloud.sim.calls().CreateTrafficMirrorSession).toMatchObject({ total: 1, errors: { NetworkInterfaceNotSupported: 1 } });
    expect(summary.decisions).toContainEqual(
      expect.objectContaining({ action: 'refuse', eniId, reason: 'network-interface-not-supported' }),
    );
    await expectConsistentLedger();
  });

  it('refuses, without calling EC2 to create, when the configured target id does not exist', async () => {
    await start();
    const [instance] = await launchFleet(1);
    cloud.sim.resetCalls();

    const summary = await converge(
      [instance?.instanceId as string],
      { eventId: 'evt-no-target' },
      wiring({ targetIds: ['tmt-0000000000000dead'] }).deps,
    );

    expect(cloud.sim.calls().CreateTrafficMirrorSession).toBeUndefined();
    expect(summary.decisions).toContainEqual(
      expect.objectContaining({ action: 'refuse', reason: 'target-pool-full', detail: expect.stringContaining('tmt-0000000000000dead') }),
    );
    await expectConsistentLedger();
  });
});
