/**
 * The local stand-in for the stack's DeadLetterQueue: what lands there from an async invocation's on-failure
 * destination (Lambda's destination record) and from an event queue's redrive policy (the original message, after
 * maxReceiveCount deliveries), kept in memory and optionally appended to a JSONL file.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { QueueMessage } from './local-queue';

export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stackTrace?: readonly string[];
}

/** What Lambda sends to an on-failure destination after the last retry. */
export interface OnFailureRecord {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetriesExhausted';
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext: {
    readonly statusCode: 200;
    readonly executedVersion: '$LATEST';
    readonly functionError: 'Unhandled';
  };
  readonly responsePayload: LambdaErrorPayload;
}

/** A message an event queue moved to the dead-letter queue: exactly what was sent to the queue, and its history. */
export interface RedrivenMessage {
  /** The source queue (logical id in serverless.yml, name and ARN). */
  readonly queue: { readonly logicalId: string; readonly name: string; readonly arn: string };
  readonly messageId: string;
  /** The original body: the EventBridge event JSON, byte for byte. */
  readonly body: string;
  readonly receiveCount: number;
  readonly sentAt: string;
  /** Why the last delivery failed (local only: SQS does not keep it). */
  readonly lastError: LambdaErrorPayload | undefined;
}

export interface DeadLetter {
  /**
   * 'lambda-on-failure': an async invocation that failed after its retries (the sweep, or a direct invoke);
   * 'sqs-redrive': a message an event queue moved here after maxReceiveCount deliveries. Absent in files written
   * before queues existed: read it as 'lambda-on-failure'.
   */
  readonly kind: 'lambda-on-failure' | 'sqs-redrive';
  /** The function's key in the stack; for a redriven message, the queue's consumer. */
  readonly functionKey: string;
  /** destinations.onFailure as written in serverless.yml, or the queue's RedrivePolicy.deadLetterTargetArn. */
  readonly destination: string | undefined;
  /**
   * Lambda's destination record. For 'sqs-redrive' it is a compatible view built locally, so readers of
   * on-failure records keep working: requestPayload = the parsed body (the event), responsePayload = lastError,
   * approximateInvokeCount = receiveCount. What AWS really puts in the queue is `message.body`.
   */
  readonly record: OnFailureRecord;
  /** Only for 'sqs-redrive'. */
  readonly message?: RedrivenMessage;
}

/** The record of `message` as it leaves `queue` by its redrive policy. */
export function redrivenMessage(message: QueueMessage, queue: RedrivenMessage['queue']): RedrivenMessage {
  return {
    queue: { logicalId: queue.logicalId, name: queue.name, arn: queue.arn },
    messageId: message.messageId,
    body: message.body,
    receiveCount: message.receiveCount,
    sentAt: new Date(message.sentAt).toISOString(),
    lastError: message.lastError,
  };
}

/** The dead letter of a message redriven from `queue` after its last failed delivery to `functionKey`. */
export function redrivenLetter(
  functionKey: string,
  destination: string | undefined,
  functionArn: string,
  message: RedrivenMessage,
): DeadLetter {
  let payload: unknown = message.body;
  try {
    payload = JSON.parse(message.body);
  } catch {
    // A body that is not JSON stays the string it was.
  }
  return {
    kind: 'sqs-redrive',
    functionKey,
    destination,
    record: {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: message.messageId,
        functionArn: `${functionArn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: message.receiveCount,
      },
      requestPayload: payload,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: message.lastError ?? { errorType: 'Unknown', errorMessage: 'no failure was reported for the last delivery' },
    },
    message,
  };
}

export class DeadLetterQueue {
  private readonly letters: DeadLetter[] = [];
  private readonly listeners = new Set<(letter: DeadLetter) => void>();

  /** @param file optional JSONL file; each dead letter is appended as one line. */
  constructor(private readonly file?: string) {
    if (file) mkdirSync(path.dirname(file), { recursive: true });
  }

  push(letter: DeadLetter): void {
    this.letters.push(letter);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(letter)}\n`);
    for (const listener of this.listeners) listener(letter);
  }

  entries(): readonly DeadLetter[] {
    return [...this.letters];
  }

  get size(): number {
    return this.letters.length;
  }

  /** Returns an unsubscribe function. */
  onDeadLetter(listener: (letter: DeadLetter) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
