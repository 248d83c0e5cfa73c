/**
 * A token bucket for pacing our own mutating EC2 calls. EC2 meters CreateTrafficMirrorSession and
 * DeleteTrafficMirrorSession per account and Region (bucket 50, refill 5/s): a sweep that spent it all would leave
 * the event handlers of the same account throttled. Takers queue in order; nothing is dropped.
 */
export interface TokenBucketOptions {
  /** Tokens available at once (the burst). */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
  /** Monotonic milliseconds; injectable so the arithmetic can be tested without waiting. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What paces our mutating calls: a token per call, waited for in turn. */
export interface Pacer {
  take(): Promise<void>;
  /** Tokens taken through this pacer and the total time its callers were held back. */
  stats(): { taken: number; waitedMs: number };
}

export class TokenBucket implements Pacer {
  private tokens: number;
  private lastRefill: number;
  private queue: Promise<void> = Promise.resolve();
  private waitedMs = 0;
  private taken = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.capacity >= 1)) throw new RangeError('TokenBucket capacity must be at least 1');
    if (!(options.refillPerSecond > 0)) throw new RangeError('TokenBucket refillPerSecond must be positive');
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.tokens = options.capacity;
    this.lastRefill = this.now();
  }

  /** Resolves when a token is ours; callers are served first come, first served. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.takeInTurn());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Tokens taken so far and the total time callers were held back, for the sweep's summary. */
  stats(): { taken: number; waitedMs: number } {
    return { taken: this.taken, waitedMs: Math.round(this.waitedMs) };
  }

  private refill(): void {
    const at = this.now();
    this.tokens = Math.min(this.options.capacity, this.tokens + ((at - this.lastRefill) / 1000) * this.options.refillPerSecond);
    this.lastRefill = at;
  }

  private async takeInTurn(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      const waitMs = ((1 - this.tokens) / this.options.refillPerSecond) * 1000;
      this.waitedMs += waitMs;
      await this.sleep(waitMs);
      this.refill();
    }
    this.tokens = Math.max(0, this.tokens - 1);
    this.taken += 1;
  }
}
