import {
  CreateTrafficMirrorSessionCommand,
  type CreateTrafficMirrorSessionCommandInput,
  CreateTrafficMirrorTargetCommand,
  DeleteTrafficMirrorFilterCommand,
  DeleteTrafficMirrorSessionCommand,
  DeleteTrafficMirrorTargetCommand,
  DescribeTrafficMirrorSessionsCommand,
  ModifyTrafficMirrorSessionCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { eniTarget, errorCodeOf, type Harness, launch, mirrorFilter, nlbTarget, startHarness } from './sim-harness';

describe('traffic mirror sessions', () => {
  let h: Harness;
  let filterId: string;
  let nlbTargetId: string;

  beforeAll(async () => {
    h = await startHarness();
    filterId = await mirrorFilter(h);
    nlbTargetId = await nlbTarget(h);
  });
  afterAll(() => h.close());

  const create = (input: Partial<CreateTrafficMirrorSessionCommandInput> & { NetworkInterfaceId: string }) =>
    h.ec2.send(
      new CreateTrafficMirrorSessionCommand({
        TrafficMirrorTargetId: nlbTargetId,
        TrafficMirrorFilterId: filterId,
        SessionNumber: 1,
        ...input,
      }),
    );

  it('creates a session the SDK reads back whole, with its tags', async () => {
    const { eniIds } = await launch(h, 'c5.large');
    const eni = eniIds[0] as string;

    const created = await create({
      NetworkInterfaceId: eni,
      SessionNumber: 7,
      VirtualNetworkId: 4242,
      PacketLength: 128,
      Description: 'ours & <theirs>',
      TagSpecifications: [{ ResourceType: 'traffic-mirror-session', Tags: [{ Key: 'owner', Value: 'me' }] }],
    });

    const session = created.TrafficMirrorSession;
    expect(session?.TrafficMirrorSessionId).toMatch(/^tms-[0-9a-f]{17}$/);
    expect(session).toMatchObject({
      NetworkInterfaceId: eni,
      TrafficMirrorTargetId: nlbTargetId,
      TrafficMirrorFilterId: filterId,
      SessionNumber: 7,
      VirtualNetworkId: 4242,
      PacketLength: 128,
      Description: 'ours & <theirs>',
      OwnerId: '111122223333',
      Tags: [{ Key: 'owner', Value: 'me' }],
    });
    const described = await h.ec2.send(
      new DescribeTrafficMirrorSessionsCommand({ TrafficMirrorSessionIds: [session?.TrafficMirrorSessionId as string] }),
    );
    expect(described.TrafficMirrorSessions).toEqual([session]);
  });

  it('picks a virtual network id when none is given', async () => {
    const { eniIds } = await launch(h, 'm5.large');
    const created = await create({ NetworkInterfaceId: eniIds[0] as string });
    expect(created.TrafficMirrorSession?.VirtualNetworkId).toBeGreaterThan(0);
  });

  it('refuses a fourth session on one ENI', async () => {
    const { eniIds } = await launch(h, 'c5.large');
    const eni = eniIds[0] as string;
    for (const number of [1, 2, 3]) await create({ NetworkInterfaceId: eni, SessionNumber: number });

    expect(await errorCodeOf(create({ NetworkInterfaceId: eni, SessionNumber: 4 }))).toBe('TrafficMirrorSessionsPerInterfaceLimitExceeded');
  });

  it('refuses a session number already used on the ENI, and numbers outside 1..32766', async () => {
    const { eniIds } = await launch(h, 'c5.large');
    const eni = eniIds[0] as string;
    await create({ NetworkInterfaceId: eni, SessionNumber: 5 });

    expect(await errorCodeOf(create({ NetworkInterfaceId: eni, SessionNumber: 5 }))).toBe('InvalidParameterValue');
    expect(await errorCodeOf(create({ NetworkInterfaceId: eni, SessionNumber: 0 }))).toBe('InvalidParameterValue');
    expect(await errorCodeOf(create({ NetworkInterfaceId: eni, SessionNumber: 32767 }))).toBe('InvalidParameterValue');
    await expect(create({ NetworkInterfaceId: eni, SessionNumber: 32766 })).resolves.toMatchObject({
      TrafficMirrorSession: { NetworkInterfaceId: eni, SessionNumber: 32766 },
    });
  });

  it.each([
    ['an excluded Nitro family', 'm6i.large'],
    ['a Graviton family on the exclusion list', 'c7g.large'],
    ['bare metal', 'm5.metal'],
    ['t2 (Xen, not supported)', 't2.micro'],
    ['an old Xen family', 'c3.large'],
  ])('refuses a source on %s with NetworkInterfaceNotSupported', async (_what, instanceType) => {
    const { eniIds } = await launch(h, instanceType);
    expect(await errorCodeOf(create({ NetworkInterfaceId: eniIds[0] as string }))).toBe('NetworkInterfaceNotSupported');
  });

  it.each([['c4.large'], ['m4.large'], ['i3.large'], ['x1.16xlarge'], ['p3.2xlarge'], ['t3.micro'], ['m5.large']])(
    'accepts a source on %s',
    async (instanceType) => {
      const { eniIds } = await launch(h, instanceType);
      await expect(create({ NetworkInterfaceId: eniIds[0] as string })).resolves.toMatchObject({
        TrafficMirrorSession: { NetworkInterfaceId: eniIds[0], TrafficMirrorSessionId: expect.stringMatching(/^tms-/) },
      });
    },
  );

  it('refuses an ENI whose interface type is not `interface`', async () => {
    const { eniIds } = await launch(h, 'c5n.9xlarge', {
      NetworkInterfaces: [{ DeviceIndex: 0, InterfaceType: 'efa' }],
    });
    expect(await errorCodeOf(create({ NetworkInterfaceId: eniIds[0] as string }))).toBe('NetworkInterfaceNotSupported');
  });

  it('keeps targets and sources apart', async () => {
    const { eniIds: targetEnis } = await launch(h, 'c5.large');
    const { eniIds: sourceEnis } = await launch(h, 'c5.large');
    await h.ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: targetEnis[0] }));
    await create({ NetworkInterfaceId: sourceEnis[0] as string });

    expect(await errorCodeOf(create({ NetworkInterfaceId: targetEnis[0] as string }))).toBe('InterfaceInUseByTrafficMirrorTarget');
    expect(await errorCodeOf(h.ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: sourceEnis[0] })))).toBe(
      'InterfaceInUseByTrafficMirrorSession',
    );
  });

  it('limits a network-interface target to 10 sources, and counts a source once', async () => {
    const targetId = await eniTarget(h, 'c5.large');
    const sources: string[] = [];
    for (let i = 0; i < 10; i++) sources.push((await launch(h, 'c5.large')).eniIds[0] as string);
    for (const eni of sources) await create({ NetworkInterfaceId: eni, TrafficMirrorTargetId: targetId });

    await expect(
      create({ NetworkInterfaceId: sources[0] as string, TrafficMirrorTargetId: targetId, SessionNumber: 2 }),
    ).resolves.toMatchObject({
      TrafficMirrorSession: { NetworkInterfaceId: sources[0], TrafficMirrorTargetId: targetId, SessionNumber: 2 },
    });
    const eleventh = (await launch(h, 'c5.large')).eniIds[0] as string;
    expect(await errorCodeOf(create({ NetworkInterfaceId: eleventh, TrafficMirrorTargetId: targetId }))).toBe(
      'TrafficMirrorSourcesPerTargetLimitExceeded',
    );
  });

  it('lets a target on a full-host size take more than 10 sources, and an NLB target any number', async () => {
    const bigTargetId = await eniTarget(h, 'c5n.18xlarge');
    for (let i = 0; i < 11; i++) {
      const eni = (await launch(h, 'c5.large')).eniIds[0] as string;
      await create({ NetworkInterfaceId: eni, TrafficMirrorTargetId: bigTargetId });
      await create({ NetworkInterfaceId: eni, TrafficMirrorTargetId: nlbTargetId, SessionNumber: 2 });
    }
    const sessions = h.sim.snapshot().sessions;
    expect(new Set(sessions.filter((s) => s.trafficMirrorTargetId === bigTargetId).map((s) => s.networkInterfaceId)).size).toBe(11);
  });

  it('answers NotFound for unknown ids and Malformed for ids of the wrong shape', async () => {
    const eni = (await launch(h, 'c5.large')).eniIds[0] as string;
    expect(await errorCodeOf(create({ NetworkInterfaceId: 'eni-0123456789abcdef0' }))).toBe('InvalidNetworkInterfaceID.NotFound');
    expect(await errorCodeOf(create({ NetworkInterfaceId: 'eni-xyz' }))).toBe('InvalidNetworkInterfaceId.Malformed');
    expect(await errorCodeOf(create({ NetworkInterfaceId: eni, TrafficMirrorTargetId: 'tmt-0123456789abcdef0' }))).toBe(
      'InvalidTrafficMirrorTargetId.NotFound',
    );
    expect(await errorCodeOf(create({ NetworkInterfaceId: eni, TrafficMirrorFilterId: 'tmf-0123456789abcdef0' }))).toBe(
      'InvalidTrafficMirrorFilterId.NotFound',
    );
    expect(await errorCodeOf(h.ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: 'tms-0123456789abcdef0' })))).toBe(
      'InvalidTrafficMirrorSessionId.NotFound',
    );
    expect(await errorCodeOf(h.ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: 'tms-1' })))).toBe(
      'InvalidTrafficMirrorSessionId.Malformed',
    );
  });

  it('returns the same session for a repeated ClientToken and refuses the token with other parameters', async () => {
    const eni = (await launch(h, 'c5.large')).eniIds[0] as string;
    const first = await create({ NetworkInterfaceId: eni, ClientToken: 'reservation-1' });
    const again = await create({ NetworkInterfaceId: eni, ClientToken: 'reservation-1' });

    expect(again.TrafficMirrorSession).toEqual(first.TrafficMirrorSession);
    expect(again.ClientToken).toBe('reservation-1');
    expect(h.sim.snapshot().sessions.filter((s) => s.networkInterfaceId === eni)).toHaveLength(1);
    expect(await errorCodeOf(create({ NetworkInterfaceId: eni, SessionNumber: 2, ClientToken: 'reservation-1' }))).toBe(
      'IdempotentParameterMismatch',
    );
  });

  it('keeps a target and a filter while a session uses them', async () => {
    const eni = (await launch(h, 'c5.large')).eniIds[0] as string;
    const targetId = await eniTarget(h);
    const ownFilter = await mirrorFilter(h);
    const created = await create({ NetworkInterfaceId: eni, TrafficMirrorTargetId: targetId, TrafficMirrorFilterId: ownFilter });

    expect(await errorCodeOf(h.ec2.send(new DeleteTrafficMirrorTargetCommand({ TrafficMirrorTargetId: targetId })))).toBe(
      'TrafficMirrorTargetInUseException',
    );
    expect(await errorCodeOf(h.ec2.send(new DeleteTrafficMirrorFilterCommand({ TrafficMirrorFilterId: ownFilter })))).toBe(
      'TrafficMirrorFilterInUse',
    );
    const sessionId = created.TrafficMirrorSession?.TrafficMirrorSessionId as string;
    await h.ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: sessionId }));
    await expect(h.ec2.send(new DeleteTrafficMirrorTargetCommand({ TrafficMirrorTargetId: targetId }))).resolves.toMatchObject({
      TrafficMirrorTargetId: targetId,
    });
    await expect(h.ec2.send(new DeleteTrafficMirrorFilterCommand({ TrafficMirrorFilterId: ownFilter }))).resolves.toMatchObject({
      TrafficMirrorFilterId: ownFilter,
    });
  });

  it('keeps sessions through a stop and drops them with the ENIs at terminate', async () => {
    const { instanceId, eniIds } = await launch(h, 'c5.large', {
      NetworkInterfaces: [{ DeviceIndex: 0 }, { DeviceIndex: 1 }, { DeviceIndex: 2, DeleteOnTermination: false }],
    });
    for (const eni of eniIds) await create({ NetworkInterfaceId: eni });

    await h.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await h.sim.settle();
    expect(h.sim.snapshot().sessions.filter((s) => eniIds.includes(s.networkInterfaceId))).toHaveLength(3);

    await h.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await h.sim.settle();
    const left = h.sim.snapshot();
    expect(left.sessions.filter((s) => eniIds.includes(s.networkInterfaceId)).map((s) => s.networkInterfaceId)).toEqual([eniIds[2]]);
    expect(left.networkInterfaces.find((e) => e.networkInterfaceId === eniIds[2])?.instanceId).toBeUndefined();
    expect(left.networkInterfaces.some((e) => e.networkInterfaceId === eniIds[0])).toBe(false);
  });

  it('modifies a session: number, target, removed fields', async () => {
    const eni = (await launch(h, 'c5.large')).eniIds[0] as string;
    const created = await create({ NetworkInterfaceId: eni, SessionNumber: 1, PacketLength: 100, Description: 'x' });
    await create({ NetworkInterfaceId: eni, SessionNumber: 2 });
    const sessionId = created.TrafficMirrorSession?.TrafficMirrorSessionId as string;
    const otherTarget = await eniTarget(h);

    expect(
      await errorCodeOf(h.ec2.send(new ModifyTrafficMirrorSessionCommand({ TrafficMirrorSessionId: sessionId, SessionNumber: 2 }))),
    ).toBe('InvalidParameterValue');
    const modified = await h.ec2.send(
      new ModifyTrafficMirrorSessionCommand({
        TrafficMirrorSessionId: sessionId,
        SessionNumber: 9,
        TrafficMirrorTargetId: otherTarget,
        RemoveFields: ['packet-length', 'description'],
      }),
    );
    expect(modified.TrafficMirrorSession).toMatchObject({ SessionNumber: 9, TrafficMirrorTargetId: otherTarget });
    expect(modified.TrafficMirrorSession?.PacketLength).toBeUndefined();
    expect(modified.TrafficMirrorSession?.Description).toBeUndefined();
  });

  describe('PacketLength on a Network Load Balancer target', () => {
    it('is 8500 when the request gives none', async () => {
      const eni = (await launch(h, 'c5.large')).eniIds[0] as string;

      const created = await create({ NetworkInterfaceId: eni });

      expect(created.TrafficMirrorSession?.PacketLength).toBe(8500);
      const sessionId = created.TrafficMirrorSession?.TrafficMirrorSessionId as string;
      const described = await h.ec2.send(new DescribeTrafficMirrorSessionsCommand({ TrafficMirrorSessionIds: [sessionId] }));
      expect(described.TrafficMirrorSessions?.[0]?.PacketLength).toBe(8500);
    });

    it('goes back to 8500 when ModifyTrafficMirrorSession removes packet-length', async () => {
      const eni = (await launch(h, 'c5.large')).eniIds[0] as string;
      const created = await create({ NetworkInterfaceId: eni, PacketLength: 200 });
      const sessionId = created.TrafficMirrorSession?.TrafficMirrorSessionId as string;

      const modified = await h.ec2.send(
        new ModifyTrafficMirrorSessionCommand({ TrafficMirrorSessionId: sessionId, RemoveFields: ['packet-length'] }),
      );

      expect(created.TrafficMirrorSession?.PacketLength).toBe(200);
      expect(modified.TrafficMirrorSession?.PacketLength).toBe(8500);
    });

    it('refuses more than 8500', async () => {
      const eni = (await launch(h, 'c5.large')).eniIds[0] as string;
      expect(await errorCodeOf(create({ NetworkInterfaceId: eni, PacketLength: 8501 }))).toBe('InvalidParameterValue');
    });

    it('stays unset (the whole packet) on a network-interface target', async () => {
      const eni = (await launch(h, 'c5.large')).eniIds[0] as string;
      const created = await create({ NetworkInterfaceId: eni, TrafficMirrorTargetId: await eniTarget(h) });
      expect(created.TrafficMirrorSession?.PacketLength).toBeUndefined();
    });
  });

  it('refuses sessions past the account quota', async () => {
    const small = await startHarness({ limits: { sessionsPerAccount: 2 } });
    try {
      const filter = await mirrorFilter(small);
      const target = await nlbTarget(small);
      const eni = (await launch(small, 'c5.large')).eniIds[0] as string;
      const send = (n: number) =>
        small.ec2.send(
          new CreateTrafficMirrorSessionCommand({
            NetworkInterfaceId: eni,
            TrafficMirrorTargetId: target,
            TrafficMirrorFilterId: filter,
            SessionNumber: n,
          }),
        );
      await send(1);
      await send(2);
      expect(await errorCodeOf(send(3))).toBe('TrafficMirrorSessionLimitExceeded');
    } finally {
      await small.close();
    }
  });

  it('refuses new sessions once setLimits lowers the account quota below what the account holds', async () => {
    const small = await startHarness();
    try {
      const filter = await mirrorFilter(small);
      const target = await nlbTarget(small);
      const eni = (await launch(small, 'c5.large')).eniIds[0] as string;
      const send = (n: number) =>
        small.ec2.send(
          new CreateTrafficMirrorSessionCommand({
            NetworkInterfaceId: eni,
            TrafficMirrorTargetId: target,
            TrafficMirrorFilterId: filter,
            SessionNumber: n,
          }),
        );
      await send(1);
      await send(2);

      small.sim.setLimits({ sessionsPerAccount: 1 });

      expect(await errorCodeOf(send(3))).toBe('TrafficMirrorSessionLimitExceeded');
      expect(small.sim.snapshot().sessions).toHaveLength(2);
    } finally {
      await small.close();
    }
  });
});
