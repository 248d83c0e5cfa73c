/**
 * 25 tagged instances converged at once against two network-interface targets (10 sources each) and an NLB target:
 * the ledger's conditional writes, not luck, keep every ENI target at or under its limit.
 */
import type { Handler } from 'aws-lambda';
import type { ConvergeSummary } from '../../shared/converge';
import { createLambdaContext } from '../support/lambda-context';
import {
  Ec2Seeder,
  fixtureEvent,
  type Launched,
  sessionsOn,
  setFunctionEnvironment,
  startTestCloud,
  type TestCloud,
  targetLoads,
} from '../support/test-cloud';

const INSTANCES = 25;
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';

let cloud: TestCloud;
let interfaceTargets: string[];
let nlbTarget: string;
let instances: Launched[];
let instanceEvents: Handler<unknown, ConvergeSummary>;

beforeAll(async () => {
  cloud = await startTestCloud();
  const seed = new Ec2Seeder(cloud);
  const filterId = await seed.filter();
  // Both interface targets in the instances' zone: every plan ranks them first, so all 25 race for 20 places.
  interfaceTargets = [await seed.interfaceTarget('eu-west-1a'), await seed.interfaceTarget('eu-west-1a')];
  nlbTarget = await seed.loadBalancerTarget();
  instances = [];
  for (let i = 0; i < INSTANCES; i += 1)
    instances.push(await seed.launch({ type: 'm5.large', tags: { 'traffic-mirror': 'true' }, zone: 'eu-west-1a' }));
  setFunctionEnvironment(cloud, { targetIds: [...interfaceTargets, nlbTarget], filterId });
  instanceEvents = (await import('../../functions/instance-events')).handler as Handler<unknown, ConvergeSummary>;
});

afterAll(async () => {
  await cloud?.stop();
});

describe('converge under concurrency', () => {
  it('mirrors every ENI of 25 instances exactly once and never puts more than 10 sources on an ENI target', async () => {
    cloud.sim.resetCalls();

    const summaries = await Promise.all(
      instances.map(
        (instance) =>
          instanceEvents(
            fixtureEvent('state-change-running', instance.instanceId),
            createLambdaContext(),
            () => undefined,
          ) as Promise<ConvergeSummary>,
      ),
    );

    expect(summaries.reduce((sum, s) => sum + s.failed, 0)).toBe(0);
    expect(summaries.reduce((sum, s) => sum + s.attached, 0)).toBe(INSTANCES);
    const eniIds = instances.flatMap((instance) => instance.eniIds);
    const ours = sessionsOn(cloud, eniIds).filter((session) => session.tags[OWNER_TAG] !== undefined);
    expect(ours.map((s) => s.networkInterfaceId).sort()).toEqual([...eniIds].sort());

    const sourcesPerTarget = new Map<string, Set<string>>();
    for (const session of cloud.sim.snapshot().sessions) {
      const sources = sourcesPerTarget.get(session.trafficMirrorTargetId) ?? new Set<string>();
      sources.add(session.networkInterfaceId);
      sourcesPerTarget.set(session.trafficMirrorTargetId, sources);
    }
    for (const targetId of interfaceTargets) expect(sourcesPerTarget.get(targetId)?.size ?? 0).toBeLessThanOrEqual(10);
    expect(sourcesPerTarget.get(nlbTarget)?.size ?? 0).toBeGreaterThanOrEqual(INSTANCES - 20);

    // The ledger agrees with EC2 on every target with a source limit; the NLB has none, so no attach wrote to it.
    const loads = await targetLoads(cloud);
    for (const targetId of interfaceTargets) {
      const sources = sourcesPerTarget.get(targetId) ?? new Set<string>();
      expect(new Set(loads.get(targetId)?.sources)).toEqual(sources);
      expect(loads.get(targetId)?.count).toBe(sources.size);
    }
    expect(loads.get(nlbTarget)).toBeUndefined();

    const calls = cloud.sim.calls();
    const totalCalls = Object.values(calls).reduce((sum, count) => sum + count.total, 0);
    // Recorded for the report (EC2 calls per attached session); no timing is asserted.
    console.info(
      `25-instance burst: ${totalCalls} EC2 calls for ${ours.length} sessions: ${JSON.stringify(Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, v.total])))}`,
    );
    // The ledger kept the limits: EC2 never had to refuse a create (its own limit check is the last line only).
    expect(calls.CreateTrafficMirrorSession).toMatchObject({ total: INSTANCES, ok: INSTANCES, errors: {} });
  });
});
