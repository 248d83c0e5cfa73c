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

/**
 * Holds every call of `action` EC2 receives (with `onlyFirst`, the first one) until `release` fires; `entered`
 * fires at the first.
 */
function holdCalls(action: string, options: { onlyFirst?: boolean } = {}) {
  const entered = signal();
  const release = signal();
  let calls = 0;
  const unhook = cloud.sim.hook(action, 'before', async () => {
    calls += 1;
    if (options.onlyFirst && calls > 1) return;
    entered.fire();
    await release.fired;
  });
  return { entered, release, unhook, calls: () => calls };
}

type ContainerOptions = Parameters<typeof container>[0];

/**
 * The batch with the instance's `running` event, in its own container, holding the ENI's reservation while EC2
 * keeps its create waiting until `creates.release` fires; and the container the other event's batch will use.
 */
async function holderInEc2(instanceId: string, options: { holder?: ContainerOptions; racer?: ContainerOptions } = {}) {
  const holder = container(options.holder);
  const racer = container(options.racer);
  const creates = holdCalls('CreateTrafficMirrorSession');
  const held = handleTriggerEvent(sqsBatchOf(stateChangeEvent(instanceId, 'running')), holder.deps);
  await creates.entered.fired;
  return { racer, creates, held };
}

const ledgerAgreesWithEc2 = async () =>
  expect(await ledgerProblems({ documents: cloud.documents, tableName: cloud.table.tableName }, cloud.sim.snapshot())).toEqual([]);

/** The outcomes of one kind announced for the instance. */
const announcedFor = (detailType: string, instanceId: string) =>
  cloud.bus.events.filter(
    (event) => event.detailType === detailType && (event.detail as { instanceId?: string }).instanceId === instanceId,
  );
const attachEventsFor = (instanceId: string) => announcedFor('Mirror Session Attached', instanceId);

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
    expect(creates.calls()).toBe(2);
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

/**
 * A stop's two events (stopping, stopped) in two batches converge the instance at once: the run that marks a
 * session's slot releasing holds its delete, and the other leaves the instance's sessions to it (no second delete,
 * which EC2 would answer NotFound after spending a token of the account's mutating budget on it).
 */
describe('converge racing on one delete', () => {
  /** A mirrored, stopped instance with two ENIs; its `stopping` batch, in its own container, is inside EC2's first delete. */
  async function releaserInEc2(options: { releaser?: ContainerOptions } = {}) {
    const instance = await seed.launch({ tags: TAG, interfaces: 2 });
    await handleTriggerEvent(sqsBatchOf(stateChangeEvent(instance.instanceId, 'running')), container().deps);
    expect(sessionsOn(cloud, instance.eniIds)).toHaveLength(2);
    await seed.stop(instance.instanceId);
    cloud.sim.resetCalls();
    const releaser = container(options.releaser);
    const racer = container();
    // Only the first: a racer that deletes as well gets its answers, and the counts below say so.
    const deletes = holdCalls('DeleteTrafficMirrorSession', { onlyFirst: true });
    const batch = sqsBatchOf(stateChangeEvent(instance.instanceId, 'stopping'));
    const releasing = handleTriggerEvent(batch, releaser.deps);
    await deletes.entered.fired;
    return { instance, releaser, racer, deletes, batch, releasing };
  }

  it("leaves a stop's sessions to the batch deleting them, without a second delete or a write", async () => {
    // Arrange
    const { instance, racer, deletes, releasing } = await releaserInEc2();
    const racerDecisions = decisionsLoggedBy(racer.deps);

    // Act: the `stopped` batch converges while the first delete is inside EC2. Were it to wait on the releaser, this
    // would never resolve (the releaser is let through only after it).
    const raced = await handleTriggerEvent(sqsBatchOf(stateChangeEvent(instance.instanceId, 'stopped')), racer.deps);
    deletes.release.fire();
    const released = await releasing;
    deletes.unhook();

    // Assert: one delete per session, both answered; the racer left both sessions and wrote nothing.
    expect([released, raced]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(cloud.sim.calls().DeleteTrafficMirrorSession).toEqual(expect.objectContaining({ total: 2, ok: 2, errors: {} }));
    expect(sessionsOn(cloud, instance.eniIds)).toEqual([]);
    expect(announcedFor('Mirror Session Detached', instance.instanceId)).toHaveLength(2);
    expect(racerDecisions()).toEqual(['skip:handled-by-concurrent-invocation', 'skip:handled-by-concurrent-invocation']);
    expect(Object.keys(racer.counted.byOperation()).filter((operation) => WRITES.includes(operation))).toEqual([]);
    await ledgerAgreesWithEc2();
  });

  it('loses nothing when the releaser fails: its batch is delivered again and deletes the sessions', async () => {
    // Arrange: the releaser's container gives up a call after one try, and EC2 fails its first delete.
    const { instance, racer, deletes, batch, releasing, releaser } = await releaserInEc2({ releaser: { ec2MaxAttempts: 1 } });
    let failed = false;
    const unhookFailure = cloud.sim.hook('DeleteTrafficMirrorSession', 'before', () => {
      if (failed) return;
      failed = true;
      throw new Ec2Error('InternalError', 'An internal error has occurred.', 500);
    });

    // Act: the racer leaves both sessions to the releaser; its delete fails; SQS delivers its record again.
    const raced = await handleTriggerEvent(sqsBatchOf(stateChangeEvent(instance.instanceId, 'stopped')), racer.deps);
    deletes.release.fire();
    const failedAnswer = await releasing;
    deletes.unhook();
    const redelivered = await handleTriggerEvent(batch, releaser.deps);
    unhookFailure();

    // Assert
    expect(raced).toEqual({ batchItemFailures: [] });
    expect(failedAnswer).toEqual({ batchItemFailures: [{ itemIdentifier: batch.Records[0]?.messageId }] });
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect(sessionsOn(cloud, instance.eniIds)).toEqual([]);
    expect(announcedFor('Mirror Session Detached', instance.instanceId)).toHaveLength(2);
    await ledgerAgreesWithEc2();
  });

  it('deletes at once what a releaser whose delete failed no longer holds', async () => {
    // Arrange: as above, but the next run is not the releaser's own: its hold, dropped on the failure, stops nobody.
    const { instance, deletes, releasing } = await releaserInEc2({ releaser: { ec2MaxAttempts: 1 } });
    const unhookFailure = cloud.sim.hook('DeleteTrafficMirrorSession', 'before', () => {
      throw new Ec2Error('InternalError', 'An internal error has occurred.', 500);
    });
    deletes.release.fire();
    await releasing;
    deletes.unhook();
    unhookFailure();

    // Act
    const next = await handleTriggerEvent(sqsBatchOf(stateChangeEvent(instance.instanceId, 'stopped')), container().deps);

    // Assert
    expect(next).toEqual({ batchItemFailures: [] });
    expect(sessionsOn(cloud, instance.eniIds)).toEqual([]);
    await ledgerAgreesWithEc2();
  });

  it('does not delete again a session another run deleted after this one read the ledger', async () => {
    // Arrange: a mirrored, stopped instance. The `stopped` batch reads EC2 and the ledger first; the `stopping`
    // batch then deletes the session and removes its slot before the first marks it.
    const instance = await seed.launch({ tags: TAG });
    await handleTriggerEvent(sqsBatchOf(stateChangeEvent(instance.instanceId, 'running')), container().deps);
    await seed.stop(instance.instanceId);
    cloud.sim.resetCalls();
    const late = container();
    const lateDecisions = decisionsLoggedBy(late.deps);
    const mark = late.deps.ledger.markSlotReleasing.bind(late.deps.ledger);
    jest.spyOn(late.deps.ledger, 'markSlotReleasing').mockImplementationOnce(async (...args) => {
      await handleTriggerEvent(sqsBatchOf(stateChangeEvent(instance.instanceId, 'stopping')), container().deps);
      return mark(...args);
    });

    // Act
    const answer = await handleTriggerEvent(sqsBatchOf(stateChangeEvent(instance.instanceId, 'stopped')), late.deps);

    // Assert: one delete, by the run that got there first; the late run skips it and announces nothing.
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(cloud.sim.calls().DeleteTrafficMirrorSession).toEqual(expect.objectContaining({ total: 1, ok: 1, errors: {} }));
    expect(lateDecisions()).toEqual(['skip:already-detached']);
    expect(announcedFor('Mirror Session Detached', instance.instanceId)).toHaveLength(1);
    await ledgerAgreesWithEc2();
  });
});
