/**
 * Crash safety with real process crashes: the state-change handler runs in a LocalLambda child process, and a
 * simulator hook SIGKILLs that process at an exact step of an attach:
 *   - before CreateTrafficMirrorSession executes (both ledger reservations made, no session);
 *   - after it executed, before the answer is read (session exists, ledger slot still 'reserved': the commit never
 *     happens).
 * Lambda's async retry and/or the sweep must then converge to exactly one session and a consistent ledger.
 */

import { DEFAULT_SWEEP_SETTINGS } from '../../shared/config/sweep-settings';
import { SLOT_GRACE_MS } from '../../shared/converge';
import { type SweepSummary, sweep } from '../../shared/converge/sweep';
import { wire } from '../support/deps';
import { type ReliabilityCloud, startReliabilityCloud } from '../support/local-cloud';
import { fixtureEvent } from '../support/test-cloud';

let rc: ReliabilityCloud;

/** SIGKILLs the instanceEvents containers at `phase` of the next `times` calls of `action`. */
function crashAt(phase: 'before' | 'after', times: number, alsoDo?: () => Promise<void>, action = 'CreateTrafficMirrorSession') {
  let remaining = times;
  let killed = 0;
  const remove = rc.sim.hook(action, phase, async () => {
    if (remaining <= 0) return;
    remaining -= 1;
    killed += rc.cloud.lambdas['instanceEvents']?.kill('all') ?? 0;
    await alsoDo?.();
    // The process is gone; for 'before' this also keeps the call from executing.
    throw new Error('injected crash');
  });
  return { remove, killed: () => killed };
}

function reservationOf(session: { tags: Record<string, string> }): string | undefined {
  return session.tags['vpc-mirror-orchestrator:reservation'];
}

beforeAll(async () => {
  rc = await startReliabilityCloud({
    simulator: { seed: 11, transitionDelayMs: 2 },
    functions: ['instanceEvents', 'sweep'],
    reservedConcurrency: { instanceEvents: 1, sweep: 1 },
  });
  // The handlers are driven by the test's own events: the simulator's are dropped on the bus.
  rc.cloud.bus.setChaos({ seed: 1, dropRate: 1 });
});

afterAll(async () => {
  await rc?.stop();
});

afterEach(async () => {
  expect(await rc.ledgerProblems()).toEqual([]);
});

describe('a handler killed during an attach', () => {
  it('before CreateTrafficMirrorSession executes: the async retry reuses the reservation and makes exactly one session', async () => {
    const [instance] = await rc.launch();
    const eniId = instance?.eniIds[0] as string;
    const crash = crashAt('before', 1);

    const outcome = await rc.cloud.lambdas['instanceEvents']?.invokeAsync(
      fixtureEvent('state-change-running', instance?.instanceId as string),
    );
    crash.remove();

    expect(crash.killed()).toBe(1);
    expect(outcome).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(rc.managedSessionsOn([eniId])).toHaveLength(1);
    const swept = await rc.cloud.runSchedule('sweep');
    expect(swept.status).toBe('succeeded');
    expect((swept.value as SweepSummary).attached).toBe(0);
    expect(rc.managedSessionsOn([eniId])).toHaveLength(1);
  });

  it('after CreateTrafficMirrorSession executed, before the ledger commit: the retry records the session it made, and makes no other', async () => {
    const [instance] = await rc.launch({ interfaces: 2 });
    const eniIds = instance?.eniIds as string[];
    const crash = crashAt('after', 1);

    const outcome = await rc.cloud.lambdas['instanceEvents']?.invokeAsync(
      fixtureEvent('state-change-running', instance?.instanceId as string),
    );
    crash.remove();

    expect(crash.killed()).toBe(1);
    expect(outcome).toMatchObject({ status: 'succeeded', attempts: 2 });
    for (const eniId of eniIds) expect(rc.managedSessionsOn([eniId])).toHaveLength(1);
    expect(rc.sim.snapshot().sessions.filter((s) => eniIds.includes(s.networkInterfaceId))).toHaveLength(2);
    // Announced once each, the one the killed attempt made included.
    const attached = rc.cloud.bus
      .outcomes()
      .filter((event) => event['detail-type'] === 'Mirror Session Attached')
      .map((event) => (event.detail as { eniId?: string }).eniId);
    expect(attached.filter((eniId) => eniIds.includes(eniId as string)).sort()).toEqual([...eniIds].sort());
  });

  it(
    'before CreateTrafficMirrorSession on every attempt: the event is dead-lettered, and the scheduled sweep makes the one session with the same ClientToken',
    async () => {
      const [instance] = await rc.launch();
      const eniId = instance?.eniIds[0] as string;
      const deadBefore = rc.cloud.deadLetters.entries().length;
      const crash = crashAt('before', 3);

      const outcome = await rc.cloud.lambdas['instanceEvents']?.invokeAsync(
        fixtureEvent('state-change-running', instance?.instanceId as string),
      );
      crash.remove();

      expect(crash.killed()).toBe(3);
      expect(outcome).toMatchObject({ status: 'dead-lettered', attempts: 3 });
      const letters = rc.cloud.deadLetters.entries().slice(deadBefore);
      expect(letters).toHaveLength(1);
      expect(letters[0]?.record.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
      expect(letters[0]?.record.responsePayload).toMatchObject({ errorType: 'Runtime.ExitError' });
      expect(rc.managedSessionsOn([eniId])).toEqual([]);
      const leftOver = (await rc.ledgerProblems()).filter((problem) => problem.subject === eniId);
      expect(leftOver).toEqual([expect.objectContaining({ message: expect.stringContaining('is reserved') })]);

      const swept = await rc.cloud.runSchedule('sweep');

      expect(swept.status).toBe('succeeded');
      const sessions = rc.managedSessionsOn([eniId]);
      expect(sessions).toHaveLength(1);
      expect(leftOver[0]?.message).toContain(reservationOf(sessions[0] as { tags: Record<string, string> }));
      // Each retry, then the sweep, first waits out the killed holder's hold on the reservation (20 s) before replaying.
    },
    3 * 60_000,
  );

  it('before CreateTrafficMirrorSession, then untagged with the events lost: the sweep after the grace period releases the slot and the target source', async () => {
    const [instance] = await rc.launch();
    const instanceId = instance?.instanceId as string;
    const eniId = instance?.eniIds[0] as string;
    const crash = crashAt('before', 1, () => rc.untag(instanceId));

    const outcome = await rc.cloud.lambdas['instanceEvents']?.invokeAsync(fixtureEvent('state-change-running', instanceId));
    crash.remove();
    const withinGrace = await rc.cloud.runSchedule('sweep');

    expect(outcome).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(withinGrace.status).toBe('succeeded');
    // Within the grace period the reservation is trusted (EC2 may just not show its session yet).
    expect((await rc.ledgerProblems()).map((problem) => problem.subject)).toContain(eniId);

    const later = wire(rc.endpoints, {
      targetIds: rc.targetIds,
      filterId: rc.filterId,
      clockOffsetMs: SLOT_GRACE_MS + 60_000,
      env: { MIRROR_OWNER_ID: rc.ownerId },
    });
    let afterGrace: SweepSummary;
    try {
      afterGrace = await sweep({ eventId: 'sweep-after-grace' }, later.deps, {
        ledger: later.sweepLedger,
        settings: DEFAULT_SWEEP_SETTINGS,
      });
    } finally {
      later.destroy();
    }

    expect(afterGrace.decisions).toContainEqual(expect.objectContaining({ action: 'release', eniId, reason: 'session-gone' }));
    expect(rc.managedSessionsOn([eniId])).toEqual([]);
  });
  it('through the production path (rule -> SQS queue -> batch): a SIGKILL before CreateTrafficMirrorSession fails the batch, the message comes back after its visibility timeout, and one session is made', async () => {
    const [instance] = await rc.launch({ tagged: false });
    const instanceId = instance?.instanceId as string;
    const eniId = instance?.eniIds[0] as string;
    await rc.tag(instanceId);
    const queue = Object.values(rc.cloud.queues).find((candidate) => candidate.logicalId.startsWith('InstanceEvents'));
    const returnedBefore = queue?.stats().returned ?? 0;
    const crash = crashAt('before', 1);

    rc.cloud.bus.setChaos(undefined);
    try {
      rc.cloud.bus.put(fixtureEvent('state-change-running', instanceId) as unknown as Parameters<typeof rc.cloud.bus.put>[0]);
      expect(await rc.cloud.settle(60_000)).toBe(true);
    } finally {
      rc.cloud.bus.setChaos({ seed: 1, dropRate: 1 });
      crash.remove();
    }

    expect(crash.killed()).toBe(1);
    expect((queue?.stats().returned ?? 0) - returnedBefore).toBe(1);
    const sessions = rc.managedSessionsOn([eniId]);
    expect(sessions).toHaveLength(1);
  });
  it('during a detach, before DeleteTrafficMirrorSession executes: the retry deletes the session and the ledger lets go of it', async () => {
    const [instance] = await rc.launch();
    const instanceId = instance?.instanceId as string;
    const eniId = instance?.eniIds[0] as string;
    const attached = await rc.cloud.lambdas['instanceEvents']?.invokeAsync(fixtureEvent('state-change-running', instanceId));
    expect(attached?.status).toBe('succeeded');
    expect(rc.managedSessionsOn([eniId])).toHaveLength(1);
    await rc.untag(instanceId);
    const crash = crashAt('before', 1, undefined, 'DeleteTrafficMirrorSession');

    const outcome = await rc.cloud.lambdas['instanceEvents']?.invokeAsync(fixtureEvent('state-change-running', instanceId));
    crash.remove();

    expect(crash.killed()).toBe(1);
    expect(outcome).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(rc.managedSessionsOn([eniId])).toEqual([]);
  });
});
