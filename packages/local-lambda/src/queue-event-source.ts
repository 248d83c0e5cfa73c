/**
 * QueueEventSource: Lambda's SQS event source mapping, locally. It polls a LocalQueue, gathers up to batchSize
 * messages within the (time-scaled) batching window, and invokes the function synchronously with an SQSEvent of
 * the real shape. With ReportBatchItemFailures only the records named in batchItemFailures stay on the queue;
 * a function error, crash or timeout fails every record of the batch; so does a malformed partial response, as
 * in Lambda. Failed records reappear after the visibility timeout, and the queue's redrive policy ends their
 * retries. At most maximumConcurrency batches run at once.
 */
import type { SQSBatchResponse } from 'aws-lambda';
import type { LambdaErrorPayload } from './dead-letters';
import type { LocalQueue, ReceivedMessage } from './local-queue';
import type { InvokeResult } from './runtime';
import { sqsEvent, sqsRecord } from './sqs-event';

/** What the mapping needs from a function: a synchronous invoke (a LocalLambda). */
export interface SyncInvokeTarget {
  invoke(payload: unknown): Promise<InvokeResult>;
}

export interface QueueEventSourceOptions {
  readonly queue: LocalQueue;
  readonly target: SyncInvokeTarget;
  /** The function's key, for reports. */
  readonly functionKey: string;
  /** Lambda default 10. */
  readonly batchSize?: number;
  /** MaximumBatchingWindowInSeconds (0..300), multiplied by timeScale. */
  readonly maximumBatchingWindowSeconds?: number;
  /** FunctionResponseTypes contains ReportBatchItemFailures. */
  readonly reportBatchItemFailures?: boolean;
  /** ScalingConfig.MaximumConcurrency (2..1000); Lambda's default without it is up to 1,000. */
  readonly maximumConcurrency?: number;
  /** Default 0.001. */
  readonly timeScale?: number;
  readonly enabled?: boolean;
  readonly onBatch?: (report: BatchReport) => void;
}

export interface BatchReport {
  readonly functionKey: string;
  readonly requestId: string;
  readonly messageIds: readonly string[];
  /** Records that stay on the queue (retried after the visibility timeout, or redriven). */
  readonly failedMessageIds: readonly string[];
  readonly ok: boolean;
  readonly error: LambdaErrorPayload | undefined;
}

export interface EventSourceStats {
  readonly batches: number;
  readonly records: number;
  readonly succeededRecords: number;
  readonly failedRecords: number;
  /** Batches whose invocation failed as a whole (error, crash, timeout, invalid response). */
  readonly failedBatches: number;
  readonly inFlight: number;
  readonly peakConcurrency: number;
  readonly largestBatch: number;
}

const DEFAULT_BATCH_SIZE = 10;
const UNBOUNDED_CONCURRENCY = 1000;

export class QueueEventSource {
  readonly functionKey: string;
  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly maximumConcurrency: number;
  private readonly running = new Set<Promise<void>>();
  private windowTimer: NodeJS.Timeout | undefined;
  private windowOpen = false;
  private stopped = false;
  private readonly unsubscribe: () => void;
  private readonly counters = {
    batches: 0,
    records: 0,
    succeededRecords: 0,
    failedRecords: 0,
    failedBatches: 0,
    peakConcurrency: 0,
    largestBatch: 0,
  };

  constructor(private readonly options: QueueEventSourceOptions) {
    this.functionKey = options.functionKey;
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.windowMs = (options.maximumBatchingWindowSeconds ?? 0) * 1000 * (options.timeScale ?? 0.001);
    this.maximumConcurrency = Math.max(1, options.maximumConcurrency ?? UNBOUNDED_CONCURRENCY);
    this.stopped = options.enabled === false;
    this.unsubscribe = options.queue.onAvailable(() => this.pump());
    this.pump();
  }

  get queue(): LocalQueue {
    return this.options.queue;
  }

  /** True while a batch runs or messages wait on the queue (visible, or invisible until a retry). */
  busy(): boolean {
    return !this.stopped && (this.running.size > 0 || this.options.queue.depth > 0);
  }

  stats(): EventSourceStats {
    return { ...this.counters, inFlight: this.running.size };
  }

  /** Waits for running batches; new ones are not started. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    clearTimeout(this.windowTimer);
    await Promise.allSettled([...this.running]);
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.maximumConcurrency && this.options.queue.visibleCount > 0) {
      const full = this.options.queue.visibleCount >= this.batchSize;
      if (!full && !this.windowOpen && this.windowMs > 0) {
        // Wait for the batching window to fill the batch (Lambda waits up to MaximumBatchingWindowInSeconds).
        if (this.windowTimer === undefined) {
          this.windowTimer = setTimeout(() => {
            this.windowTimer = undefined;
            this.windowOpen = true;
            this.pump();
          }, this.windowMs);
          this.windowTimer.unref();
        }
        return;
      }
      const messages = this.options.queue.receive(this.batchSize);
      this.windowOpen = false;
      clearTimeout(this.windowTimer);
      this.windowTimer = undefined;
      if (messages.length === 0) continue;
      const run = this.runBatch(messages);
      this.running.add(run);
      this.counters.peakConcurrency = Math.max(this.counters.peakConcurrency, this.running.size);
      void run.finally(() => {
        this.running.delete(run);
        this.pump();
      });
    }
  }

  private async runBatch(messages: readonly ReceivedMessage[]): Promise<void> {
    const { queue } = this.options;
    const records = messages.map((message) =>
      sqsRecord({
        queueArn: queue.arn,
        body: message.body,
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        receiveCount: message.receiveCount,
        sentAt: message.sentAt,
        messageAttributes: message.messageAttributes,
        ...(message.firstReceivedAt !== undefined ? { firstReceivedAt: message.firstReceivedAt } : {}),
      }),
    );
    this.counters.batches += 1;
    this.counters.records += records.length;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, records.length);
    const result = await this.options.target.invoke(sqsEvent(records));
    const outcome = this.failedRecords(result, new Set(messages.map((message) => message.messageId)));
    const failed = new Set(outcome.failed);
    for (const message of messages) {
      if (failed.has(message.messageId)) queue.fail(message.receiptHandle, outcome.error);
      else queue.delete(message.receiptHandle);
    }
    this.counters.succeededRecords += messages.length - failed.size;
    this.counters.failedRecords += failed.size;
    if (!outcome.wholeBatchOk) this.counters.failedBatches += 1;
    const report: BatchReport = {
      functionKey: this.functionKey,
      requestId: result.requestId,
      messageIds: messages.map((message) => message.messageId),
      failedMessageIds: [...failed],
      ok: outcome.wholeBatchOk,
      error: outcome.wholeBatchOk ? undefined : outcome.error,
    };
    try {
      this.options.onBatch?.(report);
    } catch (error) {
      process.stderr.write(`QueueEventSource ${this.functionKey}: onBatch threw: ${(error as Error)?.stack ?? String(error)}\n`);
    }
  }

  /** Lambda's reading of the response: which records failed, and why. */
  private failedRecords(
    result: InvokeResult,
    batch: ReadonlySet<string>,
  ): { failed: string[]; error: LambdaErrorPayload; wholeBatchOk: boolean } {
    const everything = [...batch];
    if (!result.ok) {
      return {
        failed: everything,
        error: result.error ?? { errorType: 'Unknown', errorMessage: 'invocation failed' },
        wholeBatchOk: false,
      };
    }
    if (!this.options.reportBatchItemFailures) return { failed: [], error: noError(), wholeBatchOk: true };
    const value = result.value as Partial<SQSBatchResponse> | null | undefined;
    const failures = value?.batchItemFailures;
    if (value === null || value === undefined || failures === undefined || failures === null)
      return { failed: [], error: noError(), wholeBatchOk: true };
    const ids = Array.isArray(failures)
      ? failures.map((failure) => (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier)
      : [undefined];
    if (ids.some((id) => typeof id !== 'string' || !batch.has(id))) {
      const error = {
        errorType: 'InvalidBatchItemFailures',
        errorMessage: `batchItemFailures names no record of the batch: ${JSON.stringify(failures).slice(0, 300)}`,
      };
      return { failed: everything, error, wholeBatchOk: false };
    }
    const failed = [...new Set(ids as string[])];
    const error = {
      errorType: 'BatchItemFailure',
      errorMessage: `${this.functionKey} reported the record in batchItemFailures (request ${result.requestId})`,
    };
    return { failed, error, wholeBatchOk: true };
  }
}

function noError(): LambdaErrorPayload {
  return { errorType: 'None', errorMessage: '' };
}
