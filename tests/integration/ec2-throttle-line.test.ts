/**
 * The line of throttled mutating calls (shared/aws/throttle-line.ts), in the EC2 client the product makes
 * (newEc2Client), through the real SDK over HTTP against the simulator: its throttling meters each action in a
 * bucket of 50 refilled at 5 a second (times the time scale), as AWS does; throttled calls are counted there.
 */
import {
  CreateTrafficMirrorSessionCommand,
  DescribeTrafficMirrorSessionsCommand,
  EC2Client,
  type EC2ClientConfig,
} from '@aws-sdk/client-ec2';
import { Ec2Error } from '@vpc-mirror-orchestrator/ec2-sim';
import { EC2_MAX_ATTEMPTS, newEc2Client, REQUEST_TIMEOUTS } from '../../shared/aws/clients';
import { Ec2RetryStrategy } from '../../shared/aws/ec2-retry';
import { signal } from '../support/signal';
import { Ec2Seeder, startTestCloud, type TestCloud } from '../support/test-cloud';

/** 50 go through on the bucket's first tokens; the other 30 wait for the refill. */
const CREATES_AT_ONCE = 80;
const LATE_CREATES = CREATES_AT_ONCE - 50;
/** 10 tokens a second: the 30 late creates take about 3 s. */
const TIME_SCALE = 2;

let cloud: TestCloud;
let eniIds: string[];
let targetId: string;
let filterId: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  const seed = new Ec2Seeder(cloud);
  const instances = await seed.launchMany(CREATES_AT_ONCE);
  eniIds = instances.map((instance) => instance.eniIds[0] as string);
  targetId = await seed.loadBalancerTarget();
  filterId = await seed.filter();
});

afterAll(async () => {
  await cloud?.stop();
});

function clientConfig(): EC2ClientConfig {
  return { endpoint: cloud.sim.url, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
}

/** What the product's clients were before the line: the same retry strategy, each throttled call on its own. */
function clientWithoutLine(): EC2Client {
  return new EC2Client({ ...clientConfig(), retryStrategy: new Ec2RetryStrategy({ maxAttempts: EC2_MAX_ATTEMPTS }) });
}

function createOn(eniId: string, sessionNumber: number) {
  return new CreateTrafficMirrorSessionCommand({
    NetworkInterfaceId: eniId,
    TrafficMirrorTargetId: targetId,
    TrafficMirrorFilterId: filterId,
    SessionNumber: sessionNumber,
  });
}

/** One session on every ENI, all asked at once from `client` against a full bucket; throttled calls as EC2 counted them. */
async function burstOfCreates(client: EC2Client, sessionNumber: number): Promise<{ made: number; throttled: number }> {
  cloud.sim.resetCalls();
  cloud.sim.setThrottling({ enabled: true, timeScale: TIME_SCALE });
  try {
    const answers = await Promise.all(eniIds.map((eniId) => client.send(createOn(eniId, sessionNumber))));
    const made = answers.filter((answer) => answer.TrafficMirrorSession?.TrafficMirrorSessionId !== undefined).length;
    return { made, throttled: cloud.sim.calls().CreateTrafficMirrorSession?.throttled ?? 0 };
  } finally {
    cloud.sim.setThrottling({ enabled: false });
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('the line of throttled mutating calls, in the product EC2 client', () => {
  it('makes every create of a burst, with fewer throttled calls than when each call retries on its own', async () => {
    const lined = newEc2Client(clientConfig());
    const alone = clientWithoutLine();
    try {
      const withLine = await burstOfCreates(lined, 1);
      const withoutLine = await burstOfCreates(alone, 2);

      expect(withLine.made).toBe(CREATES_AT_ONCE);
      expect(withoutLine.made).toBe(CREATES_AT_ONCE);
      // Both bursts met the empty bucket: every late create was throttled once. Then, with the line, only its
      // head polled (about 33 in all, measured; about 93 without the line).
      expect(withLine.throttled).toBeGreaterThanOrEqual(LATE_CREATES);
      expect(withLine.throttled).toBeLessThan(2 * LATE_CREATES);
      expect(withLine.throttled).toBeLessThan(withoutLine.throttled);
    } finally {
      lined.destroy();
      alone.destroy();
    }
  });

  it('retries only the head while creates wait in line, and lets reads of the same client through meanwhile', async () => {
    const client = newEc2Client(clientConfig());
    const tries = new Map<string, number>();
    let throttling = true;
    const unhook = cloud.sim.hook('CreateTrafficMirrorSession', 'before', (params) => {
      const eniId = params.NetworkInterfaceId ?? '';
      tries.set(eniId, (tries.get(eniId) ?? 0) + 1);
      if (throttling) throw new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
    });
    const waiting = eniIds.slice(0, 4);
    const totalTries = () => [...tries.values()].reduce((sum, count) => sum + count, 0);
    try {
      const creates = Promise.all(waiting.map((eniId) => client.send(createOn(eniId, 3))));
      // All four were throttled once, and the head has retried twice since.
      await until(() => totalTries() >= waiting.length + 2);

      const described = await client.send(new DescribeTrafficMirrorSessionsCommand({}));

      expect(described.TrafficMirrorSessions).toBeDefined();
      expect(waiting.filter((eniId) => (tries.get(eniId) ?? 0) > 1)).toHaveLength(1);
      throttling = false;
      const made = await creates;
      expect(made.map((answer) => answer.TrafficMirrorSession?.NetworkInterfaceId)).toEqual(waiting);
    } finally {
      throttling = false;
      unhook();
      client.destroy();
    }
  });

  it(
    'gives up a head whose answer never comes, hands the line on, and replays it under its ClientToken',
    async () => {
      const client = newEc2Client(clientConfig());
      const [hung, behind] = eniIds.slice(4, 6) as [string, string];
      const release = signal();
      const attempts = new Map<string, number>();
      const unhook = cloud.sim.hook('CreateTrafficMirrorSession', 'before', async (params) => {
        const eniId = params.NetworkInterfaceId ?? '';
        const attempt = (attempts.get(eniId) ?? 0) + 1;
        attempts.set(eniId, attempt);
        // Both are throttled once, so they line up; the head's retry then gets no answer until the test says so.
        if (attempt === 1) throw new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
        if (eniId === hung && attempt === 2) await release.fired;
      });
      try {
        const head = client.send(createOn(hung, 4));
        await until(() => attempts.get(hung) === 1);
        const next = client.send(createOn(behind, 4));

        // Without a bound on the request, the call behind would wait for an answer that never comes.
        const madeBehind = await next;
        release.fire();
        const madeHead = await head;

        expect(madeBehind.TrafficMirrorSession?.NetworkInterfaceId).toBe(behind);
        expect(madeHead.TrafficMirrorSession?.NetworkInterfaceId).toBe(hung);
        expect(attempts.get(hung)).toBe(3);
        const sessions = cloud.sim
          .snapshot()
          .sessions.filter((session) => session.networkInterfaceId === hung && session.sessionNumber === 4);
        expect(sessions).toHaveLength(1);
      } finally {
        release.fire();
        unhook();
        client.destroy();
      }
    },
    REQUEST_TIMEOUTS.requestTimeout * 3,
  );
});
