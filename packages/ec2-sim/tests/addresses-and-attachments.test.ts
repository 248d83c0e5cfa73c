import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { errorCodeOf, type Harness, launch, startHarness } from './sim-harness';

const IMAGE_ID = 'ami-0123456789abcdef0';
const SUBNET_A = 'subnet-00000000000000001';
const SUBNET_C = 'subnet-00000000000000003';

async function freeAddresses(h: Harness, subnetId: string): Promise<number | undefined> {
  const answer = await h.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
  return answer.Subnets?.[0]?.AvailableIpAddressCount;
}

describe('subnet addresses', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('offers 4091 addresses in a fresh /20: AWS reserves five', async () => {
    expect(await freeAddresses(h, SUBNET_A)).toBe(4091);
  });

  it('takes one address per ENI and gives it back when the ENI is deleted', async () => {
    const before = await freeAddresses(h, SUBNET_A);
    const created = await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_A }));
    const eniId = created.NetworkInterface?.NetworkInterfaceId as string;

    expect(await freeAddresses(h, SUBNET_A)).toBe((before as number) - 1);
    await h.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
    expect(await freeAddresses(h, SUBNET_A)).toBe(before);
  });

  it('never hands out a reserved address or one outside the subnet', async () => {
    const created = await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_A }));
    const ip = created.NetworkInterface?.PrivateIpAddress as string;
    const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
    expect([a, b]).toEqual([172, 31]);
    expect(c).toBeLessThan(16);
    expect(c * 256 + d).toBeGreaterThanOrEqual(4);
  });

  it('refuses with InsufficientFreeAddressesInSubnet once full, launches only what fits, and frees on terminate', async () => {
    const fourEnis = [0, 1, 2, 3].map((DeviceIndex) => ({ DeviceIndex, SubnetId: SUBNET_C }));
    await h.ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1000, MaxCount: 1000, NetworkInterfaces: fourEnis }));
    expect(await freeAddresses(h, SUBNET_C)).toBe(91);

    const partial = await h.ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 100, SubnetId: SUBNET_C }));

    expect(partial.Instances).toHaveLength(91);
    expect(await freeAddresses(h, SUBNET_C)).toBe(0);
    expect(await errorCodeOf(h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_C })))).toBe(
      'InsufficientFreeAddressesInSubnet',
    );
    expect(
      await errorCodeOf(h.ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 1, SubnetId: SUBNET_C }))),
    ).toBe('InsufficientFreeAddressesInSubnet');
    const inSubnetC = await h.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [SUBNET_C] }] }));
    const thirdOctets = new Set((inSubnetC.NetworkInterfaces ?? []).map((e) => Number(e.PrivateIpAddress?.split('.')[2])));
    expect(Math.min(...thirdOctets)).toBe(32);
    expect(Math.max(...thirdOctets)).toBe(47);

    await h.ec2.send(new TerminateInstancesCommand({ InstanceIds: [partial.Instances?.[0]?.InstanceId as string] }));
    await h.sim.settle();
    expect(await freeAddresses(h, SUBNET_C)).toBe(1);
  });
});

describe('private DNS names', () => {
  it.each([
    ['us-east-1', /^ip-172-31-\d+-\d+\.ec2\.internal$/],
    ['eu-west-1', /^ip-172-31-\d+-\d+\.eu-west-1\.compute\.internal$/],
    ['ap-southeast-2', /^ip-172-31-\d+-\d+\.ap-southeast-2\.compute\.internal$/],
  ])('follow the Region: %s', async (region, pattern) => {
    const h = await startHarness({ region });
    try {
      const { instanceId, eniIds } = await launch(h, 'c5.large');
      const instances = await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const enis = await h.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: eniIds }));

      expect(instances.Reservations?.[0]?.Instances?.[0]?.PrivateDnsName).toMatch(pattern);
      expect(enis.NetworkInterfaces?.[0]?.PrivateDnsName).toMatch(pattern);
      expect(enis.NetworkInterfaces?.[0]?.PrivateIpAddresses?.[0]?.PrivateDnsName).toMatch(pattern);
    } finally {
      await h.close();
    }
  });
});

describe('ENI attachment states', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('shows a launching instance its ENI `attaching`, then `attached` once it runs', async () => {
    const launched = await h.ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 1 }));
    const instance = launched.Instances?.[0];

    expect(instance?.State?.Name).toBe('pending');
    expect(instance?.NetworkInterfaces?.[0]?.Attachment?.Status).toBe('attaching');
    await h.sim.settle();
    const described = await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance?.InstanceId as string] }));
    expect(described.Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.[0]?.Attachment?.Status).toBe('attached');
  });

  it('answers AttachNetworkInterface with the attachment `attaching`, `attached` a moment later', async () => {
    const { instanceId } = await launch(h, 'c5.large');
    const created = await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_A }));
    const eniId = created.NetworkInterface?.NetworkInterfaceId as string;
    const statusWhenAnswered: Array<string | undefined> = [];
    const unhook = h.sim.hook('AttachNetworkInterface', 'after', () => {
      statusWhenAnswered.push(h.sim.snapshot().networkInterfaces.find((e) => e.networkInterfaceId === eniId)?.attachmentStatus);
    });

    await h.ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: instanceId, DeviceIndex: 1 }));
    unhook();
    await h.sim.settle();

    expect(statusWhenAnswered).toEqual(['attaching']);
    const attached = await h.ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [
          { Name: 'attachment.status', Values: ['attached'] },
          { Name: 'network-interface-id', Values: [eniId] },
        ],
      }),
    );
    expect(attached.NetworkInterfaces?.map((e) => e.NetworkInterfaceId)).toEqual([eniId]);
  });

  it('answers DetachNetworkInterface with the attachment `detaching`, then the ENI `available`', async () => {
    const { instanceId } = await launch(h, 'c5.large');
    const created = await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_A }));
    const eniId = created.NetworkInterface?.NetworkInterfaceId as string;
    const attached = await h.ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: instanceId, DeviceIndex: 1 }),
    );
    await h.sim.settle();
    const statusWhenAnswered: Array<string | undefined> = [];
    const unhook = h.sim.hook('DetachNetworkInterface', 'after', () => {
      statusWhenAnswered.push(h.sim.snapshot().networkInterfaces.find((e) => e.networkInterfaceId === eniId)?.attachmentStatus);
    });

    await h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attached.AttachmentId }));
    unhook();
    await h.sim.settle();

    expect(statusWhenAnswered).toEqual(['detaching']);
    const described = await h.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
    expect(described.NetworkInterfaces?.[0]).toMatchObject({ Status: 'available' });
    expect(described.NetworkInterfaces?.[0]?.Attachment).toBeUndefined();
  });
});
