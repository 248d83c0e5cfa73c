/**
 * The hub's EC2 clients per (account, Region), through the real SDK against the simulator's STS and EC2: a member
 * account is reached through its spoke role, whose credentials are cached and renewed before they expire; the hub's
 * own account signs as itself; a missing spoke role is a SpokeAccessDeniedError naming the account and Region.
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type Simulator, startSimulator } from '@vpc-mirror-orchestrator/ec2-sim';
import { createSpokeClients, isSpokeAccessDenied, type SpokeClients } from '../../shared/aws/spoke-clients';
import { SpokeAccessDeniedError } from '../../shared/domain/errors';
import { Ec2Seeder } from '../support/test-cloud';

const HUB = '111122223333';
const MEMBER = '444455556666';
const NO_SPOKE = '777788889999';
const ROLE_NAME = 'vpc-mirror-orchestrator-spoke';
const HOUR_MS = 3_600_000;

let sim: Simulator;
let sts: STSClient;
let clients: SpokeClients;
let assumeRoleCalls: number;

beforeEach(async () => {
  sim = await startSimulator({
    transitionDelayMs: 0,
    accountId: HUB,
    accessKeys: { AKIDMEMBER: MEMBER },
    roles: [`arn:aws:iam::${MEMBER}:role/${ROLE_NAME}`],
  });
  process.env.AWS_ENDPOINT_URL_EC2 = sim.url;
  process.env.AWS_ACCESS_KEY_ID = 'hub';
  process.env.AWS_SECRET_ACCESS_KEY = 'hub';
  sts = new STSClient({ endpoint: sim.url, region: 'eu-west-1', credentials: { accessKeyId: 'hub', secretAccessKey: 'hub' } });
  assumeRoleCalls = 0;
  sts.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === AssumeRoleCommand.name) assumeRoleCalls += 1;
      return next(args);
    },
    { step: 'initialize' },
  );
  clients = createSpokeClients({ sts, homeAccountId: HUB, spokeRoleName: () => ROLE_NAME });
});

afterEach(async () => {
  jest.useRealTimers();
  clients.destroy();
  sts.destroy();
  await sim.stop();
});

async function instanceIdsSeenBy(scope: { accountId: string; region: string }): Promise<string[]> {
  const answer = await clients.ec2For(scope).send(new DescribeInstancesCommand({}));
  return (answer.Reservations ?? []).flatMap((reservation) =>
    (reservation.Instances ?? []).map((instance) => instance.InstanceId as string),
  );
}

describe('spoke clients', () => {
  it("reach a member account's own instances, in the scope's Region, through its spoke role", async () => {
    const memberClient = clients.ec2For({ accountId: MEMBER, region: 'us-east-1' });
    const launched = await new Ec2Seeder({ ec2: memberClient, sim, region: 'us-east-1' }).launch();

    expect(await instanceIdsSeenBy({ accountId: MEMBER, region: 'us-east-1' })).toEqual([launched.instanceId]);
    expect(await instanceIdsSeenBy({ accountId: MEMBER, region: 'eu-west-1' })).toEqual([]);
    expect(await instanceIdsSeenBy({ accountId: HUB, region: 'us-east-1' })).toEqual([]);
    expect(sim.snapshot({ accountId: MEMBER, region: 'us-east-1' }).instances.map((instance) => instance.instanceId)).toEqual([
      launched.instanceId,
    ]);
  });

  it("sign as the hub itself in the hub's own account, without assuming any role", async () => {
    await instanceIdsSeenBy({ accountId: HUB, region: 'eu-west-1' });
    await instanceIdsSeenBy({ accountId: HUB, region: 'us-east-1' });

    expect(assumeRoleCalls).toBe(0);
  });

  it('assume the spoke role once, and again only when its credentials are near their end', async () => {
    const member = { accountId: MEMBER, region: 'eu-west-1' };
    await instanceIdsSeenBy(member);
    await Promise.all([instanceIdsSeenBy(member), instanceIdsSeenBy(member)]);
    expect(assumeRoleCalls).toBe(1);

    // Only the date moves (the SDK's own credential cache reads it too): 4 minutes before the hour-long session ends.
    jest.useFakeTimers({
      doNotFake: [
        'setTimeout',
        'clearTimeout',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'nextTick',
        'queueMicrotask',
        'hrtime',
        'performance',
      ],
    });
    jest.setSystemTime(Date.now() + HOUR_MS - 4 * 60_000);
    await instanceIdsSeenBy(member);

    expect(assumeRoleCalls).toBe(2);
  });

  it('refuse a scope whose spoke role is missing, naming the account and Region', async () => {
    const call = instanceIdsSeenBy({ accountId: NO_SPOKE, region: 'eu-west-1' });

    await expect(call).rejects.toBeInstanceOf(SpokeAccessDeniedError);
    await expect(call).rejects.toMatchObject({
      accountId: NO_SPOKE,
      region: 'eu-west-1',
      message: expect.stringContaining(`arn:aws:iam::${NO_SPOKE}:role/${ROLE_NAME} in eu-west-1`),
    });
    expect(await call.catch(isSpokeAccessDenied)).toBe(true);
  });
});
