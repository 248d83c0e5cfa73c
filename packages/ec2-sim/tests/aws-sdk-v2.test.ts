/**
 * Part of the simulator suite driven through aws-sdk v2's own EC2 client: its own Query serializer and XML
 * parser, built from AWS's service model, share nothing with SDK v3 or with the simulator.
 */
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';

import EC2 from 'aws-sdk/clients/ec2';
import { type Simulator, startSimulator } from '../src';

const IMAGE_ID = 'ami-0123456789abcdef0';
const NLB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/mirror/0123456789abcdef';

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return (error as { code: string }).code;
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe('the simulator through aws-sdk v2', () => {
  let sim: Simulator;
  let ec2: EC2;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 11, transitionDelayMs: 0, validateResponses: true });
    ec2 = new EC2({
      endpoint: sim.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxRetries: 0,
    });
  });
  afterAll(() => sim.stop());

  async function launch(count: number, tag?: string): Promise<EC2.Instance[]> {
    const reservation = await ec2
      .runInstances({
        ImageId: IMAGE_ID,
        MinCount: count,
        MaxCount: count,
        InstanceType: 'c5.large',
        ...(tag ? { TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: tag }] }] } : {}),
      })
      .promise();
    await sim.settle();
    return reservation.Instances ?? [];
  }

  it('launches instances it reads back running, with AWS-shaped ids, states and attachments', async () => {
    const [instance] = await launch(1);
    const described = await ec2.describeInstances({ InstanceIds: [instance?.InstanceId as string] }).promise();
    const running = described.Reservations?.[0]?.Instances?.[0];

    expect(instance?.State).toEqual({ Code: 0, Name: 'pending' });
    expect(running?.State).toEqual({ Code: 16, Name: 'running' });
    expect(running?.LaunchTime).toBeInstanceOf(Date);
    expect(running?.PrivateDnsName).toMatch(/\.eu-west-1\.compute\.internal$/);
    expect(running?.NetworkInterfaces?.[0]?.Attachment).toMatchObject({ Status: 'attached', DeviceIndex: 0, DeleteOnTermination: true });
  });

  it('creates, modifies and deletes a session to an NLB target, with the 8500-byte default', async () => {
    const [instance] = await launch(1);
    const eniId = instance?.NetworkInterfaces?.[0]?.NetworkInterfaceId as string;
    const target = await ec2.createTrafficMirrorTarget({ NetworkLoadBalancerArn: NLB_ARN }).promise();
    const filter = await ec2.createTrafficMirrorFilter({ Description: 'all' }).promise();

    const created = await ec2
      .createTrafficMirrorSession({
        NetworkInterfaceId: eniId,
        TrafficMirrorTargetId: target.TrafficMirrorTarget?.TrafficMirrorTargetId as string,
        TrafficMirrorFilterId: filter.TrafficMirrorFilter?.TrafficMirrorFilterId as string,
        SessionNumber: 1,
        PacketLength: 100,
        ClientToken: 'v2-token',
      })
      .promise();
    const sessionId = created.TrafficMirrorSession?.TrafficMirrorSessionId as string;
    const modified = await ec2.modifyTrafficMirrorSession({ TrafficMirrorSessionId: sessionId, RemoveFields: ['packet-length'] }).promise();
    await ec2.deleteTrafficMirrorSession({ TrafficMirrorSessionId: sessionId }).promise();

    expect(sessionId).toMatch(/^tms-[0-9a-f]{17}$/);
    expect(created.TrafficMirrorSession).toMatchObject({ NetworkInterfaceId: eniId, SessionNumber: 1, PacketLength: 100 });
    expect(created.ClientToken).toBe('v2-token');
    expect(modified.TrafficMirrorSession?.PacketLength).toBe(8500);
    expect(await codeOf(ec2.describeTrafficMirrorSessions({ TrafficMirrorSessionIds: [sessionId] }).promise())).toBe(
      'InvalidTrafficMirrorSessionId.NotFound',
    );
  });

  it('pages a filtered DescribeInstances to the end through its own paginator, short pages included', async () => {
    const tagged = await launch(7, 'paging');
    await launch(12);

    const pages: EC2.DescribeInstancesResult[] = [];
    await new Promise<void>((resolve, reject) => {
      ec2.describeInstances({ Filters: [{ Name: 'tag:team', Values: ['paging'] }], MaxResults: 5 }).eachPage((error, page) => {
        if (error) reject(error);
        else if (page === null) resolve();
        else pages.push(page);
        return true;
      });
    });

    const found = pages.flatMap((page) => (page.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId)));
    expect(found.sort()).toEqual(tagged.map((i) => i.InstanceId).sort());
    expect(pages.some((page) => page.NextToken !== undefined && (page.Reservations ?? []).length === 0)).toBe(true);
  });

  it('pages DescribeInstanceTypes 100 at a time', async () => {
    const first = await ec2.describeInstanceTypes({}).promise();

    expect(first.InstanceTypes).toHaveLength(100);
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await ec2.describeInstanceTypes({ NextToken: first.NextToken }).promise();
    expect(second.InstanceTypes?.[0]?.InstanceType).not.toBe(first.InstanceTypes?.[0]?.InstanceType);
  });

  it("parses the simulator's errors into AWS's codes", async () => {
    expect(await codeOf(ec2.runInstances({ ImageId: undefined as unknown as string, MinCount: 1, MaxCount: 1 }).promise())).toBe(
      'MissingParameter',
    );
    expect(await codeOf(ec2.detachNetworkInterface({ AttachmentId: 'attach-1' }).promise())).toBe(
      'InvalidNetworkInterfaceAttachmentId.Malformed',
    );
    expect(await codeOf(ec2.createTrafficMirrorTarget({ NetworkLoadBalancerArn: 'arn:aws:nope' }).promise())).toBe(
      'InvalidNetworkLoadBalancerArn.Malformed',
    );
    expect(await codeOf(ec2.deleteTrafficMirrorTarget({ TrafficMirrorTargetId: 'tmt-0123456789abcdef0' }).promise())).toBe(
      'InvalidTrafficMirrorTargetId.NotFound',
    );
  });

  it('sent nothing the EC2 model does not allow', () => {
    expect(sim.responseViolations()).toEqual([]);
  });
});
