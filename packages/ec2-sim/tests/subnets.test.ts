/**
 * CreateSubnet in the default VPC (172.31.0.0/16, one /20 default subnet per zone), as the EC2 API reference
 * describes it: /16 to /28, inside the VPC, no overlap; a non-default subnet takes instances only when named.
 */
import { CreateSubnetCommand, DescribeSubnetsCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { errorCodeOf, type Harness, startHarness } from './sim-harness';

const DEFAULT_VPC = 'vpc-00000000000000001';

describe('CreateSubnet', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
  });
  afterEach(async () => {
    await harness.close();
  });

  it('adds a /18 to the default VPC that offers 16,379 addresses and is not a default subnet', async () => {
    const created = await harness.ec2.send(
      new CreateSubnetCommand({ VpcId: DEFAULT_VPC, CidrBlock: '172.31.64.0/18', AvailabilityZone: `${harness.sim.region}b` }),
    );

    expect(created.Subnet).toMatchObject({
      VpcId: DEFAULT_VPC,
      CidrBlock: '172.31.64.0/18',
      AvailabilityZone: `${harness.sim.region}b`,
      AvailableIpAddressCount: 16_379,
      DefaultForAz: false,
      State: 'available',
    });
    const nonDefault = await harness.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['false'] }] }));
    expect(nonDefault.Subnets?.map((subnet) => subnet.SubnetId)).toEqual([created.Subnet?.SubnetId]);
  });

  it('launches into the new subnet only when RunInstances names it; a zone alone means its default subnet', async () => {
    const created = await harness.ec2.send(
      new CreateSubnetCommand({ VpcId: DEFAULT_VPC, CidrBlock: '172.31.64.0/18', AvailabilityZone: `${harness.sim.region}a` }),
    );
    const subnetId = created.Subnet?.SubnetId;

    const named = await harness.ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1000, MaxCount: 1000, SubnetId: subnetId }),
    );
    const byZone = await harness.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 1,
        MaxCount: 1,
        Placement: { AvailabilityZone: `${harness.sim.region}a` },
      }),
    );

    expect(new Set(named.Instances?.map((instance) => instance.SubnetId))).toEqual(new Set([subnetId]));
    expect(named.Instances?.[0]?.PrivateIpAddress).toBe('172.31.64.4');
    expect(byZone.Instances?.[0]?.SubnetId).not.toBe(subnetId);
    expect(byZone.Instances?.[0]?.PrivateIpAddress?.startsWith('172.31.0.')).toBe(true);
  });

  it('refuses a block outside the VPC, larger than /16 or smaller than /28 (InvalidSubnet.Range)', async () => {
    for (const cidrBlock of ['10.0.0.0/24', '172.30.0.0/15', '172.31.64.0/29']) {
      expect(await errorCodeOf(harness.ec2.send(new CreateSubnetCommand({ VpcId: DEFAULT_VPC, CidrBlock: cidrBlock })))).toBe(
        'InvalidSubnet.Range',
      );
    }
  });

  it('refuses a block that overlaps a subnet of the VPC (InvalidSubnet.Conflict), the default ones included', async () => {
    expect(await errorCodeOf(harness.ec2.send(new CreateSubnetCommand({ VpcId: DEFAULT_VPC, CidrBlock: '172.31.16.0/24' })))).toBe(
      'InvalidSubnet.Conflict',
    );
    expect(await errorCodeOf(harness.ec2.send(new CreateSubnetCommand({ VpcId: DEFAULT_VPC, CidrBlock: '172.31.0.0/16' })))).toBe(
      'InvalidSubnet.Conflict',
    );
  });

  it('refuses a block with host bits set, an unknown VPC and an unknown zone', async () => {
    expect(await errorCodeOf(harness.ec2.send(new CreateSubnetCommand({ VpcId: DEFAULT_VPC, CidrBlock: '172.31.64.1/18' })))).toBe(
      'InvalidParameterValue',
    );
    expect(
      await errorCodeOf(harness.ec2.send(new CreateSubnetCommand({ VpcId: 'vpc-0123456789abcdef0', CidrBlock: '172.31.64.0/18' }))),
    ).toBe('InvalidVpcID.NotFound');
    expect(
      await errorCodeOf(
        harness.ec2.send(new CreateSubnetCommand({ VpcId: DEFAULT_VPC, CidrBlock: '172.31.64.0/18', AvailabilityZone: 'mars-east-1z' })),
      ),
    ).toBe('InvalidParameterValue');
  });
});
