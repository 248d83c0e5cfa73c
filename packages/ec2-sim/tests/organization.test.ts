/**
 * Several accounts and Regions in one simulator, through the real SDK: state kept apart per account (access key)
 * and Region (SigV4 scope), STS AssumeRole into a member account, and a target shared through AWS RAM.
 */
import {
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorSessionCommand,
  CreateTrafficMirrorTargetCommand,
  DeleteTrafficMirrorTargetCommand,
  DescribeInstancesCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeTrafficMirrorTargetsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import STS from 'aws-sdk/clients/sts';
import { type Simulator, startSimulator } from '../src';
import { errorCodeOf } from './sim-harness';

const SECURITY = '111122223333';
const MEMBER = '444455556666';
const OTHER_MEMBER = '777788889999';
const SPOKE_ROLE = `arn:aws:iam::${MEMBER}:role/vpc-mirror-spoke`;

describe('ec2-sim organization: accounts, Regions, STS and RAM-shared targets', () => {
  let sim: Simulator;
  const clients: Array<{ destroy(): void }> = [];

  beforeEach(async () => {
    sim = await startSimulator({
      seed: 11,
      transitionDelayMs: 0,
      accountId: SECURITY,
      accessKeys: { AKIDMEMBER: MEMBER, AKIDOTHER: OTHER_MEMBER },
      roles: [SPOKE_ROLE],
      validateResponses: true,
    });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    const violations = sim.responseViolations();
    await sim.stop();
    expect(violations).toEqual([]);
  });

  function ec2(accessKeyId: string, region = 'eu-west-1', secrets: { secretAccessKey?: string; sessionToken?: string } = {}): EC2Client {
    const client = new EC2Client({
      endpoint: sim.url,
      region,
      credentials: {
        accessKeyId,
        secretAccessKey: secrets.secretAccessKey ?? 'secret',
        ...(secrets.sessionToken ? { sessionToken: secrets.sessionToken } : {}),
      },
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  }

  function sts(accessKeyId: string): STSClient {
    const client = new STSClient({
      endpoint: sim.url,
      region: 'eu-west-1',
      credentials: { accessKeyId, secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  }

  async function launch(client: EC2Client): Promise<{ instanceId: string; eniId: string }> {
    const result = await client.send(
      new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1, InstanceType: 'm5.large' }),
    );
    await sim.settle();
    const instance = result.Instances?.[0];
    return { instanceId: instance?.InstanceId as string, eniId: instance?.NetworkInterfaces?.[0]?.NetworkInterfaceId as string };
  }

  async function instanceIds(client: EC2Client): Promise<string[]> {
    const result = await client.send(new DescribeInstancesCommand({}));
    return (result.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId as string));
  }

  async function sharedNlbTarget(): Promise<string> {
    const arn = `arn:aws:elasticloadbalancing:eu-west-1:${SECURITY}:loadbalancer/net/ids/0123456789abcdef`;
    const made = await ec2('AKIDSECURITY').send(new CreateTrafficMirrorTargetCommand({ NetworkLoadBalancerArn: arn }));
    const targetId = made.TrafficMirrorTarget?.TrafficMirrorTargetId as string;
    sim.shareTarget(targetId, { withAccountId: MEMBER });
    return targetId;
  }

  async function mirrorSession(client: EC2Client, eniId: string, targetId: string): Promise<string> {
    const filter = await client.send(new CreateTrafficMirrorFilterCommand({}));
    const made = await client.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: eniId,
        TrafficMirrorTargetId: targetId,
        TrafficMirrorFilterId: filter.TrafficMirrorFilter?.TrafficMirrorFilterId as string,
        SessionNumber: 1,
      }),
    );
    return made.TrafficMirrorSession?.TrafficMirrorSessionId as string;
  }

  describe('separate state', () => {
    it('keeps each account to its own instances, told apart by the access key', async () => {
      const memberInstance = await launch(ec2('AKIDMEMBER'));
      const securityInstance = await launch(ec2('AKIDSECURITY'));

      expect(await instanceIds(ec2('AKIDMEMBER'))).toEqual([memberInstance.instanceId]);
      expect(await instanceIds(ec2('some-unknown-key'))).toEqual([securityInstance.instanceId]);
      expect(sim.snapshot({ accountId: MEMBER }).instances.map((i) => i.instanceId)).toEqual([memberInstance.instanceId]);
    });

    it('keeps each Region apart, told apart by the SigV4 credential scope', async () => {
      const dublin = await launch(ec2('AKIDMEMBER', 'eu-west-1'));
      const frankfurt = await launch(ec2('AKIDMEMBER', 'eu-central-1'));

      expect(await instanceIds(ec2('AKIDMEMBER', 'eu-west-1'))).toEqual([dublin.instanceId]);
      expect(await instanceIds(ec2('AKIDMEMBER', 'eu-central-1'))).toEqual([frankfurt.instanceId]);
      expect(sim.snapshot({ accountId: MEMBER, region: 'eu-central-1' }).instances[0]?.availabilityZone).toMatch(/^eu-central-1[abc]$/);
    });
  });

  describe('STS', () => {
    it('AssumeRole returns credentials that act in the role account', async () => {
      const memberInstance = await launch(ec2('AKIDMEMBER'));

      const assumed = await sts('AKIDSECURITY').send(new AssumeRoleCommand({ RoleArn: SPOKE_ROLE, RoleSessionName: 'hub-converge' }));

      const credentials = assumed.Credentials;
      expect(credentials?.AccessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
      expect(credentials?.Expiration?.getTime()).toBeGreaterThan(Date.now());
      expect(assumed.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/vpc-mirror-spoke/hub-converge`);
      const asSpoke = ec2(credentials?.AccessKeyId as string, 'eu-west-1', {
        secretAccessKey: credentials?.SecretAccessKey as string,
        sessionToken: credentials?.SessionToken as string,
      });
      expect(await instanceIds(asSpoke)).toEqual([memberInstance.instanceId]);
      const identity = await sts(credentials?.AccessKeyId as string).send(new GetCallerIdentityCommand({}));
      expect(identity.Account).toBe(MEMBER);
    });

    it("answers aws-sdk v2's STS client, which reads the XML by AWS's STS model", async () => {
      const v2 = new STS({
        endpoint: sim.url,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDSECURITY', secretAccessKey: 'secret' },
        maxRetries: 0,
      });

      const assumed = await v2.assumeRole({ RoleArn: SPOKE_ROLE, RoleSessionName: 'hub-converge', DurationSeconds: 900 }).promise();
      const refused = await v2
        .assumeRole({ RoleArn: `arn:aws:iam::${OTHER_MEMBER}:role/absent`, RoleSessionName: 'hub-converge' })
        .promise()
        .catch((error: { code: string; statusCode: number }) => error);

      expect(assumed.Credentials).toEqual({
        AccessKeyId: expect.stringMatching(/^ASIA/),
        SecretAccessKey: expect.any(String),
        SessionToken: expect.any(String),
        Expiration: expect.any(Date),
      });
      expect(assumed.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[0-9A-F]{16}:hub-converge$/);
      expect(refused).toMatchObject({ code: 'AccessDenied', statusCode: 403 });
    });

    it('refuses a role that does not exist in that account with AccessDenied (a missing spoke role)', async () => {
      const missing = `arn:aws:iam::${OTHER_MEMBER}:role/vpc-mirror-spoke`;

      const code = await errorCodeOf(
        sts('AKIDSECURITY').send(new AssumeRoleCommand({ RoleArn: missing, RoleSessionName: 'hub-converge' })),
      );

      expect(code).toBe('AccessDenied');
    });

    describe("a role's trust policy", () => {
      const HUB_ROLE = `arn:aws:iam::${SECURITY}:role/vpc-mirror-hub-converge`;
      const TRUSTING_ROLE = `arn:aws:iam::${OTHER_MEMBER}:role/vpc-mirror-spoke`;

      it('admits a caller acting as the trusted role, and names its session in the credentials', async () => {
        await sim.stop();
        sim = await startSimulator({
          accountId: SECURITY,
          accessKeys: { AKIDHUB: { accountId: SECURITY, principalArn: HUB_ROLE } },
          roles: [{ arn: TRUSTING_ROLE, trustedPrincipals: [HUB_ROLE] }],
          validateResponses: true,
        });

        const assumed = await sts('AKIDHUB').send(new AssumeRoleCommand({ RoleArn: TRUSTING_ROLE, RoleSessionName: 'hub' }));
        const hubIdentity = await sts('AKIDHUB').send(new GetCallerIdentityCommand({}));

        expect(assumed.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${OTHER_MEMBER}:assumed-role/vpc-mirror-spoke/hub`);
        expect(hubIdentity.Arn).toBe(HUB_ROLE);
      });

      it('admits the sessions of a trusted role (the hub function runs as one)', async () => {
        const hubFunctionRole = `arn:aws:iam::${SECURITY}:role/hub-function`;
        sim.addRole(hubFunctionRole);
        sim.addRole(TRUSTING_ROLE, { trustedPrincipals: [hubFunctionRole] });
        const asFunction = await sts('AKIDSECURITY').send(new AssumeRoleCommand({ RoleArn: hubFunctionRole, RoleSessionName: 'lambda' }));

        const assumed = await sts(asFunction.Credentials?.AccessKeyId as string).send(
          new AssumeRoleCommand({ RoleArn: TRUSTING_ROLE, RoleSessionName: 'hub' }),
        );

        expect(assumed.Credentials?.AccessKeyId).toMatch(/^ASIA/);
      });

      it('refuses any other caller with AccessDenied naming the caller', async () => {
        sim.addRole(TRUSTING_ROLE, { trustedPrincipals: [HUB_ROLE] });

        const refused = sts('AKIDMEMBER').send(new AssumeRoleCommand({ RoleArn: TRUSTING_ROLE, RoleSessionName: 'intruder' }));

        await expect(refused).rejects.toMatchObject({
          name: 'AccessDenied',
          message: expect.stringContaining(`arn:aws:iam::${MEMBER}:user/simulated is not authorized to perform: sts:AssumeRole`),
        });
      });

      it("admits every principal of an account its trust names by the account's root", async () => {
        sim.addRole(TRUSTING_ROLE, { trustedPrincipals: [`arn:aws:iam::${MEMBER}:root`] });

        const member = await sts('AKIDMEMBER').send(new AssumeRoleCommand({ RoleArn: TRUSTING_ROLE, RoleSessionName: 'member' }));
        const security = errorCodeOf(
          sts('AKIDSECURITY').send(new AssumeRoleCommand({ RoleArn: TRUSTING_ROLE, RoleSessionName: 'security' })),
        );

        expect(member.Credentials?.AccessKeyId).toMatch(/^ASIA/);
        expect(await security).toBe('AccessDenied');
      });

      it('refuses to make a role trusting something that is not a principal', () => {
        expect(() => sim.addRole(TRUSTING_ROLE, { trustedPrincipals: ['*'] })).toThrow(RangeError);
      });
    });

    it('refuses a role once it is removed', async () => {
      sim.removeRole(SPOKE_ROLE);

      const code = await errorCodeOf(
        sts('AKIDSECURITY').send(new AssumeRoleCommand({ RoleArn: SPOKE_ROLE, RoleSessionName: 'hub-converge' })),
      );

      expect(code).toBe('AccessDenied');
    });
  });

  describe('a target shared through AWS RAM', () => {
    it('is listed to the account it is shared with, with the owner account as OwnerId, and to no other', async () => {
      const targetId = await sharedNlbTarget();

      const member = await ec2('AKIDMEMBER').send(new DescribeTrafficMirrorTargetsCommand({}));
      const other = await ec2('AKIDOTHER').send(new DescribeTrafficMirrorTargetsCommand({}));
      const memberInAnotherRegion = await ec2('AKIDMEMBER', 'eu-central-1').send(new DescribeTrafficMirrorTargetsCommand({}));

      expect(member.TrafficMirrorTargets?.map((t) => [t.TrafficMirrorTargetId, t.OwnerId])).toEqual([[targetId, SECURITY]]);
      expect(other.TrafficMirrorTargets).toEqual([]);
      expect(memberInAnotherRegion.TrafficMirrorTargets).toEqual([]);
      expect(
        await errorCodeOf(ec2('AKIDOTHER').send(new DescribeTrafficMirrorTargetsCommand({ TrafficMirrorTargetIds: [targetId] }))),
      ).toBe('InvalidTrafficMirrorTargetId.NotFound');
    });

    it('takes the member sessions, which only the member and the target owner see', async () => {
      const targetId = await sharedNlbTarget();
      const { eniId } = await launch(ec2('AKIDMEMBER'));

      const sessionId = await mirrorSession(ec2('AKIDMEMBER'), eniId, targetId);

      const seenByOwner = await ec2('AKIDSECURITY').send(new DescribeTrafficMirrorSessionsCommand({}));
      const seenByMember = await ec2('AKIDMEMBER').send(new DescribeTrafficMirrorSessionsCommand({}));
      const seenByOther = await ec2('AKIDOTHER').send(new DescribeTrafficMirrorSessionsCommand({}));
      expect(seenByOwner.TrafficMirrorSessions?.map((s) => [s.TrafficMirrorSessionId, s.OwnerId])).toEqual([[sessionId, MEMBER]]);
      expect(seenByMember.TrafficMirrorSessions?.map((s) => s.TrafficMirrorSessionId)).toEqual([sessionId]);
      expect(seenByOther.TrafficMirrorSessions).toEqual([]);
      expect(await errorCodeOf(ec2('AKIDSECURITY').send(new DeleteTrafficMirrorTargetCommand({ TrafficMirrorTargetId: targetId })))).toBe(
        'TrafficMirrorTargetInUseException',
      );
    });

    it('is refused to an account it is not shared with', async () => {
      const targetId = await sharedNlbTarget();
      const { eniId } = await launch(ec2('AKIDOTHER'));

      const code = await errorCodeOf(mirrorSession(ec2('AKIDOTHER'), eniId, targetId));

      expect(code).toBe('InvalidTrafficMirrorTargetId.NotFound');
    });

    it("counts the member's sources towards the target's source limit", async () => {
      sim.setLimits({ sourcesPerInterfaceTarget: 2 });
      const security = ec2('AKIDSECURITY');
      const member = ec2('AKIDMEMBER');
      const targetEni = (await launch(security)).eniId;
      const made = await security.send(new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: targetEni }));
      const targetId = made.TrafficMirrorTarget?.TrafficMirrorTargetId as string;
      sim.shareTarget(targetId, { withAccountId: MEMBER });
      await mirrorSession(security, (await launch(security)).eniId, targetId);
      await mirrorSession(member, (await launch(member)).eniId, targetId);

      const code = await errorCodeOf(mirrorSession(security, (await launch(security)).eniId, targetId));

      expect(code).toBe('TrafficMirrorSourcesPerTargetLimitExceeded');
    });
  });
});
