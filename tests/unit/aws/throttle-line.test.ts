/**
 * The line of throttled mutating EC2 calls (shared/aws/throttle-line.ts, mutating-calls-line.ts) on a fake clock
 * against a fake EC2 bucket: a call takes a token or is answered RequestLimitExceeded, in EC2's error shape. The
 * fake clock wakes sleepers in the order of their wake-up times and moves only then, so every order below is
 * decided by the line and its pauses, not by the machine's timing.
 */
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import type { RetryErrorInfo } from '@smithy/types';
import { Ec2RetryStrategy } from '../../../shared/aws/ec2-retry';
import { toDomainError } from '../../../shared/aws/error-mapping';
import { withDeadline } from '../../../shared/aws/invocation-deadline';
import { waitedOutInLine } from '../../../shared/aws/line-give-ups';
import { isMutatingAction, mutatingCallsRouter } from '../../../shared/aws/mutating-calls-line';
import { ThrottleLine } from '../../../shared/aws/throttle-line';
import { DeadlineReachedError } from '../../../shared/domain/errors';

function ec2Error(code: string, status: number): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: `${code} (fake)`,
  });
}

/** EC2's token bucket for one action, on the fake clock. */
class FakeBucket {
  private at = 0;

  constructor(
    private tokens: number,
    private readonly refillPerSecond: number,
    private readonly clock: FakeClock,
  ) {}

  take(): boolean {
    this.tokens += ((this.clock.now - this.at) / 1000) * this.refillPerSecond;
    this.at = this.clock.now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Time passes only when everything that can run has run: then the earliest sleeper wakes. `onSleep` lets a test act
 * when someone starts a pause (newcomers arriving meanwhile).
 */
class FakeClock {
  now = 0;
  sleeps = 0;
  /** Every pause asked for, in turn. */
  readonly pauses: number[] = [];
  onSleep: () => void = () => undefined;
  private sleepers: { at: number; wake: () => void }[] = [];

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((wake) => {
      this.sleepers.push({ at: this.now + ms, wake });
      this.sleeps += 1;
      this.pauses.push(ms);
      this.onSleep();
    });

  /** Runs time forward until every call in `pending` (which may grow meanwhile) has settled. */
  async runUntilSettled(pending: Promise<unknown>[]): Promise<void> {
    let settled = 0;
    const track = (promise: Promise<unknown>) =>
      promise.then(
        () => settled++,
        () => settled++,
      );
    let tracked = 0;
    for (;;) {
      while (tracked < pending.length) track(pending[tracked++] as Promise<unknown>);
      await new Promise((resolve) => setImmediate(resolve));
      if (tracked < pending.length) continue;
      if (settled === pending.length) return;
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers.shift();
      if (next === undefined) throw new Error('stuck: calls are pending, nobody sleeps');
      this.now = Math.max(this.now, next.at);
      next.wake();
    }
  }
}

/** `jitter`: the random draws of the pauses, in turn (default: always the whole pause). */
function lineOn(clock: FakeClock, options: { waitAtMostMs?: number; jitter?: number[] } = {}): ThrottleLine {
  const draws = options.jitter ?? [1];
  let drawn = 0;
  const random = () => draws[drawn++ % draws.length] ?? 1;
  return new ThrottleLine({ now: () => clock.now, sleep: clock.sleep, random, waitAtMostMs: options.waitAtMostMs ?? 45_000 });
}

/** What the fake EC2 saw of each caller: its tries and when it last tried, and every try's caller in turn. */
interface Seen {
  readonly served: string[];
  readonly tries: Map<string, number>;
  readonly lastTriedAt: Map<string, number>;
  readonly triedInTurn: string[];
}

/** Call `name` against the bucket: answered with its name, or throttled. */
function caller(bucket: FakeBucket, clock: FakeClock): { call: (name: string) => () => Promise<string>; seen: Seen } {
  const seen: Seen = { served: [], tries: new Map(), lastTriedAt: new Map(), triedInTurn: [] };
  const call = (name: string) => async (): Promise<string> => {
    await Promise.resolve();
    seen.tries.set(name, (seen.tries.get(name) ?? 0) + 1);
    seen.lastTriedAt.set(name, clock.now);
    seen.triedInTurn.push(name);
    if (!bucket.take()) throw ec2Error('RequestLimitExceeded', 503);
    seen.served.push(name);
    return name;
  };
  return { call, seen };
}

describe('the line of throttled mutating calls', () => {
  it('serves concurrent calls in the order they arrived, against a bucket that refills slowly', async () => {
    const clock = new FakeClock();
    const bucket = new FakeBucket(2, 1, clock);
    const { call, seen } = caller(bucket, clock);
    // Pauses drawn unevenly: calls retrying on their own would come back in another order.
    const line = lineOn(clock, { jitter: [0.9, 0.1, 0.6, 0, 0.3, 1, 0.2] });
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

    const pending = names.map((name) => line.send(call(name)));
    await clock.runUntilSettled(pending);
    const answers = await Promise.all(pending);

    expect(answers).toEqual(names);
    expect(seen.served).toEqual(names);
    expect(line.length).toBe(0);
  });

  it('never starves the oldest: newcomers that keep arriving wait behind it', async () => {
    const clock = new FakeClock();
    const bucket = new FakeBucket(0, 1, clock);
    const { call, seen } = caller(bucket, clock);
    const line = lineOn(clock);
    const arrived: string[] = [];
    const pending: Promise<string>[] = [];
    const arrive = (name: string) => {
      arrived.push(name);
      pending.push(line.send(call(name)));
    };
    // A newcomer arrives each time the head pauses, while a token is refilling: with each call polling on its
    // own, the newcomer would find the token first.
    clock.onSleep = () => {
      if (arrived.length < 6) arrive(`newcomer-${arrived.length}`);
    };

    arrive('oldest');
    await clock.runUntilSettled(pending);

    expect(arrived).toHaveLength(6);
    expect(seen.served).toEqual(arrived);
    // Waiting behind the head, a newcomer does not poll EC2: it tries when its turn comes, and again while it heads.
    // So EC2 sees each caller's tries in one run, in the order they arrived.
    const inArrivalOrder = [...seen.triedInTurn].sort((a, b) => arrived.indexOf(a) - arrived.indexOf(b));
    expect(seen.triedInTurn).toEqual(inArrivalOrder);
    expect(seen.triedInTurn.length).toBeGreaterThan(arrived.length);
  });

  it('lets the next call go at once when the head gets through, without a pause of its own', async () => {
    const clock = new FakeClock();
    // Empty now; the head's first pause (250 ms) lets three tokens in.
    const bucket = new FakeBucket(0, 12, clock);
    const { call, seen } = caller(bucket, clock);
    const line = lineOn(clock);

    const pending = ['a', 'b', 'c'].map((name) => line.send(call(name)));
    await clock.runUntilSettled(pending);

    expect(seen.served).toEqual(['a', 'b', 'c']);
    expect(clock.sleeps).toBe(1);
  });

  it('asks sooner once a try after a pause gets through: the bucket refilled within the pause', async () => {
    const clock = new FakeClock();
    // One token a second, none now: a line that kept doubling its pauses would leave tokens unspent.
    const bucket = new FakeBucket(0, 1, clock);
    const { call, seen } = caller(bucket, clock);
    const line = lineOn(clock);
    const names = ['a', 'b', 'c', 'd'];

    const pending = names.map((name) => line.send(call(name)));
    await clock.runUntilSettled(pending);

    // a: 250, 500, 1000 ms, through at 1.75 s; two steps off, so b pauses 500 ms after its try at once, and so on.
    // Pauses that only grew (1 s, then 2 s each) would serve b and c at 3.75 s and d at 5.75 s.
    expect(clock.pauses).toEqual([250, 500, 1000, 500, 250, 500, 250, 500, 1000]);
    // A call's last try is the one that got through.
    expect(names.map((name) => seen.lastTriedAt.get(name))).toEqual([1750, 2250, 3000, 4750]);
    expect(seen.served).toEqual(names);
  });

  it('fails a call that waited in line past the bound with RequestLimitExceeded, which is not retried again', async () => {
    const clock = new FakeClock();
    const bucket = new FakeBucket(0, 0, clock);
    const { call, seen } = caller(bucket, clock);
    const line = lineOn(clock, { waitAtMostMs: 10_000 });
    const pending: Promise<unknown>[] = [];
    let secondJoinedAt = 0;
    // The second call joins once 8 s have passed, behind the first.
    clock.onSleep = () => {
      if (clock.now < 8_000 || pending.length > 1) return;
      secondJoinedAt = clock.now;
      pending.push(line.send(call('second')).catch((error: unknown) => error));
    };

    pending.push(line.send(call('first')).catch((error: unknown) => error));
    await clock.runUntilSettled(pending);
    const [firstError, secondError] = await Promise.all(pending);

    expect(firstError).toMatchObject({ name: 'RequestLimitExceeded' });
    expect(secondError).toMatchObject({ name: 'RequestLimitExceeded' });
    expect(seen.served).toEqual([]);
    // The head fails first; the bound of the one behind it counts from when it joined, not from the head's.
    const firstFailedAt = seen.lastTriedAt.get('first') ?? 0;
    const secondFailedAt = seen.lastTriedAt.get('second') ?? 0;
    expect(firstFailedAt).toBeGreaterThanOrEqual(10_000);
    expect(secondFailedAt).toBeGreaterThan(firstFailedAt);
    expect(secondFailedAt).toBeGreaterThanOrEqual(secondJoinedAt + 10_000);
    // The SDK's retry loop gets the error once the line gave up: the strategy throws it instead of retrying it.
    expect(waitedOutInLine(firstError)).toBe(true);
    const strategy = new Ec2RetryStrategy({ maxAttempts: 3 });
    const token = await strategy.acquireInitialRetryToken('');
    await expect(
      strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING', error: secondError as RetryErrorInfo['error'] }),
    ).rejects.toThrow();
    expect(line.length).toBe(0);
  });

  it("gives up at the invocation's deadline, before its own bound, and says so to the error mapping", async () => {
    const clock = new FakeClock();
    const bucket = new FakeBucket(0, 0, clock);
    const { call, seen } = caller(bucket, clock);
    const line = lineOn(clock, { waitAtMostMs: 45_000 });

    const pending = [withDeadline(5_000, () => line.send(call('late')).catch((error: unknown) => error))];
    await clock.runUntilSettled(pending);
    const [error] = await Promise.all(pending);

    expect(error).toMatchObject({ name: 'RequestLimitExceeded' });
    const gaveUpAt = seen.lastTriedAt.get('late') ?? 0;
    expect(gaveUpAt).toBeGreaterThanOrEqual(5_000);
    expect(gaveUpAt).toBeLessThan(10_000);
    expect(waitedOutInLine(error)).toBe(true);
    expect(toDomainError(error, 'DeleteTrafficMirrorSession tms-1')).toBeInstanceOf(DeadlineReachedError);
    expect(line.length).toBe(0);
  });

  it('hands the line on when the head meets another error', async () => {
    const clock = new FakeClock();
    const bucket = new FakeBucket(0, 1, clock);
    const { call } = caller(bucket, clock);
    const line = lineOn(clock);
    let headTries = 0;
    const brokenHead = async (): Promise<string> => {
      headTries += 1;
      if (headTries === 1) throw ec2Error('RequestLimitExceeded', 503);
      throw ec2Error('InternalError', 500);
    };

    const head = line.send(brokenHead).catch((error: unknown) => error);
    const behind = line.send(call('behind'));
    await clock.runUntilSettled([head, behind]);

    await expect(head).resolves.toMatchObject({ name: 'InternalError' });
    await expect(behind).resolves.toBe('behind');
    expect(line.length).toBe(0);
  });
});

describe('which calls wait in line', () => {
  it.each(['CreateTrafficMirrorSession', 'DeleteTrafficMirrorSession', 'ModifyTrafficMirrorSession', 'CreateTags', 'RunInstances'])(
    'lines up %s, a mutating action',
    (action) => {
      expect(isMutatingAction(action)).toBe(true);
    },
  );

  it.each([
    'DescribeTrafficMirrorSessions',
    'DescribeInstances',
    'GetConsoleOutput',
    'ListImagesInRecycleBin',
    'SearchTransitGatewayRoutes',
  ])('leaves %s alone, a non-mutating action', (action) => {
    expect(isMutatingAction(action)).toBe(false);
  });

  it('lets a non-mutating call through while mutating calls of the same client wait in line', async () => {
    let releaseHead: () => void = () => undefined;
    const headPaused = new Promise<void>((resolve) => {
      releaseHead = resolve;
    });
    // The head's pause lasts until the test releases it: meanwhile the line is held.
    const route = mutatingCallsRouter({ sleep: () => headPaused });
    let tokens = 0;
    let behindTries = 0;
    const create = async () => {
      if (tokens < 1) throw ec2Error('RequestLimitExceeded', 503);
      tokens -= 1;
      return 'created';
    };

    const head = route('CreateTrafficMirrorSessionCommand', create);
    await Promise.resolve();
    const behind = route('CreateTrafficMirrorSessionCommand', () => {
      behindTries += 1;
      return create();
    });
    const described = await route('DescribeTrafficMirrorSessionsCommand', async () => 'described');

    expect(described).toBe('described');
    expect(behindTries).toBe(0);
    tokens = 2;
    releaseHead();
    await expect(Promise.all([head, behind])).resolves.toEqual(['created', 'created']);
    expect(behindTries).toBe(1);
  });
});
