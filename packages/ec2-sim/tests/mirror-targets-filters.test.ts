import {
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorSessionCommand,
  CreateTrafficMirrorTargetCommand,
  type CreateTrafficMirrorTargetCommandInput,
  DeleteNetworkInterfaceCommand,
  DeleteTrafficMirrorTargetCommand,
  DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorTargetsCommand,
  DetachNetworkInterfaceCommand,
} from '@aws-sdk/client-ec2';
import { errorCodeOf, type Harness, launch, mirrorFilter, nlbTarget, startHarness } from './sim-harness';

const NLB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/mirror/50dc6c495c0c9188';

describe('traffic mirror targets', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const createTarget = (input: CreateTrafficMirrorTargetCommandInput) => h.ec2.send(new CreateTrafficMirrorTargetCommand(input));

  it('creates the three kinds with their type, description and tags', async () => {
    const { eniIds } = await launch(h, 'c5.large');
    const tags = (value: string) => [{ ResourceType: 'traffic-mirror-target' as const, Tags: [{ Key: 'kind', Value: value }] }];

    const eni = await createTarget({ NetworkInterfaceId: eniIds[0], Description: 'collector', TagSpecifications: tags('eni') });
    const nlb = await createTarget({ NetworkLoadBalancerArn: NLB_ARN, TagSpecifications: tags('nlb') });
    const gwlbe = await createTarget({ GatewayLoadBalancerEndpointId: 'vpce-0123456789abcdef0', TagSpecifications: tags('gwlbe') });

    expect(eni.TrafficMirrorTarget).toMatchObject({
      Type: 'network-interface',
      NetworkInterfaceId: eniIds[0],
      Description: 'collector',
      OwnerId: '111122223333',
      Tags: [{ Key: 'kind', Value: 'eni' }],
    });
    expect(eni.TrafficMirrorTarget?.TrafficMirrorTargetId).toMatch(/^tmt-[0-9a-f]{17}$/);
    expect(nlb.TrafficMirrorTarget).toMatchObject({ Type: 'network-load-balancer', NetworkLoadBalancerArn: NLB_ARN });
    expect(gwlbe.TrafficMirrorTarget).toMatchObject({
      Type: 'gateway-load-balancer-endpoint',
      GatewayLoadBalancerEndpointId: 'vpce-0123456789abcdef0',
    });
    const described = await h.ec2.send(
      new DescribeTrafficMirrorTargetsCommand({ Filters: [{ Name: 'tag:kind', Values: ['nlb', 'gwlbe'] }] }),
    );
    expect(described.TrafficMirrorTargets?.map((t) => t.Type).sort()).toEqual(['gateway-load-balancer-endpoint', 'network-load-balancer']);
  });

  it.each<[string, CreateTrafficMirrorTargetCommandInput, string]>([
    ['no kind at all', {}, 'MissingParameter'],
    [
      'two kinds at once',
      { NetworkLoadBalancerArn: NLB_ARN, GatewayLoadBalancerEndpointId: 'vpce-0123456789abcdef0' },
      'InvalidParameterCombination',
    ],
    [
      'an ARN that is not a network load balancer',
      { NetworkLoadBalancerArn: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web/1' },
      'InvalidNetworkLoadBalancerArn.Malformed',
    ],
    ['a malformed endpoint id', { GatewayLoadBalancerEndpointId: 'vpce-nope' }, 'InvalidVpcEndpointId.Malformed'],
    ['an unknown ENI', { NetworkInterfaceId: 'eni-0123456789abcdef0' }, 'InvalidNetworkInterfaceID.NotFound'],
    ['a malformed ENI', { NetworkInterfaceId: 'eni-1' }, 'InvalidNetworkInterfaceId.Malformed'],
    [
      'tags for another resource type',
      { NetworkLoadBalancerArn: NLB_ARN, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: 'b' }] }] },
      'InvalidParameterValue',
    ],
  ])('refuses %s', async (_what, input, code) => {
    expect(await errorCodeOf(createTarget(input))).toBe(code);
  });

  it('refuses an ENI that already is a target', async () => {
    const { eniIds } = await launch(h, 'c5.large');
    await createTarget({ NetworkInterfaceId: eniIds[0] });
    expect(await errorCodeOf(createTarget({ NetworkInterfaceId: eniIds[0] }))).toBe('InvalidParameterValue');
  });

  it('limits PacketLength to 8500 on a network load balancer target', async () => {
    const filterId = await mirrorFilter(h);
    const targetId = await nlbTarget(h, 'packet-length');
    const eni = (await launch(h, 'c5.large')).eniIds[0] as string;
    const create = (PacketLength: number, SessionNumber: number) =>
      h.ec2.send(
        new CreateTrafficMirrorSessionCommand({
          NetworkInterfaceId: eni,
          TrafficMirrorTargetId: targetId,
          TrafficMirrorFilterId: filterId,
          SessionNumber,
          PacketLength,
        }),
      );

    expect(await errorCodeOf(create(8501, 1))).toBe('InvalidParameterValue');
    await expect(create(8500, 1)).resolves.toMatchObject({ TrafficMirrorSession: { PacketLength: 8500, SessionNumber: 1 } });
  });

  it('refuses targets past the account quota, and deletes unused ones', async () => {
    const small = await startHarness({ limits: { targetsPerAccount: 1, filtersPerAccount: 1 } });
    try {
      const targetId = await nlbTarget(small);
      expect(await errorCodeOf(small.ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkLoadBalancerArn: NLB_ARN })))).toBe(
        'TrafficMirrorTargetLimitExceeded',
      );
      await mirrorFilter(small);
      expect(await errorCodeOf(small.ec2.send(new CreateTrafficMirrorFilterCommand({})))).toBe('TrafficMirrorFilterLimitExceeded');
      await small.ec2.send(new DeleteTrafficMirrorTargetCommand({ TrafficMirrorTargetId: targetId }));
      await expect(nlbTarget(small)).resolves.toMatch(/^tmt-/);
    } finally {
      await small.close();
    }
  });
});

describe('deleting a source ENI', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('deletes its sessions with it, and frees its target', async () => {
    const filterId = await mirrorFilter(h);
    const targetId = await nlbTarget(h);
    const { eniIds } = await launch(h, 'c5.large', { NetworkInterfaces: [{ DeviceIndex: 0 }, { DeviceIndex: 1 }] });
    const secondary = eniIds[1] as string;
    await h.ec2.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: secondary,
        TrafficMirrorTargetId: targetId,
        TrafficMirrorFilterId: filterId,
        SessionNumber: 1,
      }),
    );
    const described = await h.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [secondary] }));

    await h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: described.NetworkInterfaces?.[0]?.Attachment?.AttachmentId }));
    await h.sim.settle();
    expect(h.sim.snapshot().sessions.map((s) => s.networkInterfaceId)).toEqual([secondary]);
    await h.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: secondary }));

    expect(h.sim.snapshot().sessions).toEqual([]);
    await expect(h.ec2.send(new DeleteTrafficMirrorTargetCommand({ TrafficMirrorTargetId: targetId }))).resolves.toBeDefined();
  });
});
