/**
 * The sweep bench's 50,000-instance fleet does not fit the default VPC's three /20 subnets: the bench adds subnets
 * to the default VPC as an account would (CreateSubnet), and places each RunInstances call in one with room.
 */
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { type Simulator, startSimulator } from '@vpc-mirror-orchestrator/ec2-sim';
import { SubnetAllocator } from '../../../bench/fleet/subnets';

describe('bench fleet subnets', () => {
  let sim: Simulator;
  let ec2: EC2Client;
  beforeEach(async () => {
    sim = await startSimulator({ seed: 3, transitionDelayMs: 0 });
    ec2 = new EC2Client({ endpoint: sim.url, region: sim.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });
  afterEach(async () => {
    ec2.destroy();
    await sim.stop();
  });

  const totalAvailable = async (): Promise<number> =>
    ((await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? []).reduce(
      (sum, subnet) => sum + (subnet.AvailableIpAddressCount ?? 0),
      0,
    );

  it('adds nothing when the default subnets hold the fleet', async () => {
    await SubnetAllocator.withRoomFor(ec2, 10_000);

    expect(await totalAvailable()).toBe(3 * 4091);
  });

  it('adds subnets to the default VPC until 50,000 instances fit, and hands out only subnets with room', async () => {
    const subnets = await SubnetAllocator.withRoomFor(ec2, 50_000);

    expect(await totalAvailable()).toBeGreaterThanOrEqual(50_000);
    const taken = Array.from({ length: 50 }, () => subnets.take(1000));
    expect(new Set(taken).size).toBeGreaterThan(3);
  });

  it('says so when the default VPC cannot hold the fleet', async () => {
    await expect(SubnetAllocator.withRoomFor(ec2, 70_000)).rejects.toThrow(/needs a second VPC/);
  });
});
