/**
 * EC2's events on their way to the handlers, as the stack routes them (serverless.yml's rules -> one SQS queue per
 * function): what EC2 emitted and nobody received yet, what a failed or crashed invocation returned to its queue, and
 * what ran out of receives (the dead-letter queue). The model decides when, in which order, how many times and
 * whether at all each event is delivered.
 */
import path from 'node:path';
import { matchesPattern, sqsEvent, sqsRecord } from '@vpc-mirror-orchestrator/local-lambda';
import type { SQSEvent } from 'aws-lambda';
import { readStack } from '../../../local/cloud/stack';

export interface QueuedMessage {
  readonly messageId: string;
  readonly queue: string;
  readonly body: string;
  readonly instanceIds: readonly string[];
  receives: number;
}

const STACK = readStack(path.resolve(__dirname, '../../../serverless.yml'));
const QUEUE_RULES = STACK.rules.filter((rule) => rule.enabled && rule.queueLogicalId !== undefined);
/** What SQS hands to one invocation at most (the event source mappings' batch size). */
export const BATCH_SIZE = 10;

function instanceIdsOf(event: Record<string, unknown>): string[] {
  const resources = (event.resources as string[] | undefined) ?? [];
  return resources.flatMap((arn) => (arn.includes(':instance/') ? [arn.slice(arn.lastIndexOf('/') + 1)] : []));
}

export class EventQueues {
  /** Emitted by EC2, not yet received. */
  readonly waiting: QueuedMessage[] = [];
  readonly deadLetters: QueuedMessage[] = [];
  private sequence = 0;

  /** Queues an EC2 event on every queue whose rule matches it (none: EventBridge drops it, as in AWS). */
  publish(event: Record<string, unknown>): void {
    for (const rule of QUEUE_RULES) {
      if (!matchesPattern(rule.pattern, event)) continue;
      this.sequence += 1;
      this.waiting.push({
        messageId: `m-${this.sequence}`,
        queue: rule.queueLogicalId as string,
        body: JSON.stringify(event),
        instanceIds: instanceIdsOf(event),
        receives: 0,
      });
    }
  }

  /** Takes up to `count` waiting messages of one queue (the oldest queue first), in the order given. */
  take(count: number, order: 'oldest' | 'newest'): QueuedMessage[] {
    const queue = this.waiting[0]?.queue;
    const candidates = this.waiting.filter((message) => message.queue === queue);
    const chosen = (order === 'oldest' ? candidates : [...candidates].reverse()).slice(0, Math.min(count, BATCH_SIZE));
    for (const message of chosen) this.waiting.splice(this.waiting.indexOf(message), 1);
    return chosen;
  }

  /** Removes up to `count` waiting messages for good (an event EventBridge or the queue lost). */
  drop(count: number): QueuedMessage[] {
    return this.waiting.splice(0, count);
  }

  /** At-least-once delivery: the same event arrives once more, later (a new message with the same body). */
  duplicate(message: QueuedMessage): void {
    this.sequence += 1;
    this.waiting.push({ ...message, messageId: `m-${this.sequence}`, receives: 0 });
  }

  /** A received message that was not deleted comes back, or goes to the dead-letter queue after its last receive. */
  giveBack(message: QueuedMessage): void {
    const queue = STACK.queues.find((candidate) => candidate.logicalId === message.queue);
    if (message.receives >= (queue?.maxReceiveCount ?? 3)) this.deadLetters.push(message);
    else this.waiting.push(message);
  }

  /** The SQS event of one receive: each message's receive count goes up by one. */
  receive(messages: readonly QueuedMessage[]): SQSEvent {
    return sqsEvent(
      messages.map((message) => {
        message.receives += 1;
        return sqsRecord({
          body: message.body,
          messageId: message.messageId,
          receiveCount: message.receives,
          queueArn: `arn:aws:sqs:eu-west-1:111122223333:${message.queue}`,
        });
      }),
    );
  }
}
