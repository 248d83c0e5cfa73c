/**
 * The local stand-in for an async invocation's on-failure destination (an SQS queue in the stack): records
 * shaped like Lambda's destination record, kept in memory and optionally appended to a JSONL file.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

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

export interface DeadLetter {
  /** The function's key in serverless.yml (stateChange). */
  readonly functionKey: string;
  /** destinations.onFailure as written in serverless.yml, when there is one. */
  readonly destination: string | undefined;
  readonly record: OnFailureRecord;
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
