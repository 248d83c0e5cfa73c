/**
 * The hub's share of one account's EC2 mutating budget in one Region, kept in one ledger item
 * (`pk=pacing#<account>#<region>`, `sk=bucket`: `tokens`, `refilledAt` in epoch ms, `version`) so that every container
 * converging the account draws on the same bucket: together they stay within the share, and a container working
 * alone may use all of it. A token costs a consistent GetItem and a PutItem conditional on the version read; a lost
 * race reads again after a short random pause, an empty bucket waits for the next token (plus a little jitter, so
 * the waiting containers do not all come back at once). Containers' clocks are assumed close (Lambda's are
 * NTP-synchronised); time going backwards refills nothing.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../converge/ports';
import type { Pacer } from '../../util/token-bucket';
import type { ItemKey } from './keys';
import { isConditionFailure, send } from './table';

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

const RACE_PAUSE_MS = 20;
const WAIT_JITTER_MS = 50;

export class LedgerTokenBucket implements Pacer {
  private taken = 0;
  private waitedMs = 0;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: LedgerTokenBucketOptions) {
    if (!(options.capacity >= 1)) throw new RangeError('LedgerTokenBucket capacity must be at least 1');
    if (!(options.refillPerSecond > 0)) throw new RangeError('LedgerTokenBucket refillPerSecond must be positive');
    this.clock = options.clock ?? { now: () => new Date() };
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async take(): Promise<void> {
    const { documents, tableName, key, capacity, refillPerSecond } = this.options;
    for (;;) {
      const answer = await send('GetItem', () => documents.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
      const now = this.clock.now().getTime();
      const item = answer.Item;
      const version = Number(item?.version ?? 0);
      const elapsedMs = item === undefined ? 0 : Math.max(0, now - Number(item.refilledAt));
      const tokens = item === undefined ? capacity : Math.min(capacity, Number(item.tokens) + (elapsedMs / 1000) * refillPerSecond);
      if (tokens < 1) {
        const waitMs = ((1 - tokens) / refillPerSecond) * 1000 + this.random() * WAIT_JITTER_MS;
        this.waitedMs += waitMs;
        await this.sleep(waitMs);
        continue;
      }
      try {
        await send('PutItem', () =>
          documents.send(
            new PutCommand({
              TableName: tableName,
              Item: { ...key, tokens: tokens - 1, refilledAt: now, version: version + 1 },
              ConditionExpression: 'attribute_not_exists(pk) OR version = :version',
              ExpressionAttributeValues: { ':version': version },
            }),
          ),
        );
        this.taken += 1;
        return;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        await this.sleep(this.random() * RACE_PAUSE_MS);
      }
    }
  }

  stats(): { taken: number; waitedMs: number } {
    return { taken: this.taken, waitedMs: Math.round(this.waitedMs) };
  }
}
