/**
 * The sweep's pacing: a token bucket on a fake clock. However takes are spread, no window of time lets through
 * more than the burst plus what the refill rate earned in it, and nobody waits when a token is there.
 */
import fc from 'fast-check';
import { TokenBucket } from '../../shared/util/token-bucket';

function fakeBucket(capacity: number, refillPerSecond: number) {
  let now = 0;
  const grants: number[] = [];
  const bucket = new TokenBucket({
    capacity,
    refillPerSecond,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  return {
    bucket,
    grants,
    advance(ms: number) {
      now += ms;
    },
    async take() {
      await bucket.take();
      grants.push(now);
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst of `capacity` through at once and then paces at the refill rate', async () => {
    const { take, grants, bucket } = fakeBucket(3, 2);

    for (let i = 0; i < 7; i += 1) await take();

    expect(grants.slice(0, 3)).toEqual([0, 0, 0]);
    for (const [index, at] of grants.slice(3).entries()) expect(at).toBeCloseTo((index + 1) * 500, 6);
    expect(bucket.stats()).toEqual({ taken: 7, waitedMs: 2000 });
  });

  it('never grants more than capacity + rate x window in any window of time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 40 }),
        async (capacity, rate, gaps) => {
          const fake = fakeBucket(capacity, rate);
          for (const gap of gaps) {
            fake.advance(gap);
            await fake.take();
          }
          const { grants } = fake;
          for (let i = 0; i < grants.length; i += 1) {
            for (let j = i; j < grants.length; j += 1) {
              const window = (grants[j] as number) - (grants[i] as number);
              expect(j - i + 1).toBeLessThanOrEqual(capacity + (rate * window) / 1000 + 1e-6);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('serves concurrent takers in order', async () => {
    const { bucket } = fakeBucket(1, 10);
    const order: number[] = [];

    await Promise.all([0, 1, 2, 3].map((index) => bucket.take().then(() => order.push(index))));

    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('refuses a capacity below 1 or a rate that is not positive', () => {
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: 0 })).toThrow(RangeError);
  });
});
