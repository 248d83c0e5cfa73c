/**
 * The EC2 clients' retry strategy (shared/aws/ec2-retry.ts), through the real SDK against the simulator: a throttled
 * call is a queue, retried on short pauses past the attempts and the retry quota that bound every other error, until
 * it has been throttled for too long.
 */
import { CreateTrafficMirrorFilterCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Ec2Error, type Simulator, startSimulator } from '@vpc-mirror-orchestrator/ec2-sim';
import { Ec2RetryStrategy } from '../../shared/aws/ec2-retry';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({});
});

afterAll(async () => {
  await sim?.stop();
});

/** The next `count` CreateTrafficMirrorFilter calls fail with `code`; the answer counts the calls made. */
function failing(count: number, code: string, status: number) {
  let calls = 0;
  const unhook = sim.hook('CreateTrafficMirrorFilter', 'before', () => {
    calls += 1;
    if (calls <= count) throw new Ec2Error(code, `${code} (injected)`, status);
  });
  return { calls: () => calls, unhook };
}

function clientWith(strategy: Ec2RetryStrategy): EC2Client {
  return new EC2Client({
    endpoint: sim.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    retryStrategy: strategy,
  });
}

describe('the EC2 retry strategy', () => {
  it('keeps retrying a throttled call past the attempts and the retry quota, on short pauses, until it is answered', async () => {
    // 150 throttled answers: the SDK's quota (500, 5 a retry) would allow 100 retries, the attempts 3.
    const throttled = failing(150, 'RequestLimitExceeded', 503);
    const client = clientWith(new Ec2RetryStrategy({ maxAttempts: 3, firstPauseMs: 1, maxPauseMs: 2 }));
    try {
      const answer = await client.send(new CreateTrafficMirrorFilterCommand({}));

      expect(answer.TrafficMirrorFilter?.TrafficMirrorFilterId).toMatch(/^tmf-/);
      expect(throttled.calls()).toBe(151);
      expect(answer.$metadata.attempts).toBe(151);
    } finally {
      throttled.unhook();
      client.destroy();
    }
  });

  it('throws the throttling error once a call has been throttled for longer than it may wait', async () => {
    let now = 0;
    const throttled = failing(1_000, 'RequestLimitExceeded', 503);
    const strategy = new Ec2RetryStrategy({
      maxAttempts: 3,
      firstPauseMs: 1,
      maxPauseMs: 1,
      throttledForAtMostMs: 10_000,
      // Each retry is a second later on this clock.
      now: () => {
        now += 1_000;
        return now;
      },
    });
    const client = clientWith(strategy);
    try {
      await expect(client.send(new CreateTrafficMirrorFilterCommand({}))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
      expect(throttled.calls()).toBeLessThanOrEqual(12);
      expect(throttled.calls()).toBeGreaterThanOrEqual(5);
    } finally {
      throttled.unhook();
      client.destroy();
    }
  });

  it('gives any other retryable error the standard attempts, no more', async () => {
    const broken = failing(5, 'InternalError', 500);
    const client = clientWith(new Ec2RetryStrategy({ maxAttempts: 3 }));
    try {
      await expect(client.send(new CreateTrafficMirrorFilterCommand({}))).rejects.toMatchObject({ name: 'InternalError' });
      expect(broken.calls()).toBe(3);
    } finally {
      broken.unhook();
      client.destroy();
    }
  });
});
