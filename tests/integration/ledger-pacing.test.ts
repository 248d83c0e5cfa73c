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
  };
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

    // 60 tokens where 5 are available at once: most wait, some beyond the reservation horizon (they read and sleep).
    const takenAt = await Promise.all(containers.flatMap((bucket) => Array.from({ length: 15 }, () => time.take(bucket))));

    takenAt.sort((a, b) => a - b);
    const overspent: string[] = [];
    for (let from = 0; from < takenAt.length; from += 1) {
      for (let to = from; to < takenAt.length; to += 1) {
        const tokens = to - from + 1;
        const allowed = capacity + (((takenAt[to] ?? 0) - (takenAt[from] ?? 0)) / 1000) * REFILL_PER_SECOND;
        if (tokens > allowed + 1e-9) overspent.push(`${tokens} tokens in ${(takenAt[to] ?? 0) - (takenAt[from] ?? 0)} ms`);
      }
    }
    expect(overspent).toEqual([]);
    expect(takenAt).toHaveLength(60);
    expect(containers.reduce((sum, bucket) => sum + bucket.stats().taken, 0)).toBe(60);
    // The whole share was used: the last token came when the bucket allowed it, not later.
    expect((takenAt.at(-1) ?? 0) - START).toBe(((60 - capacity) / REFILL_PER_SECOND) * 1000);
    expect(counter.reads().requests['GetItem']).toBeGreaterThan(0);
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
