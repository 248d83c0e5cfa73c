/**
 * Many converges at once, each with its own SDK clients (as separate Lambda containers would have), against the
 * simulator and dynalite: for the same instance, the same ENI and the same target. The ledger's conditional
 * writes must keep every limit, and one ENI never gets two of our sessions.
 */

import { ledgerProblems, OWNER_TAG } from '../../local/oracle';
import { type ConvergeSummary, converge } from '../../shared/converge';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { Ec2Seeder, sessionsOn, startTestCloud, type TestCloud, targetLoads } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
const PARALLEL = 12;

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
const wirings: Wiring[] = [];

function containers(count: number, targetIds: readonly string[]): Wiring[] {
  const made = Array.from({ length: count }, () => wire(endpointsOf(cloud), { targetIds, filterId }));
  wirings.push(...made);
  return made;
}

/** Converge outcomes; a lost ledger race surfaces as a retryable failure, which Lambda would retry. */
async function convergeAll(jobs: Array<{ wiring: Wiring; instanceIds: string[] }>): Promise<PromiseSettledResult<ConvergeSummary>[]> {
  return Promise.allSettled(jobs.map((job, index) => converge(job.instanceIds, { eventId: `evt-${index}` }, job.wiring.deps)));
}

/** Slots, sessions and target items agree (local/oracle/ledger-audit.ts). */
async function expectConsistentLedger(): Promise<void> {
  expect(await ledgerProblems({ documents: cloud.documents, tableName: cloud.table.tableName }, cloud.sim.snapshot())).toEqual([]);
}

const managed = (eniIds: readonly string[]) => sessionsOn(cloud, eniIds).filter((s) => s.tags[OWNER_TAG] !== undefined);

beforeEach(async () => {
  cloud = await startTestCloud({ seed: 21 });
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
});

afterEach(async () => {
  for (const made of wirings.splice(0)) made.destroy();
  await cloud?.stop();
});

describe('concurrent converges', () => {
  it(`of the same instance (${PARALLEL} at once) make one session per ENI`, async () => {
    const nlb = await seed.loadBalancerTarget();
    const instance = await seed.launch({ tags: TAG, interfaces: 3 });

    const results = await convergeAll(containers(PARALLEL, [nlb]).map((wiring) => ({ wiring, instanceIds: [instance.instanceId] })));

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    for (const eniId of instance.eniIds) expect(managed([eniId])).toHaveLength(1);
    // One attach decision (history entry, outcome event, metric) per session made, however many raced for it.
    const attached = results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value.attached : 0), 0);
    expect(attached).toBe(3);
    expect(cloud.bus.events.filter((e) => e.detailType === 'Mirror Session Attached')).toHaveLength(3);
    await expectConsistentLedger();
  });

  it(`on one ENI with a single free slot (${PARALLEL} at once) add exactly one session and keep the hand-made two`, async () => {
    const nlb = await seed.loadBalancerTarget();
    const instance = await seed.launch({ tags: TAG });
    const eniId = instance.eniIds[0] as string;
    const handMade = [await seed.handMadeSession(eniId, nlb, filterId, 1), await seed.handMadeSession(eniId, nlb, filterId, 2)];

    const results = await convergeAll(containers(PARALLEL, [nlb]).map((wiring) => ({ wiring, instanceIds: [instance.instanceId] })));

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const onEni = sessionsOn(cloud, [eniId]);
    expect(onEni).toHaveLength(3);
    expect(onEni.filter((s) => handMade.includes(s.trafficMirrorSessionId))).toHaveLength(2);
    expect(managed([eniId])).toHaveLength(1);
    expect(new Set(onEni.map((s) => s.sessionNumber)).size).toBe(3);
    await expectConsistentLedger();
  });

  it('for 15 instances on one network-interface target (limit 10), each converged twice at once, fill it to exactly 10', async () => {
    const target = await seed.interfaceTarget('eu-west-1a');
    const instances = [];
    for (let i = 0; i < 15; i += 1) instances.push(await seed.launch({ tags: TAG, zone: 'eu-west-1a' }));
    const jobs = [...instances, ...instances].map((instance, index) => ({
      wiring: containers(1, [target])[0] as Wiring,
      instanceIds: [instance.instanceId],
      index,
    }));

    const results = await convergeAll(jobs);

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const decisions = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.decisions : []));
    const eniIds = instances.flatMap((instance) => instance.eniIds);
    const mirrored = managed(eniIds);
    expect(mirrored).toHaveLength(10);
    expect(new Set(mirrored.map((s) => s.networkInterfaceId)).size).toBe(10);
    expect((await targetLoads(cloud)).get(target)?.count).toBe(10);
    // The five left out are refusals with a reason, not failures.
    const refusedEnis = new Set(decisions.filter((d) => d.action === 'refuse').map((d) => d.eniId));
    expect(refusedEnis.size).toBe(5);
    expect(decisions.filter((d) => d.action === 'refuse').every((d) => d.reason === 'target-pool-full')).toBe(true);
    await expectConsistentLedger();
  });
});
