/**
 * EC2 meters each account in each Region on its own: throttling buckets and quotas are per account and Region on AWS
 * (docs/AWS-FACTS.md), and so are the simulator's, with faults and call counters that can be set or read for one
 * account and Region. Through the real SDK, told apart by access key and SigV4 Region as everywhere else.
 */
import { CreateTrafficMirrorFilterCommand, DescribeTrafficMirrorFiltersCommand, EC2Client } from '@aws-sdk/client-ec2';
import { type Simulator, startSimulator } from '../src';
import { errorCodeOf } from './sim-harness';

const SECURITY = '111122223333';
const MEMBER = '444455556666';
/** A refill so slow that no token comes back during a test: bucket sizes can be counted exactly. */
const FROZEN = { enabled: true, timeScale: 1e-9 };
/** The mutating bucket of docs/AWS-FACTS.md. */
const MUTATING_BUCKET = 50;

describe('ec2-sim controls per account and Region', () => {
  let sim: Simulator;
  const clients: EC2Client[] = [];

  beforeEach(async () => {
    sim = await startSimulator({ seed: 5, transitionDelayMs: 0, accountId: SECURITY, accessKeys: { AKIDMEMBER: MEMBER } });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await sim.stop();
  });

  function ec2(accessKeyId: string, region = 'eu-west-1'): EC2Client {
    const client = new EC2Client({ endpoint: sim.url, region, credentials: { accessKeyId, secretAccessKey: 'secret' }, maxAttempts: 1 });
    clients.push(client);
    return client;
  }

  const createFilter = (client: EC2Client) => client.send(new CreateTrafficMirrorFilterCommand({}));

  async function drainMutatingBucket(client: EC2Client): Promise<void> {
    for (let call = 0; call < MUTATING_BUCKET; call++) await createFilter(client);
  }

  describe('throttling', () => {
    it('leaves another account its whole budget when one account drains its own', async () => {
      sim.setThrottling(FROZEN);
      await drainMutatingBucket(ec2('AKIDSECURITY'));

      const securityAgain = errorCodeOf(createFilter(ec2('AKIDSECURITY')));
      await drainMutatingBucket(ec2('AKIDMEMBER'));

      expect(await securityAgain).toBe('RequestLimitExceeded');
      expect(sim.calls({ accountId: MEMBER }).CreateTrafficMirrorFilter).toEqual({ total: 50, ok: 50, throttled: 0, errors: {} });
    });

    it("leaves the same account's other Region its whole budget", async () => {
      sim.setThrottling(FROZEN);
      await drainMutatingBucket(ec2('AKIDMEMBER', 'eu-west-1'));

      await drainMutatingBucket(ec2('AKIDMEMBER', 'us-east-1'));

      expect(await errorCodeOf(createFilter(ec2('AKIDMEMBER', 'us-east-1')))).toBe('RequestLimitExceeded');
      expect(sim.calls({ accountId: MEMBER, region: 'us-east-1' }).CreateTrafficMirrorFilter?.throttled).toBe(1);
      expect(sim.calls({ accountId: MEMBER, region: 'eu-west-1' }).CreateTrafficMirrorFilter?.throttled).toBe(0);
    });
  });

  describe('quotas', () => {
    it("lowers one account's quota without touching another account's", async () => {
      sim.setLimits({ filtersPerAccount: 1 }, { accountId: MEMBER });
      await createFilter(ec2('AKIDMEMBER'));

      const memberSecond = errorCodeOf(createFilter(ec2('AKIDMEMBER')));
      await createFilter(ec2('AKIDSECURITY'));
      await createFilter(ec2('AKIDSECURITY'));

      expect(await memberSecond).toBe('TrafficMirrorFilterLimitExceeded');
      expect(sim.snapshot({ accountId: SECURITY }).filters).toHaveLength(2);
    });

    it('keeps a quota lowered for one Region out of the same account in another Region', async () => {
      sim.setLimits({ filtersPerAccount: 0 }, { accountId: MEMBER, region: 'us-east-1' });

      const refused = errorCodeOf(createFilter(ec2('AKIDMEMBER', 'us-east-1')));
      await createFilter(ec2('AKIDMEMBER', 'eu-west-1'));

      expect(await refused).toBe('TrafficMirrorFilterLimitExceeded');
      expect(sim.snapshot({ accountId: MEMBER }).filters).toHaveLength(1);
    });

    it("keeps an account's own quota when the quota is changed everywhere after it", async () => {
      sim.setLimits({ filtersPerAccount: 1 }, { accountId: MEMBER });
      sim.setLimits({ filtersPerAccount: 3 });

      await createFilter(ec2('AKIDMEMBER'));
      const memberSecond = errorCodeOf(createFilter(ec2('AKIDMEMBER')));
      for (let filter = 0; filter < 3; filter++) await createFilter(ec2('AKIDSECURITY'));
      const securityFourth = errorCodeOf(createFilter(ec2('AKIDSECURITY')));

      expect([await memberSecond, await securityFourth]).toEqual(['TrafficMirrorFilterLimitExceeded', 'TrafficMirrorFilterLimitExceeded']);
      expect(sim.snapshot({ accountId: MEMBER }).filters).toHaveLength(1);
      expect(sim.snapshot({ accountId: SECURITY }).filters).toHaveLength(3);
    });
  });

  describe('faults', () => {
    it('fails only the calls of the account and Region a fault is set for', async () => {
      sim.setFault('DescribeTrafficMirrorFilters', { errorRate: 1, errorCode: 'InternalError' }, { accountId: MEMBER });

      const member = errorCodeOf(ec2('AKIDMEMBER').send(new DescribeTrafficMirrorFiltersCommand({})));
      const security = await ec2('AKIDSECURITY').send(new DescribeTrafficMirrorFiltersCommand({}));
      const memberElsewhere = await ec2('AKIDMEMBER', 'us-east-1').send(new DescribeTrafficMirrorFiltersCommand({}));

      expect(await member).toBe('InternalError');
      expect(security.TrafficMirrorFilters).toEqual([]);
      expect(memberElsewhere.TrafficMirrorFilters).toEqual([]);
    });

    it("lets an account's own fault win over one set everywhere, and clears only that one", async () => {
      sim.setFault('*', { errorRate: 1, errorCode: 'RequestLimitExceeded' });
      sim.setFault('*', { errorRate: 0 }, { accountId: MEMBER });

      await createFilter(ec2('AKIDMEMBER'));
      const security = errorCodeOf(createFilter(ec2('AKIDSECURITY')));
      sim.setFault('*', undefined, { accountId: MEMBER });

      expect(await security).toBe('RequestLimitExceeded');
      expect(await errorCodeOf(createFilter(ec2('AKIDMEMBER')))).toBe('RequestLimitExceeded');
    });
  });
});
