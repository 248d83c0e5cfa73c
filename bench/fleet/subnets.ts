/**
 * Room for a fleet larger than the default VPC's three /20 subnets (~12,270 addresses): subnets added to the
 * default VPC (172.31.0.0/16) with CreateSubnet, as an account would (EC2 allows subnets of /16 to /28 inside the
 * VPC). The four free blocks below fill the rest of the /16: with the default /20s, ~65,000 addresses in all.
 */
import { CreateSubnetCommand, DescribeSubnetsCommand, type EC2Client } from '@aws-sdk/client-ec2';

const DEFAULT_VPC_FREE_BLOCKS = ['172.31.64.0/18', '172.31.128.0/18', '172.31.192.0/18', '172.31.48.0/20'] as const;

interface SubnetRoom {
  readonly subnetId: string;
  readonly zone: string;
  available: number;
}

/** Hands each RunInstances call a subnet with room for it, the emptiest first so that zones fill evenly. */
export class SubnetAllocator {
  private constructor(
    private readonly subnets: SubnetRoom[],
    /** Subnets CreateSubnet added for the fleet. */
    readonly added: number,
  ) {}

  /** The default VPC's subnets, with subnets added until they hold `addresses` more addresses. */
  static async withRoomFor(ec2: EC2Client, addresses: number): Promise<SubnetAllocator> {
    const described = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
    const subnets: SubnetRoom[] = described.map((subnet) => ({
      subnetId: subnet.SubnetId ?? '',
      zone: subnet.AvailabilityZone ?? '',
      available: subnet.AvailableIpAddressCount ?? 0,
    }));
    const vpcId = described.find((subnet) => subnet.DefaultForAz)?.VpcId;
    const zones = [...new Set(subnets.map((subnet) => subnet.zone))].sort();
    const taken = new Set(described.map((subnet) => subnet.CidrBlock));
    const free = DEFAULT_VPC_FREE_BLOCKS.filter((block) => !taken.has(block));
    const room = () => subnets.reduce((sum, subnet) => sum + subnet.available, 0);
    for (let index = 0; room() < addresses; index++) {
      const block = free[index];
      if (block === undefined || vpcId === undefined) {
        throw new Error(`the default VPC holds ${room()} free addresses, ${addresses} are needed: a fleet this large needs a second VPC`);
      }
      const created = await ec2.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: block, AvailabilityZone: zones[index % zones.length] }),
      );
      const subnet = created.Subnet;
      if (!subnet?.SubnetId || !subnet.AvailabilityZone) throw new Error(`CreateSubnet ${block} answered no subnet`);
      subnets.push({ subnetId: subnet.SubnetId, zone: subnet.AvailabilityZone, available: subnet.AvailableIpAddressCount ?? 0 });
    }
    return new SubnetAllocator(subnets, subnets.length - described.length);
  }

  /** A subnet for `count` instances of one ENI each; the room is counted as taken. */
  take(count: number): string {
    const subnet = this.subnets.filter((candidate) => candidate.available >= count).sort((a, b) => b.available - a.available)[0];
    if (!subnet) throw new Error(`no subnet has room for ${count} more instances`);
    subnet.available -= count;
    return subnet.subnetId;
  }
}
