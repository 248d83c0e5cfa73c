/**
 * EC2's mutating budget is shared with every other tool in the account: duplicate events converging the same
 * instance at the same moment must not spend more than one CreateTrafficMirrorSession per session.
 */
import type { Handler } from 'aws-lambda';
import type { ConvergeSummary } from '../../shared/converge';
import { createLambdaContext } from '../support/lambda-context';
import { Ec2Seeder, fixtureEvent, sessionsOn, setFunctionEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';

let cloud: TestCloud;
let seed: Ec2Seeder;
let instanceEvents: Handler<unknown, ConvergeSummary>;

const invoke = (handler: Handler<unknown, ConvergeSummary>, event: unknown) =>
  handler(event, createLambdaContext(), () => undefined) as Promise<ConvergeSummary>;

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  const filterId = await seed.filter();
  const nlbTargetId = await seed.loadBalancerTarget();
  setFunctionEnvironment(cloud, { targetIds: [nlbTargetId], filterId });
  instanceEvents = (await import('../../functions/instance-events')).handler as Handler<unknown, ConvergeSummary>;
});

afterAll(async () => {
  await cloud.stop();
});

describe('converge under duplicate events', () => {
  it('spends one CreateTrafficMirrorSession per session when the running and tag events race', async () => {
    // Arrange: a launch emits both events at once; each lands in its own function.
    const instance = await seed.launch({ tags: { 'traffic-mirror': 'true' }, interfaces: 3 });
    cloud.sim.resetCalls();

    // Act: four converges of the same instance at the same moment.
    const summaries = await Promise.all([
      invoke(instanceEvents, fixtureEvent('state-change-running', instance.instanceId, 'running-1')),
      invoke(instanceEvents, fixtureEvent('tag-change-added', instance.instanceId, 'tag-1')),
      invoke(instanceEvents, fixtureEvent('state-change-running', instance.instanceId, 'running-2')),
      invoke(instanceEvents, fixtureEvent('tag-change-added', instance.instanceId, 'tag-2')),
    ]);

    // Assert: three sessions, three attaches reported in all, and no ClientToken replayed.
    expect(sessionsOn(cloud, instance.eniIds)).toHaveLength(3);
    expect(summaries.reduce((sum, summary) => sum + summary.attached, 0)).toBe(3);
    expect(cloud.sim.calls().CreateTrafficMirrorSession?.total).toBe(3);
  });
});

describe('converge under duplicate stop events', () => {
  it('reports one detach per session when the stopping and stopped events race', async () => {
    // Arrange: a mirrored instance with two ENIs, then stopped.
    const instance = await seed.launch({ tags: { 'traffic-mirror': 'true' }, interfaces: 2 });
    await invoke(instanceEvents, fixtureEvent('state-change-running', instance.instanceId, 'running-a'));
    await seed.stop(instance.instanceId);

    // Act: both stop notifications converge at the same moment.
    const summaries = await Promise.all([
      invoke(instanceEvents, fixtureEvent('state-change-stopped', instance.instanceId, 'stopping-a')),
      invoke(instanceEvents, fixtureEvent('state-change-stopped', instance.instanceId, 'stopped-a')),
    ]);

    // Assert: the sessions are gone and each is reported detached once, in the summaries and as outcome events.
    expect(sessionsOn(cloud, instance.eniIds)).toEqual([]);
    expect(summaries.reduce((sum, summary) => sum + summary.detached, 0)).toBe(2);
    const detachEvents = cloud.bus.events.filter(
      (event) => event.detailType === 'Mirror Session Detached' && event.detail.instanceId === instance.instanceId,
    );
    expect(detachEvents).toHaveLength(2);
  });
});
