import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { errorCodeOf, type Harness, launch, startHarness } from './sim-harness';

describe('instances', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ transitionDelayMs: 5 });
  });
  afterAll(() => h.close());

  const describeOne = async (instanceId: string) => {
    const result = await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return result.Reservations?.[0]?.Instances?.[0];
  };

  it('launches MaxCount instances in one reservation, pending first, running once settled', async () => {
    const result = await h.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 1,
        MaxCount: 3,
        InstanceType: 'm5.xlarge',
        Placement: { AvailabilityZone: 'eu-west-1b' },
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web' }] }],
      }),
    );

    expect(result.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    expect(result.Instances).toHaveLength(3);
    for (const instance of result.Instances ?? []) {
      expect(instance.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
      expect(instance.State).toEqual({ Code: 0, Name: 'pending' });
      expect(instance.Placement?.AvailabilityZone).toBe('eu-west-1b');
      expect(instance.SubnetId).toBe('subnet-00000000000000002');
      expect(instance.Tags).toEqual([{ Key: 'Name', Value: 'web' }]);
      expect(instance.NetworkInterfaces?.[0]?.Attachment).toMatchObject({ DeviceIndex: 0, DeleteOnTermination: true });
    }
    await h.sim.settle();
    const described = await describeOne(result.Instances?.[0]?.InstanceId as string);
    expect(described?.State).toEqual({ Code: 16, Name: 'running' });
  });

  it('launches several network interfaces, in the subnet given', async () => {
    const { instanceId, eniIds } = await launch(h, 'c5.xlarge', {
      NetworkInterfaces: [
        { DeviceIndex: 0, SubnetId: 'subnet-00000000000000003' },
        { DeviceIndex: 1, SubnetId: 'subnet-00000000000000003', Description: 'second' },
      ],
      TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'k', Value: 'v' }] }],
    });

    expect(eniIds).toHaveLength(2);
    const enis = await h.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: eniIds }));
    expect(enis.NetworkInterfaces?.map((e) => [e.Attachment?.InstanceId, e.AvailabilityZone, e.Status, e.TagSet])).toEqual([
      [instanceId, 'eu-west-1c', 'in-use', [{ Key: 'k', Value: 'v' }]],
      [instanceId, 'eu-west-1c', 'in-use', [{ Key: 'k', Value: 'v' }]],
    ]);
  });

  it.each<[string, Partial<RunInstancesCommandInput>, string]>([
    ['an unknown instance type', { InstanceType: 'q9.huge' as never }, 'InvalidParameterValue'],
    ['an unknown zone', { Placement: { AvailabilityZone: 'eu-west-1z' } }, 'InvalidParameterValue'],
    ['an unknown subnet', { SubnetId: 'subnet-0123456789abcdef0' }, 'InvalidSubnetID.NotFound'],
    ['a malformed subnet', { SubnetId: 'subnet-x' }, 'InvalidSubnetID.Malformed'],
    ['MinCount over MaxCount', { MinCount: 3, MaxCount: 2 }, 'InvalidParameterValue'],
    ['a launch without ImageId', { ImageId: undefined }, 'MissingParameter'],
    ['a malformed ImageId', { ImageId: 'ami-xyz' }, 'InvalidAMIID.Malformed'],
    ['interfaces without device index 0', { NetworkInterfaces: [{ DeviceIndex: 1 }] }, 'InvalidParameterValue'],
    [
      'interfaces and an instance-level subnet',
      { SubnetId: 'subnet-00000000000000001', NetworkInterfaces: [{ DeviceIndex: 0 }] },
      'InvalidParameterCombination',
    ],
    [
      'an unknown TagSpecification resource type',
      { TagSpecifications: [{ ResourceType: 'vpc' as never, Tags: [{ Key: 'a', Value: 'b' }] }] },
      'InvalidParameterValue',
    ],
  ])('refuses %s', async (_what, input, code) => {
    const call = h.ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1, InstanceType: 'm5.large', ...input }),
    );
    expect(await errorCodeOf(call)).toBe(code);
  });

  it('stops, starts and terminates with the right state codes, and keeps terminated instances describable', async () => {
    const { instanceId } = await launch(h, 'm5.large');

    const stopping = await h.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    expect(stopping.StoppingInstances).toEqual([
      { InstanceId: instanceId, PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 64, Name: 'stopping' } },
    ]);
    await h.sim.settle();
    expect((await describeOne(instanceId))?.State).toEqual({ Code: 80, Name: 'stopped' });

    const starting = await h.ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    expect(starting.StartingInstances?.[0]?.CurrentState).toEqual({ Code: 0, Name: 'pending' });
    await h.sim.settle();

    const terminating = await h.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    expect(terminating.TerminatingInstances?.[0]?.CurrentState).toEqual({ Code: 32, Name: 'shutting-down' });
    await h.sim.settle();
    const terminated = await describeOne(instanceId);
    expect(terminated?.State).toEqual({ Code: 48, Name: 'terminated' });
    expect(terminated?.NetworkInterfaces).toEqual([]);
  });

  it('refuses transitions EC2 refuses, and unknown or malformed instance ids', async () => {
    const { instanceId } = await launch(h, 'm5.large');
    await h.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await h.sim.settle();

    expect(await errorCodeOf(h.ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] })))).toBe('IncorrectInstanceState');
    expect(await errorCodeOf(h.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] })))).toBe('IncorrectInstanceState');
    expect(await errorCodeOf(h.ec2.send(new StopInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })))).toBe(
      'InvalidInstanceID.NotFound',
    );
    expect(await errorCodeOf(h.ec2.send(new StopInstancesCommand({ InstanceIds: ['i-zz'] })))).toBe('InvalidInstanceID.Malformed');
  });

  it('forgets terminated instances after the retention time', async () => {
    const brief = await startHarness({ transitionDelayMs: 0, terminatedRetentionMs: 0 });
    try {
      const { instanceId } = await launch(brief, 'm5.large');
      await brief.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
      await brief.sim.settle();
      expect(await errorCodeOf(brief.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))).toBe(
        'InvalidInstanceID.NotFound',
      );
    } finally {
      await brief.close();
    }
  });
});

describe('network interfaces', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('creates, attaches, detaches and deletes an ENI', async () => {
    const { instanceId } = await launch(h, 'm5.large');
    const created = await h.ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: 'subnet-00000000000000001',
        Description: 'extra',
        TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'role', Value: 'extra' }] }],
      }),
    );
    const eniId = created.NetworkInterface?.NetworkInterfaceId as string;
    expect(created.NetworkInterface).toMatchObject({ Status: 'available', InterfaceType: 'interface', Description: 'extra' });

    const attached = await h.ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: instanceId, DeviceIndex: 1 }),
    );
    expect(attached.AttachmentId).toMatch(/^eni-attach-[0-9a-f]{17}$/);
    const byInstance = await h.ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }),
    );
    expect(byInstance.NetworkInterfaces?.map((e) => e.Attachment?.DeviceIndex).sort()).toEqual([0, 1]);
    expect(await errorCodeOf(h.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId })))).toBe(
      'InvalidNetworkInterface.InUse',
    );

    await h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attached.AttachmentId }));
    await h.sim.settle();
    await h.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
    expect(await errorCodeOf(h.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] })))).toBe(
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  it('refuses to detach a primary ENI and to attach to a taken device index', async () => {
    const { instanceId, eniIds } = await launch(h, 'm5.large');
    const primary = await h.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniIds[0] as string] }));
    const attachmentId = primary.NetworkInterfaces?.[0]?.Attachment?.AttachmentId;
    expect(await errorCodeOf(h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId })))).toBe('OperationNotPermitted');

    const created = await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: 'subnet-00000000000000001' }));
    const call = h.ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: created.NetworkInterface?.NetworkInterfaceId,
        InstanceId: instanceId,
        DeviceIndex: 0,
      }),
    );
    expect(await errorCodeOf(call)).toBe('InvalidParameterValue');
  });

  it('refuses an ENI in another zone', async () => {
    const { instanceId } = await launch(h, 'm5.large');
    const created = await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: 'subnet-00000000000000002' }));
    const call = h.ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: created.NetworkInterface?.NetworkInterfaceId,
        InstanceId: instanceId,
        DeviceIndex: 1,
      }),
    );
    expect(await errorCodeOf(call)).toBe('InvalidParameterCombination');
  });
});
