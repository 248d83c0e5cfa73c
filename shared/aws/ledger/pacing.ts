/**
 * The hub's share of one account's EC2 mutating budget in one Region, kept in one ledger item
 * (`pk=pacing#<account>#<region>`, `sk=bucket`) so that every container converging the account draws on the same
 * bucket: together they stay within the share, and a container working alone may use all of it.
 *
 * The item holds one number, `tat` (GCRA's "theoretical arrival time", epoch ms): when the bucket would be full again.
 * With interval T = 1000 / refillPerSecond and burst tolerance (capacity - 1) x T, a token is due at `tat - tolerance`
 * and taking it moves `tat` on by T. A token costs one UpdateItem in the common case:
 * - busy bucket: `SET tat = tat + T` if `tat BETWEEN now AND now + tolerance + MAX_RESERVATION_MS`. The update is
 *   atomic, so racing containers do not fail each other: each gets the next slot. A slot up to MAX_RESERVATION_MS
 *   ahead is reserved and waited for here (first come, first served, nobody polls); further ahead, the caller sleeps
 *   until a reservation would fit (plus jitter, so the sleepers do not all come back at once).
 * - idle bucket (no item, or `tat < now`): `SET tat = now + T`, a full bucket's first token.
 * Only a failed condition costs more: an idle attempt that finds the bucket busy goes straight to the busy update, a
 * busy update that fails learns the bucket's tat from the item DynamoDB returns with the failure (a consistent
 * GetItem only when none came back).
 * A container may also claim several tokens in one update (`claim`: the same two updates, `T` times the count), only
 * if the first is due soon: the hub claims what a batch's plans will spend before applying them, and defers the
 * batch when the account's budget has no room (shared/lambda/organization-batch.ts). The claimed slots are spent by
 * the container's next takes; those a batch did not need are dropped (`dropClaimed`), never given back: a slot
 * handed back after later slots were handed out would be handed out twice, and a slot kept for later would be
 * spent late, next to other slots, beyond the share.
 * Trade-off: a reserved slot is spent even if its container dies before using it (the account then gets less than
 * the share, never more). Containers' clocks are assumed close (Lambda's are NTP-synchronised): a container whose
 * clock runs behind waits longer, and one that finds a tat no clock within MAX_RESERVATION_MS of its own could have
 * written restarts the bucket from its own clock rather than wait for the other clock.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Claim, SharedPacer } from '../../converge/organization-ports';
import type { Clock } from '../../converge/ports';
import type { ItemKey } from './keys';
import { ITEM_ON_CONDITION_FAILURE, isConditionFailure, itemOfConditionFailure, send } from './table';

export interface LedgerTokenBucketOptions {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly key: ItemKey;
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly clock?: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** How far ahead a slot may be reserved: well within a Lambda's timeout, so a reserved slot is rarely wasted. */
export const MAX_RESERVATION_MS = 10_000;
const WAIT_JITTER_MS = 50;

type Attempt = 'idle' | 'busy' | 'read';

export class LedgerTokenBucket implements SharedPacer {
  private taken = 0;
  private dropped = 0;
  private waitedMs = 0;
  private requests = 0;
  private conditionFailures = 0;
  /** What this container last saw: a busy bucket is likely still busy, so its first attempt skips the idle update. */
  private lastTat = Number.NEGATIVE_INFINITY;
  /**
   * The tat the last failed update was checked against, when DynamoDB returned it; taken by the next read. With
   * concurrent calls in one container that read may be another call's: a tat a moment old, which is all a read gives
   * too, since every step after it is a conditional update.
   */
  private tatOfLastFailure: number | undefined;
  /** Slots this container claimed and has not spent yet: when each is due (epoch ms), earliest first. */
  private claimed: number[] = [];
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: LedgerTokenBucketOptions) {
    if (!(options.capacity >= 1)) throw new RangeError('LedgerTokenBucket capacity must be at least 1');
    if (!(options.refillPerSecond > 0)) throw new RangeError('LedgerTokenBucket refillPerSecond must be positive');
    this.intervalMs = 1000 / options.refillPerSecond;
    this.toleranceMs = (Math.floor(options.capacity) - 1) * this.intervalMs;
    this.clock = options.clock ?? { now: () => new Date() };
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async take(): Promise<void> {
    const slot = this.claimed.shift();
    if (slot !== undefined) {
      this.taken += 1;
      await this.wait(slot - this.now());
      return;
    }
    for (;;) {
      const reserved = await this.reserve(1, MAX_RESERVATION_MS);
      if ('firstDue' in reserved) {
        this.taken += 1;
        await this.wait(reserved.firstDue - this.now());
        return;
      }
      // Come back when a reservation fits (with jitter, so that the sleepers do not all come back at once).
      if (reserved.dueInMs > MAX_RESERVATION_MS) await this.wait(reserved.dueInMs - MAX_RESERVATION_MS + this.random() * WAIT_JITTER_MS);
    }
  }

  /**
   * `count` tokens in one UpdateItem when the first of them is due within `withinMs` (the bucket idle, or busy but
   * not beyond that); otherwise nothing is taken and the answer says when the first would be due. The slots are
   * this container's until its takes spend them or `dropClaimed` forgets them.
   */
  async claim(count: number, withinMs: number): Promise<Claim> {
    if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`claim count must be a positive integer, got ${count}`);
    const reserved = await this.reserve(count, withinMs);
    if ('dueInMs' in reserved) return { granted: false, dueInMs: reserved.dueInMs };
    this.claimed.push(...Array.from({ length: count }, (_, index) => reserved.firstDue + index * this.intervalMs));
    this.claimed.sort((a, b) => a - b);
    return { granted: true };
  }

  /**
   * Reserves `count` consecutive slots if the first is due within `withinMs`: when it is due (epoch ms), or, taking
   * nothing, in how long it would be. Tries idle -> busy -> read, and once more from the read's answer: a bucket
   * that changed twice in between answers "due now" and the caller tries again.
   */
  private async reserve(count: number, withinMs: number): Promise<{ firstDue: number } | { dueInMs: number }> {
    const span = count * this.intervalMs;
    let attempt: Attempt = this.lastTat >= this.now() ? 'busy' : 'idle';
    for (let step = 0; step < 4; step += 1) {
      const now = this.now();
      if (attempt === 'idle') {
        const tat = await this.update('SET tat = :next', 'attribute_not_exists(tat) OR tat < :now', { ':next': now + span, ':now': now });
        if (tat !== undefined) return { firstDue: now - this.toleranceMs };
        attempt = 'busy';
      } else if (attempt === 'busy') {
        const tat = await this.update('SET tat = tat + :span', 'tat BETWEEN :now AND :limit', {
          ':span': span,
          ':now': now,
          ':limit': now + this.toleranceMs + withinMs,
        });
        // The slots just reserved start where the previous tat minus the tolerance is reached. This call's own
        // answer, not lastTat: this container's other reservations may have moved it since.
        if (tat !== undefined) return { firstDue: tat - span - this.toleranceMs };
        attempt = 'read';
      } else {
        const seen = await this.read();
        if (seen === undefined || seen < now) attempt = 'idle';
        else if (seen > now + this.toleranceMs + 2 * MAX_RESERVATION_MS + this.intervalMs) {
          // No writer whose clock agrees with ours within MAX_RESERVATION_MS could have set this: a clock far ahead
          // wrote it. Waiting for it would hold the caller for as long as the clocks disagree; restart the bucket
          // from our clock instead, if nobody moved it since (only clocks that far apart can overspend the share).
          if ((await this.update('SET tat = :next', 'tat = :seen', { ':next': now + span, ':seen': seen })) !== undefined)
            return { firstDue: now - this.toleranceMs };
        } else if (seen > now + this.toleranceMs + withinMs) return { dueInMs: seen - this.toleranceMs - now };
        else attempt = 'busy';
      }
    }
    return { dueInMs: 0 };
  }

  /** Forgets the claimed slots not spent (the account gets less than the share for them, never more): their count. */
  dropClaimed(): number {
    const dropped = this.claimed.length;
    this.claimed = [];
    this.dropped += dropped;
    return dropped;
  }

  /** Tokens taken, time waited, and what they cost in DynamoDB requests (failed conditions included). */
  stats(): { taken: number; dropped: number; waitedMs: number; requests: number; conditionFailures: number } {
    return {
      taken: this.taken,
      dropped: this.dropped,
      waitedMs: Math.round(this.waitedMs),
      requests: this.requests,
      conditionFailures: this.conditionFailures,
    };
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  private async wait(ms: number): Promise<void> {
    if (ms <= 0) return;
    this.waitedMs += ms;
    await this.sleep(ms);
  }

  /**
   * One conditional UpdateItem: the new tat when it applied, undefined on a failed condition. A failed one keeps the
   * tat it failed on (DynamoDB returns the item), for the read that follows it.
   */
  private async update(expression: string, condition: string, values: Record<string, number>): Promise<number | undefined> {
    const { documents, tableName, key } = this.options;
    this.requests += 1;
    this.tatOfLastFailure = undefined;
    try {
      const answer = await send('UpdateItem', () =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression: expression,
            ConditionExpression: condition,
            ExpressionAttributeValues: values,
            ReturnValues: 'UPDATED_NEW',
            ...ITEM_ON_CONDITION_FAILURE,
          }),
        ),
      );
      const tat = Number(answer.Attributes?.['tat']);
      this.lastTat = Math.max(this.lastTat, tat);
      return tat;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      this.conditionFailures += 1;
      const failedOn = itemOfConditionFailure(error)?.['tat'];
      if (failedOn !== undefined) {
        this.tatOfLastFailure = Number(failedOn);
        this.lastTat = this.tatOfLastFailure;
      }
      return undefined;
    }
  }

  /** The bucket's tat: as the failed update just before found it, else read (a consistent GetItem). */
  private async read(): Promise<number | undefined> {
    if (this.tatOfLastFailure !== undefined) {
      const tat = this.tatOfLastFailure;
      this.tatOfLastFailure = undefined;
      return tat;
    }
    const { documents, tableName, key } = this.options;
    this.requests += 1;
    const answer = await send('GetItem', () => documents.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
    const tat = answer.Item?.['tat'];
    if (tat !== undefined) this.lastTat = Number(tat);
    return tat === undefined ? undefined : Number(tat);
  }
}
