import {
  CreateTagsCommand,
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorSessionCommand,
  DeleteTrafficMirrorFilterCommand,
  DeleteTrafficMirrorSessionCommand,
  DeleteTrafficMirrorTargetCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeTrafficMirrorTargetsCommand,
  type EC2ServiceException,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { Ec2Error } from '../src';
import { errorCodeOf, type Harness, launch, mirrorFilter, nlbTarget, startHarness } from './sim-harness';

/** A refill so slow that no token comes back during a test: bucket sizes can be counted exactly. */
const FROZEN = { enabled: true, timeScale: 1e-9 };

describe('throttling', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness({ throttling: FROZEN });
  });
  afterEach(() => h.close());

  it('allows a burst of 50 mutating calls, then answers RequestLimitExceeded with HTTP 503 and counts it as throttled', async () => {
    for (let i = 0; i < 50; i++) await h.ec2.send(new CreateTrafficMirrorFilterCommand({}));

    const error = await h.ec2.send(new CreateTrafficMirrorFilterCommand({})).then(
      () => undefined,
      (e: unknown) => e as EC2ServiceException,
    );
    expect(error?.name).toBe('RequestLimitExceeded');
    expect(error?.$metadata.httpStatusCode).toBe(503);
    expect(h.sim.calls().CreateTrafficMirrorFilter).toEqual({ total: 51, ok: 50, throttled: 1, errors: {} });
  });

  it('gives unfiltered DescribeInstances a bucket of 50 and filtered ones their own of 100', async () => {
    for (let i = 0; i < 50; i++) await h.ec2.send(new DescribeInstancesCommand({}));
    expect(await errorCodeOf(h.ec2.send(new DescribeInstancesCommand({})))).toBe('RequestLimitExceeded');

    const filtered = new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] });
    for (let i = 0; i < 100; i++) await h.ec2.send(filtered);
    expect(await errorCodeOf(h.ec2.send(filtered))).toBe('RequestLimitExceeded');
  });

  it('gives CreateTags a bucket of 100', async () => {
    h.sim.setThrottling({ enabled: false });
    const { instanceId } = await launch(h, 'm5.large');
    h.sim.setThrottling(FROZEN);
    const tag = new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'k', Value: 'v' }] });
    for (let i = 0; i < 100; i++) await h.ec2.send(tag);
    expect(await errorCodeOf(h.ec2.send(tag))).toBe('RequestLimitExceeded');
  });

  it('lets the SDK retry its way through when the refill is fast', async () => {
    h.sim.setThrottling({ enabled: true, timeScale: 10_000 });
    const patient = h.client(5);
    for (let i = 0; i < 60; i++) await patient.send(new CreateTrafficMirrorFilterCommand({}));
    expect(h.sim.calls().CreateTrafficMirrorFilter?.ok).toBe(60);
  });

  it('is off by default', async () => {
    const free = await startHarness();
    try {
      for (let i = 0; i < 60; i++) await free.ec2.send(new CreateTrafficMirrorFilterCommand({}));
      expect(free.sim.calls().CreateTrafficMirrorFilter?.throttled).toBe(0);
    } finally {
      await free.close();
    }
  });
});

describe('faults', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  it('answers InternalError with HTTP 500 at error rate 1, and only for that action', async () => {
    h.sim.setFault('DescribeInstances', { errorRate: 1, errorCode: 'InternalError' });

    const error = await h.ec2.send(new DescribeInstancesCommand({})).then(
      () => undefined,
      (e: unknown) => e as EC2ServiceException,
    );
    expect(error?.name).toBe('InternalError');
    expect(error?.$metadata.httpStatusCode).toBe(500);
    await expect(h.ec2.send(new DescribeTrafficMirrorFiltersCommand({}))).resolves.toBeDefined();
    expect(h.sim.calls().DescribeInstances?.errors).toEqual({ InternalError: 1 });

    h.sim.setFault('DescribeInstances', undefined);
    await expect(h.ec2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
  });

  it('injects RequestLimitExceeded on every action with "*", counted as an error, not as throttling', async () => {
    h.sim.setFault('*', { errorRate: 1 });
    expect(await errorCodeOf(h.ec2.send(new DescribeInstancesCommand({})))).toBe('RequestLimitExceeded');
    expect(h.sim.calls().DescribeInstances).toEqual({ total: 1, ok: 0, throttled: 0, errors: { RequestLimitExceeded: 1 } });
  });

  it('reproduces the same faults from the same seed', async () => {
    const outcomes = async (seed: number) => {
      const seeded = await startHarness({ seed });
      try {
        seeded.sim.setFault('DescribeInstances', { errorRate: 0.5, errorCode: 'InternalError' });
        const results: boolean[] = [];
        for (let i = 0; i < 30; i++) {
          results.push(
            await seeded.ec2.send(new DescribeInstancesCommand({})).then(
              () => true,
              () => false,
            ),
          );
        }
        return results;
      } finally {
        await seeded.close();
      }
    };
    const first = await outcomes(42);
    expect(await outcomes(42)).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });

  it('delays an action by its added latency', async () => {
    h.sim.setFault('DescribeInstances', { latencyMs: 400 });
    const finished: string[] = [];
    const slow = h.ec2.send(new DescribeInstancesCommand({})).then(() => finished.push('slow'));
    const quick = h.ec2.send(new DescribeTrafficMirrorFiltersCommand({})).then(() => finished.push('quick'));
    await Promise.all([slow, quick]);
    expect(finished).toEqual(['quick', 'slow']);
  });

  /** An instance whose ENI has a session, all older than the window that is then turned on. */
  async function mirroredThenLagging(windowMs: number) {
    const filterId = await mirrorFilter(h);
    const targetId = await nlbTarget(h);
    const { instanceId, eniIds } = await launch(h, 'c5.large');
    const eniId = eniIds[0] as string;
    const created = await h.ec2.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: eniId,
        TrafficMirrorTargetId: targetId,
        TrafficMirrorFilterId: filterId,
        SessionNumber: 1,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, windowMs + 50));
    h.sim.setEventualConsistency(windowMs);
    return { instanceId, eniId, sessionId: created.TrafficMirrorSession?.TrafficMirrorSessionId as string };
  }

  it('hides new resources for the eventual-consistency window', async () => {
    h.sim.setEventualConsistency(3_600_000);
    const filterId = await mirrorFilter(h);

    expect(await errorCodeOf(h.ec2.send(new DescribeTrafficMirrorFiltersCommand({ TrafficMirrorFilterIds: [filterId] })))).toBe(
      'InvalidTrafficMirrorFilterId.NotFound',
    );
    expect(await errorCodeOf(h.ec2.send(new DeleteTrafficMirrorFilterCommand({ TrafficMirrorFilterId: filterId })))).toBe(
      'InvalidTrafficMirrorFilterId.NotFound',
    );
    const listed = await h.ec2.send(new DescribeTrafficMirrorFiltersCommand({}));
    expect(listed.TrafficMirrorFilters?.map((f) => f.TrafficMirrorFilterId)).not.toContain(filterId);

    h.sim.setEventualConsistency(0);
    const found = await h.ec2.send(new DescribeTrafficMirrorFiltersCommand({ TrafficMirrorFilterIds: [filterId] }));
    expect(found.TrafficMirrorFilters?.map((f) => f.TrafficMirrorFilterId)).toEqual([filterId]);
  });

  it('still lists a deleted session for the eventual-consistency window after its delete, then no more', async () => {
    const windowMs = 300;
    const { eniId, sessionId } = await mirroredThenLagging(windowMs);
    const listedOnEni = async () =>
      (
        await h.ec2.send(new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'network-interface-id', Values: [eniId] }] }))
      ).TrafficMirrorSessions?.map((session) => session.TrafficMirrorSessionId);

    await h.ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: sessionId }));
    const rightAfter = await listedOnEni();
    const secondDelete = await errorCodeOf(h.ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: sessionId })));
    await new Promise((resolve) => setTimeout(resolve, windowMs + 50));
    const later = await listedOnEni();

    expect(rightAfter).toEqual([sessionId]);
    expect(secondDelete).toBe('InvalidTrafficMirrorSessionId.NotFound');
    expect(later).toEqual([]);
    expect(h.sim.snapshot().sessions).toEqual([]);
  });

  it('still lists, for the window, the sessions and ENIs a terminated instance took with it, and deleted targets and filters', async () => {
    const windowMs = 400;
    const spareFilterId = await mirrorFilter(h);
    const spareTargetId = await nlbTarget(h, 'spare');
    const { instanceId, eniId, sessionId } = await mirroredThenLagging(windowMs);
    const listings = async () => ({
      sessions: (
        await h.ec2.send(new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'network-interface-id', Values: [eniId] }] }))
      ).TrafficMirrorSessions?.map((session) => session.TrafficMirrorSessionId),
      interfaces: (
        await h.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }))
      ).NetworkInterfaces?.map((eni) => eni.NetworkInterfaceId),
      targets: (
        await h.ec2.send(
          new DescribeTrafficMirrorTargetsCommand({ Filters: [{ Name: 'traffic-mirror-target-id', Values: [spareTargetId] }] }),
        )
      ).TrafficMirrorTargets?.map((target) => target.TrafficMirrorTargetId),
      filters: (
        await h.ec2.send(
          new DescribeTrafficMirrorFiltersCommand({ Filters: [{ Name: 'traffic-mirror-filter-id', Values: [spareFilterId] }] }),
        )
      ).TrafficMirrorFilters?.map((filter) => filter.TrafficMirrorFilterId),
    });

    await h.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await h.sim.settle();
    await h.ec2.send(new DeleteTrafficMirrorTargetCommand({ TrafficMirrorTargetId: spareTargetId }));
    await h.ec2.send(new DeleteTrafficMirrorFilterCommand({ TrafficMirrorFilterId: spareFilterId }));
    const rightAfter = await listings();
    const namedAfter = {
      session: await errorCodeOf(h.ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: sessionId }))),
      target: await errorCodeOf(h.ec2.send(new DescribeTrafficMirrorTargetsCommand({ TrafficMirrorTargetIds: [spareTargetId] }))),
    };
    await new Promise((resolve) => setTimeout(resolve, windowMs + 50));
    const later = await listings();

    expect(rightAfter).toEqual({ sessions: [sessionId], interfaces: [eniId], targets: [spareTargetId], filters: [spareFilterId] });
    expect(namedAfter).toEqual({ session: 'InvalidTrafficMirrorSessionId.NotFound', target: 'InvalidTrafficMirrorTargetId.NotFound' });
    expect(later).toEqual({ sessions: [], interfaces: [], targets: [], filters: [] });
    expect(h.sim.snapshot().sessions).toEqual([]);
  });
  it("shows an instance's state and tags as they were one window ago, while its events go out at once", async () => {
    const windowMs = 400;
    const { instanceId } = await launch(h, 'c5.large');
    await new Promise((resolve) => setTimeout(resolve, windowMs + 50));
    h.sim.setEventualConsistency(windowMs);
    const stateChanges: string[] = [];
    const unsubscribe = h.sim.onEvent((event) => {
      const detail = event.detail as { 'instance-id'?: string; state?: string };
      if (detail['instance-id'] === instanceId && detail.state !== undefined) stateChanges.push(detail.state);
    });
    const shown = async () => {
      const answer = await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = answer.Reservations?.[0]?.Instances?.[0];
      const tagged = await h.ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'tag:traffic-mirror', Values: ['true'] },
            { Name: 'instance-state-name', Values: ['stopped'] },
          ],
        }),
      );
      return {
        state: instance?.State?.Name,
        tags: (instance?.Tags ?? []).map((tag) => `${tag.Key}=${tag.Value}`),
        listedByFilters: (tagged.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []).length,
      };
    };

    await h.ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'traffic-mirror', Value: 'true' }] }));
    await h.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await h.sim.settle();
    const rightAfter = await shown();
    await new Promise((resolve) => setTimeout(resolve, windowMs + 50));
    const later = await shown();
    unsubscribe();

    expect(stateChanges).toEqual(['stopping', 'stopped']);
    expect(rightAfter).toEqual({ state: 'running', tags: [], listedByFilters: 0 });
    expect(later).toEqual({ state: 'stopped', tags: ['traffic-mirror=true'], listedByFilters: 1 });
  });
});

describe('hooks, counters and seeds', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const sessionSetup = async () => {
    const filterId = await mirrorFilter(h);
    const targetId = await nlbTarget(h);
    const eni = (await launch(h, 'c5.large')).eniIds[0] as string;
    return new CreateTrafficMirrorSessionCommand({
      NetworkInterfaceId: eni,
      TrafficMirrorTargetId: targetId,
      TrafficMirrorFilterId: filterId,
      SessionNumber: 1,
    });
  };

  it('runs `before` hooks before the change and `after` hooks once it is applied, before the answer', async () => {
    const command = await sessionSetup();
    const seen: Array<[string, number, string | undefined]> = [];
    h.sim.hook('CreateTrafficMirrorSession', 'before', (params) => {
      seen.push(['before', h.sim.snapshot().sessions.length, params.NetworkInterfaceId]);
    });
    h.sim.hook('CreateTrafficMirrorSession', 'after', async () => {
      seen.push(['after', h.sim.snapshot().sessions.length, undefined]);
    });

    await h.ec2.send(command);
    expect(seen).toEqual([
      ['before', 0, command.input.NetworkInterfaceId],
      ['after', 1, undefined],
    ]);
  });

  it('answers InternalError when an `after` hook throws, with the change applied (a crash between apply and answer)', async () => {
    const command = await sessionSetup();
    h.sim.hook('CreateTrafficMirrorSession', 'after', () => {
      throw new Error('process killed');
    });

    expect(await errorCodeOf(h.ec2.send(command))).toBe('InternalError');
    const sessions = await h.ec2.send(new DescribeTrafficMirrorSessionsCommand({}));
    expect(sessions.TrafficMirrorSessions).toHaveLength(1);
  });

  it('answers the EC2 error a hook throws, for exactly the call it chose', async () => {
    const command = await sessionSetup();
    h.sim.hook('CreateTrafficMirrorSession', 'before', (params) => {
      if (params.SessionNumber === '1') throw new Ec2Error('RequestLimitExceeded', 'chaos', 503);
    });

    expect(await errorCodeOf(h.ec2.send(command))).toBe('RequestLimitExceeded');
    expect(h.sim.snapshot().sessions).toHaveLength(0);
    command.input.SessionNumber = 2;
    await expect(h.ec2.send(command)).resolves.toMatchObject({ TrafficMirrorSession: { SessionNumber: 2 } });
    expect(h.sim.snapshot().sessions).toHaveLength(1);
  });

  it('lets an SDK retry with the same ClientToken recover the session an interrupted call created', async () => {
    const command = await sessionSetup();
    let interruptions = 0;
    h.sim.hook('CreateTrafficMirrorSession', 'after', () => {
      if (interruptions++ === 0) throw new Error('process killed');
    });

    const answer = await h.client(3).send(command);
    expect(answer.$metadata.attempts).toBe(2);
    const sessions = await h.ec2.send(new DescribeTrafficMirrorSessionsCommand({}));
    expect(sessions.TrafficMirrorSessions?.map((s) => s.TrafficMirrorSessionId)).toEqual([
      answer.TrafficMirrorSession?.TrafficMirrorSessionId,
    ]);
  });

  it('counts calls per action and outcome, and resets', async () => {
    await h.ec2.send(new DescribeInstancesCommand({}));
    await errorCodeOf(h.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));
    expect(h.sim.calls().DescribeInstances).toEqual({ total: 2, ok: 1, throttled: 0, errors: { 'InvalidInstanceID.NotFound': 1 } });

    h.sim.resetCalls();
    expect(h.sim.calls()).toEqual({});
  });

  it('generates the same ids from the same seed', async () => {
    const idsFrom = async (seed: number) => {
      const seeded = await startHarness({ seed });
      try {
        const { instanceId, eniIds } = await launch(seeded, 'm5.large');
        return [instanceId, ...eniIds, await mirrorFilter(seeded)];
      } finally {
        await seeded.close();
      }
    };
    const first = await idsFrom(99);
    expect(await idsFrom(99)).toEqual(first);
    expect(await idsFrom(100)).not.toEqual(first);
  });
});
