import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  CreateTagsCommand,
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorSessionCommand,
  CreateTrafficMirrorTargetCommand,
  DeleteTagsCommand,
  DescribeSubnetsCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorTargetsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { errorCodeOf, type Harness, launch, mirrorFilter, nlbTarget, startHarness } from './sim-harness';

describe('CreateTags and DeleteTags', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ limits: { tagsPerResource: 3 } });
  });
  afterAll(() => h.close());

  it('tags instances, ENIs, targets and filters alike', async () => {
    const { instanceId, eniIds } = await launch(h, 'm5.large');
    const filterId = await mirrorFilter(h);
    const targetId = await nlbTarget(h);

    await h.ec2.send(
      new CreateTagsCommand({ Resources: [instanceId, eniIds[0] as string, filterId, targetId], Tags: [{ Key: 'env', Value: 'prod' }] }),
    );

    const snapshot = h.sim.snapshot();
    expect(snapshot.instances.find((i) => i.instanceId === instanceId)?.tags).toEqual({ env: 'prod' });
    expect(snapshot.networkInterfaces.find((e) => e.networkInterfaceId === eniIds[0])?.tags).toEqual({ env: 'prod' });
    const filters = await h.ec2.send(new DescribeTrafficMirrorFiltersCommand({ Filters: [{ Name: 'tag:env', Values: ['prod'] }] }));
    expect(filters.TrafficMirrorFilters?.map((f) => f.TrafficMirrorFilterId)).toEqual([filterId]);
    const targets = await h.ec2.send(new DescribeTrafficMirrorTargetsCommand({ Filters: [{ Name: 'tag-key', Values: ['env'] }] }));
    expect(targets.TrafficMirrorTargets?.map((t) => t.TrafficMirrorTargetId)).toEqual([targetId]);
  });

  it('deletes by key, by key and matching value, or all tags', async () => {
    const { instanceId } = await launch(h, 'm5.large');
    await h.ec2.send(
      new CreateTagsCommand({
        Resources: [instanceId],
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
          { Key: 'c', Value: '3' },
        ],
      }),
    );
    const tagsNow = () => h.sim.snapshot().instances.find((i) => i.instanceId === instanceId)?.tags;

    await h.ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'b', Value: 'not-2' }] }));
    expect(tagsNow()).toEqual({ a: '1', b: '2', c: '3' });
    await h.ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'b', Value: '2' }, { Key: 'a' }] }));
    expect(tagsNow()).toEqual({ c: '3' });
    await h.ec2.send(new DeleteTagsCommand({ Resources: [instanceId] }));
    expect(tagsNow()).toEqual({});
  });

  it('refuses reserved keys, too many tags, unknown resources and ids of no known kind', async () => {
    const { instanceId } = await launch(h, 'm5.large');
    const tag = (resource: string, tags: Array<{ Key: string; Value: string }>) =>
      h.ec2.send(new CreateTagsCommand({ Resources: [resource], Tags: tags }));

    expect(await errorCodeOf(tag(instanceId, [{ Key: 'aws:owner', Value: 'x' }]))).toBe('InvalidParameterValue');
    const four = ['a', 'b', 'c', 'd'].map((Key) => ({ Key, Value: 'v' }));
    expect(await errorCodeOf(tag(instanceId, four))).toBe('TagLimitExceeded');
    expect(await errorCodeOf(tag('i-0123456789abcdef0', [{ Key: 'a', Value: 'b' }]))).toBe('InvalidInstanceID.NotFound');
    expect(await errorCodeOf(tag('vol-0123456789abcdef0', [{ Key: 'a', Value: 'b' }]))).toBe('InvalidID');
    expect(await errorCodeOf(h.ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [] })))).toBe('MissingParameter');
  });
});

describe('the ec2-sim process (bin, and npm run sim)', () => {
  const children: ChildProcess[] = [];
  const clients: Array<{ destroy(): void }> = [];

  afterAll(async () => {
    for (const client of clients) client.destroy();
    for (const child of children) {
      if (child.pid === undefined || child.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  /** Starts the simulator process through its bin; answers an SDK client on the URL of its first line. */
  async function startProcess(args: string[], region = 'eu-west-1'): Promise<EC2Client> {
    const url = await startProcessAt(args);
    const client = new EC2Client({ endpoint: url, region, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    clients.push(client);
    return client;
  }

  /** Starts the simulator process through its bin; answers the URL its first line prints. */
  async function startProcessAt(args: string[]): Promise<string> {
    const child = spawn(process.execPath, ['bin/ec2-sim.cjs', '--port', '0', ...args], {
      cwd: `${__dirname}/..`,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
    });
    lines.close();
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(first)?.[1];
    if (url === undefined) throw new Error(`no URL in the first line: ${first}`);
    return url;
  }

  it('starts on a free port, prints one line with its URL and serves the SDK', async () => {
    const ec2 = await startProcess(['--seed', '3']);

    const subnets = await ec2.send(new DescribeSubnetsCommand({}));

    expect(subnets.Subnets).toHaveLength(3);
  });

  it('acts in the account --access-key names and grants the roles --role lists, through STS', async () => {
    const url = await startProcessAt([
      '--access-key',
      'AKIDMEMBER=444455556666',
      '--role',
      'arn:aws:iam::444455556666:role/vpc-mirror-spoke',
      '--validate-responses',
    ]);
    const sts = new STSClient({
      endpoint: url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDMEMBER', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    clients.push(sts);

    const identity = await sts.send(new GetCallerIdentityCommand({}));
    const assumed = await sts.send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::444455556666:role/vpc-mirror-spoke', RoleSessionName: 'hub' }),
    );
    const refused = sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::444455556666:role/other', RoleSessionName: 'hub' }));

    expect(identity.Account).toBe('444455556666');
    expect(assumed.AssumedRoleUser?.Arn).toBe('arn:aws:sts::444455556666:assumed-role/vpc-mirror-spoke/hub');
    expect(await errorCodeOf(refused)).toBe('AccessDenied');
  });

  it('lowers a quota with --limit and serves the Region --region names, checking its answers against the model', async () => {
    const ec2 = await startProcess(
      ['--region', 'us-east-1', '--limit', 'sessionsPerAccount=0', '--transition-delay', '0', '--validate-responses'],
      'us-east-1',
    );
    const launched = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1 }));
    const target = await ec2.send(
      new CreateTrafficMirrorTargetCommand({
        NetworkLoadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/mirror/0123456789abcdef',
      }),
    );
    const filter = await ec2.send(new CreateTrafficMirrorFilterCommand({}));

    const session = ec2.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: launched.Instances?.[0]?.NetworkInterfaces?.[0]?.NetworkInterfaceId,
        TrafficMirrorTargetId: target.TrafficMirrorTarget?.TrafficMirrorTargetId,
        TrafficMirrorFilterId: filter.TrafficMirrorFilter?.TrafficMirrorFilterId,
        SessionNumber: 1,
      }),
    );

    expect(launched.Instances?.[0]?.Placement?.AvailabilityZone).toBe('us-east-1a');
    expect(launched.Instances?.[0]?.PrivateDnsName).toMatch(/\.ec2\.internal$/);
    expect(await errorCodeOf(session)).toBe('TrafficMirrorSessionLimitExceeded');
  });
});
