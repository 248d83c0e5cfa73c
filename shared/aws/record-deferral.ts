/**
 * Puts SQS records back on the queue they came from, invisible for a while: the hub defers the records of an account
 * whose budget has no room now, so that the containers it would hold asleep serve other accounts meanwhile. A
 * deferred record is a new message (SendMessageBatch, body unchanged) with its count for the cause one higher in a
 * message attribute (its other counts carried over), and the original is acknowledged: deferring does not spend the
 * queue's maxReceiveCount, which is kept for failures. The QueueUrl is built from the record's queue ARN.
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import {
  DEFERRAL_ATTRIBUTES,
  type DeferralCause,
  deferralsOf,
  type QueuedRecord,
  type RecordDeferral,
} from '../converge/organization-ports';

const MAX_BATCH_ENTRIES = 10;

export function queueUrlOf(queueArn: string): string {
  const [, , service, region, account, name] = queueArn.split(':');
  if (service !== 'sqs' || !region || !account || !name) throw new Error(`not an SQS queue ARN: ${queueArn}`);
  return `https://sqs.${region}.amazonaws.com/${account}/${name}`;
}

export function createRecordDeferral(sqs: SQSClient): RecordDeferral {
  return {
    async defer(records, delaySeconds, cause) {
      const deferred = new Set<string>();
      const byQueue = new Map<string, QueuedRecord[]>();
      for (const record of records) byQueue.set(record.eventSourceARN, [...(byQueue.get(record.eventSourceARN) ?? []), record]);
      for (const [queueArn, queued] of byQueue) {
        for (let start = 0; start < queued.length; start += MAX_BATCH_ENTRIES) {
          const chunk = queued.slice(start, start + MAX_BATCH_ENTRIES);
          const answer = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrlOf(queueArn),
              Entries: chunk.map((record, index) => entryOf(record, index, delaySeconds, cause)),
            }),
          );
          for (const sent of answer.Successful ?? []) {
            const record = chunk[Number(sent.Id)];
            if (record !== undefined) deferred.add(record.messageId);
          }
        }
      }
      return deferred;
    },
  };
}

function entryOf(record: QueuedRecord, index: number, delaySeconds: number, cause: DeferralCause): SendMessageBatchRequestEntry {
  const counts = (Object.keys(DEFERRAL_ATTRIBUTES) as DeferralCause[]).flatMap((counted) => {
    const count = deferralsOf(record, counted) + (counted === cause ? 1 : 0);
    return count > 0 ? [[DEFERRAL_ATTRIBUTES[counted], { DataType: 'Number', StringValue: String(count) }] as const] : [];
  });
  return { Id: String(index), MessageBody: record.body, DelaySeconds: delaySeconds, MessageAttributes: Object.fromEntries(counts) };
}
