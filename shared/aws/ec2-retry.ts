/**
 * How the EC2 clients retry. EC2 meters mutating calls per account and Region (50 at once, 5 more a second), so a
 * burst of creates meets RequestLimitExceeded until the bucket refills: throttling is a queue, not a failure. The
 * SDK's strategies treat it as a failure: they back off exponentially up to 20 s, spend a retry quota shared by the
 * client (500, 5 a retry) and, in adaptive mode, slow the client's own sending rate, which recovers slowly. Measured
 * in the burst bench: the last create of a burst waited 11 s on a bucket that had refilled long before, and a racer
 * waited 40 s on it (docs/PERFORMANCE.md). Here a throttled call is tried again after a short jittered pause
 * (doubling from `firstPauseMs` to at most `maxPauseMs`, each between half and all of it), without spending the
 * quota, until it has been throttled for `throttledForAtMostMs`; then the error is thrown as before. Any other error
 * follows the SDK's standard strategy (attempts, backoff, quota) unchanged.
 *
 * The pauses stay short but not zero: a throttled request costs EC2 nothing from the bucket, and the jitter keeps
 * the containers' retries spread out.
 *
 * Mutating calls meet throttling in their client's line instead (mutating-calls-line.ts, inside the retry loop):
 * the line retries them in turn, and hands a throttling error on only once the call has waited its bound there;
 * that one is thrown, not retried again.
 */
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken, StandardRetryToken } from '@smithy/types';
import { waitedOutInLine } from './line-give-ups';

export interface Ec2RetryOptions {
  /** Attempts for errors other than throttling (the SDK's standard strategy). */
  readonly maxAttempts: number;
  readonly firstPauseMs?: number;
  readonly maxPauseMs?: number;
  /** How long one call may keep being throttled before the error is thrown: within a function's timeout. */
  readonly throttledForAtMostMs?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 2_000;
const THROTTLED_FOR_AT_MOST_MS = 45_000;

/** The standard strategy's token, with the throttled retries made around it. */
class ThrottlingAwareToken implements RetryToken {
  constructor(
    readonly inner: StandardRetryToken,
    readonly throttledRetries: number,
    readonly throttledSince: number | undefined,
    private readonly delayMs: number,
  ) {}

  getRetryCount(): number {
    return this.inner.getRetryCount() + this.throttledRetries;
  }

  getRetryDelay(): number {
    return this.delayMs;
  }
}

export class Ec2RetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';
  private readonly standard: StandardRetryStrategy;
  private readonly firstPauseMs: number;
  private readonly maxPauseMs: number;
  private readonly throttledForAtMostMs: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(options: Ec2RetryOptions) {
    this.standard = new StandardRetryStrategy(options.maxAttempts);
    this.firstPauseMs = options.firstPauseMs ?? FIRST_PAUSE_MS;
    this.maxPauseMs = options.maxPauseMs ?? MAX_PAUSE_MS;
    this.throttledForAtMostMs = options.throttledForAtMostMs ?? THROTTLED_FOR_AT_MOST_MS;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  async acquireInitialRetryToken(scope: string): Promise<RetryToken> {
    return new ThrottlingAwareToken(await this.standard.acquireInitialRetryToken(scope), 0, undefined, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    const current = token as ThrottlingAwareToken;
    if (errorInfo.errorType !== 'THROTTLING') {
      const inner = await this.standard.refreshRetryTokenForRetry(current.inner, errorInfo);
      return new ThrottlingAwareToken(inner, current.throttledRetries, current.throttledSince, inner.getRetryDelay());
    }
    if (waitedOutInLine(errorInfo.error)) throw new Error('waited in line for too long');
    const since = current.throttledSince ?? this.now();
    if (this.now() - since >= this.throttledForAtMostMs) throw new Error('throttled for too long');
    const ceiling = Math.min(this.maxPauseMs, this.firstPauseMs * 2 ** current.throttledRetries);
    const pause = ceiling * (0.5 + this.random() / 2);
    return new ThrottlingAwareToken(current.inner, current.throttledRetries + 1, since, pause);
  }

  recordSuccess(token: RetryToken): void {
    this.standard.recordSuccess((token as ThrottlingAwareToken).inner);
  }
}
