/**
 * Governance on the real path: the stack's own functions in local Lambda containers, fed by the simulator's events
 * through the stack's rules and queues, the sweep and the window-end tick fired as their schedules would. Issue 14:
 * an unknown session is announced once and never touched; a time-limited instance is unmirrored within a minute of
 * its end time and mirrored again when the time is extended; a malformed end time is refused.
 */
import { CreateTagsCommand, CreateTrafficMirrorSessionCommand, CreateTrafficMirrorTargetCommand } from '@aws-sdk/client-ec2';
import type { EventEnvelope } from '@vpc-mirror-orchestrator/local-lambda';
import { type ReliabilityCloud, startReliabilityCloud } from '../support/local-cloud';

const UNTIL_KEY = 'traffic-mirror-until';
const DETECTED = 'Unmanaged Mirror Session Detected';

let rc: ReliabilityCloud;

beforeAll(async () => {
  rc = await startReliabilityCloud({
    functions: ['instanceEvents', 'sweep', 'windowEnd'],
    simulator: { seed: 14, transitionDelayMs: 0 },
    interfaceTargets: 1,
    withLoadBalancerTarget: false,
  });
}, 120_000);

afterAll(async () => {
  await rc?.stop();
});

function outcomes(detailType: string): Array<EventEnvelope & { detail: Record<string, unknown> }> {
  return rc.cloud.bus.outcomes().filter((event) => event['detail-type'] === detailType) as Array<
    EventEnvelope & { detail: Record<string, unknown> }
  >;
}

async function tag(instanceId: string, tags: Record<string, string>): Promise<void> {
  await rc.ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  await rc.sim.settle();
  expect(await rc.cloud.settle(30_000)).toBe(true);
}

function sessionsOn(eniIds: readonly string[]) {
  return rc.sim.snapshot().sessions.filter((session) => eniIds.includes(session.networkInterfaceId));
}

describe('unmanaged sessions', () => {
  it('announces a session to a target nobody configured once, never touches it, and leaves hand-made sessions to the pool quiet', async () => {
    const [victim] = await rc.launch({ tagged: false });
    const [outsider] = await rc.launch({ tagged: false, type: 'c5.large' });
    const foreignTarget = await rc.ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: outsider?.eniIds[0] }));
    const foreignTargetId = foreignTarget.TrafficMirrorTarget?.TrafficMirrorTargetId as string;
    const eniId = victim?.eniIds[0] as string;
    const session = (targetId: string, sessionNumber: number) =>
      rc.ec2.send(
        new CreateTrafficMirrorSessionCommand({
          NetworkInterfaceId: eniId,
          TrafficMirrorTargetId: targetId,
          TrafficMirrorFilterId: rc.filterId,
          SessionNumber: sessionNumber,
        }),
      );
    const unknown = (await session(foreignTargetId, 1)).TrafficMirrorSession?.TrafficMirrorSessionId;
    await session(rc.targetIds[0] as string, 2);
    const before = sessionsOn([eniId]);
    rc.sim.resetCalls();

    for (let run = 0; run < 3; run += 1) expect((await rc.cloud.runSchedule('sweep')).status).toBe('succeeded');

    const detected = outcomes(DETECTED);
    expect(detected).toHaveLength(1);
    expect(detected[0]?.detail).toMatchObject({
      action: 'detect',
      reason: 'target-not-configured',
      sessionId: unknown,
      eniId,
      instanceId: victim?.instanceId,
      targetId: foreignTargetId,
      targetOwnerAccountId: rc.cloud.accountId,
      sessionOwnerAccountId: rc.cloud.accountId,
      change: 'new',
      firstSeenAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect(sessionsOn([eniId])).toEqual(before);
    const calls = rc.sim.calls();
    expect(calls.DeleteTrafficMirrorSession).toBeUndefined();
    expect(calls.CreateTrafficMirrorSession).toBeUndefined();
  });
});

describe('mirroring windows', () => {
  it('unmirrors a time-limited instance within a minute of its end time, and mirrors it again when the time is extended', async () => {
    const [capture] = await rc.launch({ tagged: false });
    const eniIds = capture?.eniIds ?? [];
    const instanceId = capture?.instanceId as string;
    const endsAt = new Date(Date.now() + 3_000);
    await tag(instanceId, { 'traffic-mirror': 'true', [UNTIL_KEY]: endsAt.toISOString() });
    expect(rc.managedSessionsOn(eniIds)).toHaveLength(1);

    const tick = await rc.cloud.runSchedule('windowEnd');

    expect(tick.status).toBe('succeeded');
    expect(rc.managedSessionsOn(eniIds)).toEqual([]);
    const ended = outcomes('Mirror Session Detached').filter((event) => event.detail['instanceId'] === instanceId);
    expect(ended.map((event) => event.detail['reason'])).toEqual(['mirror-window-ended']);
    const detachedAt = Date.parse(String(ended[0]?.detail['at']));
    expect(detachedAt).toBeGreaterThanOrEqual(endsAt.getTime());
    expect(detachedAt - endsAt.getTime()).toBeLessThan(60_000);

    await tag(instanceId, { [UNTIL_KEY]: new Date(Date.now() + 3_600_000).toISOString() });

    expect(rc.managedSessionsOn(eniIds)).toHaveLength(1);
    const attaches = outcomes('Mirror Session Attached').filter((event) => event.detail['instanceId'] === instanceId);
    expect(attaches).toHaveLength(2);
  });

  it('refuses a malformed end time with a clear detail, removes the sessions, and dead-letters nothing', async () => {
    const [capture] = await rc.launch({ tagged: false });
    const instanceId = capture?.instanceId as string;
    await tag(instanceId, { 'traffic-mirror': 'true' });
    expect(rc.managedSessionsOn(capture?.eniIds ?? [])).toHaveLength(1);
    const lettersBefore = rc.cloud.deadLetters.entries().length;

    await tag(instanceId, { [UNTIL_KEY]: 'next friday' });

    expect(rc.managedSessionsOn(capture?.eniIds ?? [])).toEqual([]);
    const refusals = outcomes('Mirror Session Refused').filter((event) => event.detail['instanceId'] === instanceId);
    expect(refusals.map((event) => [event.detail['reason'], event.detail['detail']])).toEqual([
      ['mirror-window-invalid', expect.stringContaining(`tag ${UNTIL_KEY}="next friday" is not an ISO-8601 UTC time`)],
    ]);
    expect(rc.cloud.deadLetters.entries()).toHaveLength(lettersBefore);
  });
});
