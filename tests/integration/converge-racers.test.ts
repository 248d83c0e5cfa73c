/**
 * Two invocations converging one ENI at once (a launch's state change and tag change in two batches): the second
 * finds the first's live reservation in the ledger. When the holder makes the session the second wants and its
 * trigger comes back to it until its run succeeds (an SQS record), the second leaves the ENI to it at once and
 * records nothing: one converge of the ENI, not two. Otherwise (a direct invocation, other settings) it waits for the
 * outcome the holder records, however long EC2 keeps the holder waiting. It never replays a live holder's
 * ClientToken: a replay is idempotent but spends a token of the account's shared mutating budget.
 */
import { Ec2Error } from '@vpc-mirror-orchestrator/ec2-sim';
import type { Handler } from 'aws-lambda';
import { ledgerProblems } from '../../local/oracle';
import type { ConvergeSummary } from '../../shared/converge';
import { handleTriggerEvent } from '../../shared/lambda/batch';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { type CountedDocuments, countedDocuments } from '../support/dynamo-requests';
import { createLambdaContext } from '../support/lambda-context';
import { signal } from '../support/signal';
import { Ec2Seeder, fixtureEvent, sessionsOn, setFunctionEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';
import { sqsBatchOf, stateChangeEvent, tagChangeEvent } from '../support/trigger-events';

/** The racer used to wait a fixed 2.5 s of wall time for the holder, then replay its create. */
const OLD_WAIT_MS = 100 + 200 + 400 + 800 + 1000;
const SLOW_HOLDER_MS = 10 * OLD_WAIT_MS;
const TAG = { 'traffic-mirror': 'true' };
const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let nlbTargetId: string;
let instanceEvents: Handler<unknown, ConvergeSummary>;
const opened: Array<{ wiring: Wiring; counted: CountedDocuments }> = [];

const invoke = (event: unknown) => instanceEvents(event, createLambdaContext(), () => undefined) as Promise<ConvergeSummary>;

/** A function container of its own, reading SQS batches: converge's wiring over a counting DynamoDB client. */
function container(options: { filterId?: string; ec2MaxAttempts?: number; env?: Record<string, string> } = {}) {
  const counted = countedDocuments(cloud.table.endpoint);
  const wiring = wire(
    { ...endpointsOf(cloud), documents: counted.documents },
    {
      targetIds: [nlbTargetId],
      filterId: options.filterId ?? filterId,
      ...(options.ec2MaxAttempts !== undefined ? { ec2MaxAttempts: options.ec2MaxAttempts } : {}),
      ...(options.env !== undefined ? { env: options.env } : {}),
    },
  );
  opened.push({ wiring, counted });
  return { deps: wiring.deps, counted };
}

/** Holds every create EC2 receives until `release` fires; `entered` fires at the first. */
function holdCreates() {
  const entered = signal();
  const release = signal();
  let creates = 0;
  const unhook = cloud.sim.hook('CreateTrafficMirrorSession', 'before', async () => {
    creates += 1;
    entered.fire();
    await release.fired;
  });
  return { entered, release, unhook, creates: () => creates };
}

type ContainerOptions = Parameters<typeof container>[0];

/**
 * The batch with the instance's `running` event, in its own container, holding the ENI's reservation while EC2
 * keeps its create waiting until `creates.release` fires; and the container the other event's batch will use.
 */
async function holderInEc2(instanceId: string, options: { holder?: ContainerOptions; racer?: ContainerOptions } = {}) {
  const holder = container(options.holder);
  const racer = container(options.racer);
  const creates = holdCreates();
  const held = handleTriggerEvent(sqsBatchOf(stateChangeEvent(instanceId, 'running')), holder.deps);
  await creates.entered.fired;
  return { racer, creates, held };
}

const ledgerAgreesWithEc2 = async () =>
  expect(await ledgerProblems({ documents: cloud.documents, tableName: cloud.table.tableName }, cloud.sim.snapshot())).toEqual([]);

/** The attaches announced for the instance. */
const attachEventsFor = (instanceId: string) =>
  cloud.bus.events.filter(
    (event) => event.detailType === 'Mirror Session Attached' && (event.detail as { instanceId?: string }).instanceId === instanceId,
  );

/** The decisions a container logs from now on, as "action:reason". */
function decisionsLoggedBy(deps: ReturnType<typeof container>['deps']): () => string[] {
  const info = jest.spyOn(deps.logger, 'info');
  return () =>
    info.mock.calls
      .filter(([message]) => message === 'decision')
      .map(([, fields]) => {
        const { action, reason } = fields as { action: string; reason: string };
        return `${action}:${reason}`;
      });
}

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  nlbTargetId = await seed.loadBalancerTarget();
  setFunctionEnvironment(cloud, { targetIds: [nlbTargetId], filterId });
  instanceEvents = (await import('../../functions/instance-events')).handler as Handler<unknown, ConvergeSummary>;
});

afterEach(() => {
  for (const { wiring, counted } of opened.splice(0)) {
    wiring.destroy();
    counted.destroy();
  }
});

afterAll(async () => {
  await cloud.stop();
});

describe('converge racing on one reservation', () => {
  it(
    'waits for a directly invoked holder slowed to 10x the old wait instead of replaying its ClientToken',
    async () => {
      // Arrange: the first create EC2 receives is held for SLOW_HOLDER_MS (EC2 throttling the holder, say). A direct
      // invocation's trigger does not come back to it by itself, so the racer cannot leave the ENI to it.
      const instance = await seed.launch({ tags: TAG });
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

  it("leaves a launch's ENIs to the batch converging its other event, without waiting or writing to the ledger", async () => {
    // Arrange: a launch with two ENIs. The batch with its state change holds the first ENI's reservation while EC2
    // keeps its create waiting, for as long as the test says; it has not reached the second ENI yet.
    const instance = await seed.launch({ tags: TAG, interfaces: 2 });
    const { racer, creates, held } = await holderInEc2(instance.instanceId);
    const racerDecisions = decisionsLoggedBy(racer.deps);

    // Act: the batch with its tag change converges while the holder is still inside EC2. Were it to wait on the
    // holder, this would never resolve (the holder is released only after it).
    const raced = await handleTriggerEvent(sqsBatchOf(tagChangeEvent(instance.instanceId, Object.keys(TAG), TAG)), racer.deps);
    creates.release.fire();
    const holderAnswer = await held;
    creates.unhook();

    // Assert: one create per ENI, both by the holder; the racer left both ENIs to it and wrote nothing.
    expect([holderAnswer, raced]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(creates.creates()).toBe(2);
    expect(sessionsOn(cloud, instance.eniIds)).toHaveLength(2);
    expect(attachEventsFor(instance.instanceId)).toHaveLength(2);
    expect(racerDecisions()).toEqual(['skip:handled-by-concurrent-invocation', 'skip:handled-by-concurrent-invocation']);
    expect(Object.keys(racer.counted.byOperation()).filter((operation) => WRITES.includes(operation))).toEqual([]);
  });

  it('loses nothing when the holder it left the ENI to fails: the holder is delivered again and makes the session', async () => {
    // Arrange: the holder's container gives up a create after one try; EC2 fails the first one (an internal error).
    const instance = await seed.launch({ tags: TAG });
    const holder = container({ ec2MaxAttempts: 1 });
    const racer = container();
    const entered = signal();
    const release = signal();
    let creates = 0;
    const unhook = cloud.sim.hook('CreateTrafficMirrorSession', 'before', async () => {
      creates += 1;
      if (creates > 1) return;
      entered.fire();
      await release.fired;
      throw new Ec2Error('InternalError', 'An internal error has occurred.', 500);
    });
    const batch = sqsBatchOf(stateChangeEvent(instance.instanceId, 'running'));
    const held = handleTriggerEvent(batch, holder.deps);
    await entered.fired;

    // Act: the racer leaves the ENI to the holder; the holder's create then fails, and SQS delivers its record again.
    const raced = await handleTriggerEvent(sqsBatchOf(tagChangeEvent(instance.instanceId, Object.keys(TAG), TAG)), racer.deps);
    release.fire();
    const failed = await held;
    const redelivered = await handleTriggerEvent(batch, holder.deps);
    unhook();

    // Assert
    expect(raced).toEqual({ batchItemFailures: [] });
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: batch.Records[0]?.messageId }] });
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect(sessionsOn(cloud, instance.eniIds)).toHaveLength(1);
    expect(attachEventsFor(instance.instanceId)).toHaveLength(1);
  });

  it('waits on a holder that makes the session with other settings, then replaces it with its own', async () => {
    // Arrange: a deploy changed the filter; the holder's container still runs with the old one.
    const instance = await seed.launch({ tags: TAG });
    const newFilterId = await seed.filter();
    const { racer, creates, held } = await holderInEc2(instance.instanceId, { racer: { filterId: newFilterId } });

    // Act: the racer starts while the holder is in EC2, and the holder is let through a moment later.
    const raced = handleTriggerEvent(sqsBatchOf(tagChangeEvent(instance.instanceId, Object.keys(TAG), TAG)), racer.deps);
    setTimeout(creates.release.fire, 1_000);
    const answers = await Promise.all([held, raced]);
    creates.unhook();

    // Assert: the racer waited for the holder's session and replaced it: one session, with the new filter.
    expect(answers).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const sessions = sessionsOn(cloud, instance.eniIds);
    expect(sessions.map((session) => session.trafficMirrorFilterId)).toEqual([newFilterId]);
  }, 30_000);

  it('detaches the session a holder makes for an instance untagged while its create was in flight', async () => {
    // Arrange: the holder's create is in EC2 when the operator removes the tag.
    const instance = await seed.launch({ tags: TAG });
    const { racer, creates, held } = await holderInEc2(instance.instanceId);
    const racerDecisions = decisionsLoggedBy(racer.deps);
    await seed.untag(instance.instanceId, 'traffic-mirror');

    // Act: the tag change's batch converges while the holder is still in EC2, which lets it through a moment later.
    const raced = handleTriggerEvent(sqsBatchOf(tagChangeEvent(instance.instanceId, ['traffic-mirror'], {})), racer.deps);
    setTimeout(creates.release.fire, 1_000);
    const answers = await Promise.all([held, raced]);
    creates.unhook();

    // Assert: the session the holder made is gone, by the racer's detach; nothing waits for a sweep.
    expect(answers).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(sessionsOn(cloud, instance.eniIds)).toEqual([]);
    expect(racerDecisions()).toEqual(['detach:not-tagged', 'skip:not-tagged']);
    await ledgerAgreesWithEc2();
  }, 30_000);

  it('waits on a holder whose target the operator overrode meanwhile, then moves the session to the new target', async () => {
    // Arrange: another target is allowed as an override; the holder's create is in EC2 when the operator sets it.
    const overrideTargetId = await seed.loadBalancerTarget('override');
    const env = { MIRROR_ALLOWED_TARGET_IDS: overrideTargetId };
    const instance = await seed.launch({ tags: TAG });
    const { racer, creates, held } = await holderInEc2(instance.instanceId, { holder: { env }, racer: { env } });
    const retargeted = { ...TAG, 'traffic-mirror-target': overrideTargetId };
    await seed.tag(instance.instanceId, retargeted);

    // Act
    const raced = handleTriggerEvent(sqsBatchOf(tagChangeEvent(instance.instanceId, ['traffic-mirror-target'], retargeted)), racer.deps);
    setTimeout(creates.release.fire, 1_000);
    const answers = await Promise.all([held, raced]);
    creates.unhook();

    // Assert: the racer did not leave the ENI to a holder making the session on the old target.
    expect(answers).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(sessionsOn(cloud, instance.eniIds).map((session) => session.trafficMirrorTargetId)).toEqual([overrideTargetId]);
    await ledgerAgreesWithEc2();
  }, 30_000);
});
