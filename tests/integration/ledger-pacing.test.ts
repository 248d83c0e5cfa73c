/**
 * The hub's shared pacing bucket (shared/aws/ledger/pacing.ts) against dynalite, on a virtual clock: what a token
 * costs in DynamoDB requests, and that containers racing for one account's budget never take more than it allows.
 */
import { pacingKey } from '../../shared/aws/ledger/keys';
import { LedgerTokenBucket } from '../../shared/aws/ledger/pacing';
import { type DynamoReadCounter, startDynamoReadCounter } from '../support/dynamo-read-counter';
import { type LedgerTable, startLedgerTable } from '../support/ledger-table';

const START = Date.parse('2026-12-05T01:00:00Z');
/** mutatingShare 0.5 of EC2's mutating bucket (50, +5/s). */
const CAPACITY = 25;
const REFILL_PER_SECOND = 2.5;

let table: LedgerTable;
let counter: DynamoReadCounter;

beforeAll(async () => {
  table = await startLedgerTable();
  counter = startDynamoReadCounter(table);
});

afterAll(async () => {
  counter?.destroy();
  await table?.stop();
});

beforeEach(() => counter.reset());

/**
 * Virtual time shared by every container of a test, advanced like a discrete-event simulation: only when every take
 * in progress (started through `take`) is asleep, and then to the earliest deadline. Nobody wakes early or late, so
 * when a take returns is when its token was granted.
 */
function virtualTime() {
  let now = START;
  let running = 0;
  const sleepers: Array<{ until: number; wake: () => void }> = [];
  const advance = () => {
    if (running > 0) return;
    sleepers.sort((a, b) => a.until - b.until);
    const next = sleepers.shift();
    if (next === undefined) return;
    now = Math.max(now, next.until);
    running += 1;
    next.wake();
  };
  return {
    clock: { now: () => new Date(now) },
    now: () => now,
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        sleepers.push({ until: now + ms, wake });
        running -= 1;
        advance();
      }),
    /** One take, counted as running until it returns; resolves to when it returned. */
    take: async (bucket: LedgerTokenBucket): Promise<number> => {
      running += 1;
      try {
        await bucket.take();
        return now;
      } finally {
        running -= 1;
        advance();
      }
    },
    /** Any call on a bucket, counted as running until it returns (its sleeps are the clock's). */
    call: async <T>(work: () => Promise<T>): Promise<T> => {
      running += 1;
      try {
        return await work();
      } finally {
        running -= 1;
        advance();
      }
    },
  };
}

/** The windows in which more tokens were taken than capacity + elapsed x rate allows. */
function overspentWindows(takenAt: number[], capacity: number): string[] {
  const sorted = [...takenAt].sort((a, b) => a - b);
  const overspent: string[] = [];
  for (let from = 0; from < sorted.length; from += 1) {
    for (let to = from; to < sorted.length; to += 1) {
      const tokens = to - from + 1;
      const elapsed = (sorted[to] ?? 0) - (sorted[from] ?? 0);
      if (tokens > capacity + (elapsed / 1000) * REFILL_PER_SECOND + 1e-9) overspent.push(`${tokens} tokens in ${elapsed} ms`);
    }
  }
  return overspent;
}

const container = (account: string, time: ReturnType<typeof virtualTime>, capacity = CAPACITY) =>
  new LedgerTokenBucket({
    documents: counter.documents,
    tableName: table.tableName,
    key: pacingKey(account, 'us-east-1'),
    capacity,
    refillPerSecond: REFILL_PER_SECOND,
    clock: time.clock,
    sleep: time.sleep,
    random: () => 0.5,
  });

describe('the shared pacing bucket', () => {
  it('costs one UpdateItem per token while the bucket holds tokens, and no read', async () => {
    const time = virtualTime();
    const bucket = container('111111111111', time);

    for (let token = 0; token < CAPACITY; token += 1) await time.take(bucket);

    expect(counter.reads().requests).toEqual({ UpdateItem: CAPACITY });
    expect(bucket.stats()).toMatchObject({ taken: CAPACITY, waitedMs: 0, requests: CAPACITY, conditionFailures: 0 });
    expect(time.now()).toBe(START);
  });

  it('lets containers racing on a busy bucket each take the next slot, with no read and no retry', async () => {
    const time = virtualTime();
    const [first, ...others] = Array.from({ length: 5 }, () => container('222222222222', time));
    if (first === undefined) throw new Error('five containers');
    await time.take(first);
    await time.take(first);

    await Promise.all([first, ...others].flatMap((bucket) => Array.from({ length: 4 }, () => time.take(bucket))));

    // A container that has seen the bucket busy goes straight to the busy update; the others' takes first assume an
    // idle bucket (they have seen none yet) and are told otherwise once each. No read, no retry.
    expect(counter.reads().requests).toEqual({ UpdateItem: 2 + 20 + 16 });
    expect([first, ...others].map((bucket) => bucket.stats().conditionFailures)).toEqual([0, 4, 4, 4, 4]);
    expect(time.now()).toBe(START);
  });

  it('never lets racing containers take more than capacity + elapsed x rate', async () => {
    const time = virtualTime();
    const capacity = 5;
    const containers = Array.from({ length: 4 }, () => container('333333333333', time, capacity));

    // 60 tokens where 5 are available at once: most wait, some beyond the reservation horizon (they sleep until a
    // reservation fits, knowing the bucket's tat from their failed update: DynamoDB returns the item, no read).
    const takenAt = await Promise.all(containers.flatMap((bucket) => Array.from({ length: 15 }, () => time.take(bucket))));

    expect(overspentWindows(takenAt, capacity)).toEqual([]);
    expect(takenAt).toHaveLength(60);
    expect(containers.reduce((sum, bucket) => sum + bucket.stats().taken, 0)).toBe(60);
    // The whole share was used: the last token came when the bucket allowed it, not later.
    expect(Math.max(...takenAt) - START).toBe(((60 - capacity) / REFILL_PER_SECOND) * 1000);
    expect(containers.reduce((sum, bucket) => sum + bucket.stats().conditionFailures, 0)).toBeGreaterThan(0);
    expect(counter.reads().requests['GetItem']).toBeUndefined();
  });
  it('claims a batch of tokens in one UpdateItem when the first is due soon, and spends them with no other request', async () => {
    const time = virtualTime();
    const bucket = container('555555555555', time);

    const claim = await time.call(() => bucket.claim(30, 3_000));
    const takenAt: number[] = [];
    for (let token = 0; token < 30; token += 1) takenAt.push(await time.take(bucket));

    expect(claim).toEqual({ granted: true });
    expect(counter.reads().requests).toEqual({ UpdateItem: 1 });
    // A full bucket's 25 at once, then the refill's pace.
    expect(takenAt.slice(0, CAPACITY).every((at) => at === START)).toBe(true);
    expect((takenAt.at(-1) ?? 0) - START).toBe(((30 - CAPACITY) / REFILL_PER_SECOND) * 1000);
  });

  it('refuses a claim whose first token is due beyond the wait, takes nothing, and says when it would be due', async () => {
    const time = virtualTime();
    const busy = container('666666666666', time);
    const other = container('666666666666', time);
    await time.call(() => busy.claim(CAPACITY + 20, 3_000));

    const refused = await time.call(() => other.claim(5, 3_000));
    const granted = await time.call(() => other.claim(5, 9_000));

    // 45 slots claimed: the burst's 25 now, then one each 0.4 s; the 46th is due 21 x 0.4 s from now.
    expect(refused).toEqual({ granted: false, dueInMs: 8_400 });
    expect(granted).toEqual({ granted: true });
    expect(other.stats().taken).toBe(0);
  });

  it('never lets containers that claim, take part of their claim and drop the rest, take more than capacity + elapsed x rate', async () => {
    const time = virtualTime();
    const capacity = 5;
    const containers = Array.from({ length: 4 }, () => container('777777777777', time, capacity));
    const takenAt: number[] = [];

    // Each container converges 6 batches: claims what the batch plans (1-4), spends all but one of the claim and
    // then one more than it claimed (a batch's plans are an estimate), waiting for room when the claim is refused.
    // A container runs without a break from start to end except in its sleeps: the clock moves only when every
    // container sleeps, never in the gap between one call and the next (which would make a container late).
    await Promise.all(
      containers.map((bucket, index) =>
        time.call(async () => {
          for (let batch = 0; batch < 6; batch += 1) {
            const planned = 1 + ((index + batch) % 4);
            for (;;) {
              const claim = await bucket.claim(planned, 1_000);
              if (claim.granted) break;
              await time.sleep(claim.dueInMs);
            }
            const spent = (index + batch) % 2 === 0 ? planned - 1 : planned + 1;
            for (let token = 0; token < spent; token += 1) {
              await bucket.take();
              takenAt.push(time.now());
            }
            bucket.dropClaimed();
          }
        }),
      ),
    );

    expect(takenAt.length).toBeGreaterThan(40);
    expect(overspentWindows(takenAt, capacity)).toEqual([]);
    expect(containers.reduce((sum, bucket) => sum + bucket.stats().dropped, 0)).toBeGreaterThan(0);
  });

  it('does not hold a call for as long as a clock far ahead of its own says', async () => {
    const time = virtualTime();
    const ahead = new LedgerTokenBucket({
      documents: counter.documents,
      tableName: table.tableName,
      key: pacingKey('444444444444', 'us-east-1'),
      capacity: CAPACITY,
      refillPerSecond: REFILL_PER_SECOND,
      clock: { now: () => new Date(START + 30 * 60_000) },
    });
    await ahead.take();

    await time.take(container('444444444444', time));

    expect(time.now()).toBe(START);
  });
});
