/**
 * Two invocations converging one ENI at once: the second finds the first's live reservation in the ledger and waits
 * for the outcome the first records there, however long EC2 keeps the first waiting. It never replays the first's
 * ClientToken: a replay is idempotent but spends a token of the account's shared mutating budget.
 */
import type { Handler } from 'aws-lambda';
import type { ConvergeSummary } from '../../shared/converge';
import { createLambdaContext } from '../support/lambda-context';
import { signal } from '../support/signal';
import { Ec2Seeder, fixtureEvent, sessionsOn, setFunctionEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';

/** The racer used to wait a fixed 2.5 s of wall time for the holder, then replay its create. */
const OLD_WAIT_MS = 100 + 200 + 400 + 800 + 1000;
const SLOW_HOLDER_MS = 10 * OLD_WAIT_MS;

let cloud: TestCloud;
let seed: Ec2Seeder;
let instanceEvents: Handler<unknown, ConvergeSummary>;

const invoke = (event: unknown) => instanceEvents(event, createLambdaContext(), () => undefined) as Promise<ConvergeSummary>;

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

describe('converge racing on one reservation', () => {
  it(
    'waits for a holder slowed to 10x the old wait instead of replaying its ClientToken',
    async () => {
      // Arrange: the first create EC2 receives is held for SLOW_HOLDER_MS (EC2 throttling the holder, say).
      const instance = await seed.launch({ tags: { 'traffic-mirror': 'true' } });
      cloud.sim.resetCalls();
      const holderInCreate = signal();
      let creates = 0;
      const unhook = cloud.sim.hook('CreateTrafficMirrorSession', 'before', async () => {
        creates += 1;
        if (creates > 1) return;
        holderInCreate.fire();
        await new Promise((resolve) => setTimeout(resolve, SLOW_HOLDER_MS));
      });

      // Act: the holder reserves and calls EC2; the racer arrives while EC2 holds it.
      const holder = invoke(fixtureEvent('state-change-running', instance.instanceId, 'running-holder'));
      await holderInCreate.fired;
      const racer = invoke(fixtureEvent('tag-change-added', instance.instanceId, 'tag-racer'));
      const [held, raced] = await Promise.all([holder, racer]);
      unhook();

      // Assert: one create in all, one session, reported attached once; the racer reports what the holder did.
      expect(cloud.sim.calls().CreateTrafficMirrorSession?.total).toBe(1);
      expect(sessionsOn(cloud, instance.eniIds)).toHaveLength(1);
      expect(held.attached + raced.attached).toBe(1);
      expect(raced.decisions.map((decision) => decision.action)).toEqual(['keep']);
    },
    4 * SLOW_HOLDER_MS,
  );
});
