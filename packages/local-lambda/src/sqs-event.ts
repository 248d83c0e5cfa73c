/**
 * The event an SQS event source mapping hands to a function: one place that knows the record's real shape
 * (used by the local queue poller and by tests that invoke the handlers the way Lambda's poller does).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

export interface SqsRecordInput {
  readonly body: string;
  readonly queueArn: string;
  readonly messageId?: string;
  readonly receiptHandle?: string;
  /** 1 on the first delivery. */
  readonly receiveCount?: number;
  readonly sentAt?: number;
  readonly firstReceivedAt?: number;
  /** As sent (SendMessage's MessageAttributes); Lambda hands them over in its own casing. */
  readonly messageAttributes?: Readonly<Record<string, { readonly DataType: string; readonly StringValue: string }>>;
}

export function sqsRecord(input: SqsRecordInput): SQSRecord {
  const sentAt = input.sentAt ?? Date.now();
  const region = input.queueArn.split(':')[3] ?? 'us-east-1';
  return {
    messageId: input.messageId ?? randomUUID(),
    receiptHandle: input.receiptHandle ?? Buffer.from(randomUUID()).toString('base64'),
    body: input.body,
    attributes: {
      ApproximateReceiveCount: String(input.receiveCount ?? 1),
      SentTimestamp: String(sentAt),
      // EventBridge sends to the queue with the events service principal.
      SenderId: 'AIDAIEVENTBRIDGELOCAL',
      ApproximateFirstReceiveTimestamp: String(input.firstReceivedAt ?? sentAt),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(input.messageAttributes ?? {}).map(([name, attribute]) => [
        name,
        { dataType: attribute.DataType, stringValue: attribute.StringValue, stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: createHash('md5').update(input.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: input.queueArn,
    awsRegion: region,
  };
}

export function sqsEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}
