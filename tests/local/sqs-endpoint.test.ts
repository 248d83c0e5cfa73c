/**
 * The local queues' SQS endpoint, through the real SDK: SendMessage and SendMessageBatch reach the LocalQueue the
 * QueueUrl names, DelaySeconds keeps a message invisible (in real time) and message attributes reach the record a
 * function receives; what SQS refuses is refused with SQS's error names (SQS API reference, SendMessageBatch).
 */
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LocalQueue, type SqsEndpoint, sqsRecord, startSqsEndpoint } from '@vpc-mirror-orchestrator/local-lambda';

const ACCOUNT = '111122223333';
const QUEUE_URL = `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/svc-events`;

describe('the local SQS endpoint', () => {
  let endpoint: SqsEndpoint;
  let queue: LocalQueue;
  let sqs: SQSClient;

  beforeEach(async () => {
    queue = new LocalQueue({ logicalId: 'EventsQueue', name: 'svc-events', arn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:svc-events` });
    endpoint = await startSqsEndpoint(() => [queue]);
    sqs = new SQSClient({
      endpoint: endpoint.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      useQueueUrlAsEndpoint: false,
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    sqs.destroy();
    queue.close();
    await endpoint.close();
  });

  it('puts a batch on the queue the QueueUrl names, with its attributes, checked by the SDK against their MD5', async () => {
    const answer = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: QUEUE_URL,
        Entries: [
          { Id: '0', MessageBody: '{"id":"event-0"}', MessageAttributes: { 'mirror-deferrals': { DataType: 'Number', StringValue: '2' } } },
          { Id: '1', MessageBody: '{"id":"event-1"}' },
        ],
      }),
    );

    expect(answer.Successful?.map((entry) => entry.Id)).toEqual(['0', '1']);
    expect(answer.Successful?.[0]?.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const [first, second] = queue.receive(10);
    expect(first?.body).toBe('{"id":"event-0"}');
    expect(second?.body).toBe('{"id":"event-1"}');
    const record = sqsRecord({ body: first?.body ?? '', queueArn: queue.arn, messageAttributes: first?.messageAttributes ?? {} });
    expect(record.messageAttributes['mirror-deferrals']).toEqual({
      dataType: 'Number',
      stringValue: '2',
      stringListValues: [],
      binaryListValues: [],
    });
  });

  it('keeps a delayed message invisible until its DelaySeconds have passed', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: 'later', DelaySeconds: 1 }));
    await sqs.send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: 'now' }));

    expect(queue.receive(10).map((message) => message.body)).toEqual(['now']);
    expect(queue.depth).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(queue.receive(10).map((message) => message.body)).toEqual(['later']);
  });

  it("refuses what SQS refuses: no entries, an id twice, more than 10, a delay over 900 s, a queue that doesn't exist", async () => {
    const batch = (Entries: Array<{ Id: string; MessageBody: string; DelaySeconds?: number }>, QueueUrl = QUEUE_URL) =>
      sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
    const ids = (count: number) => Array.from({ length: count }, (_, index) => ({ Id: `m${index}`, MessageBody: 'x' }));

    await expect(batch([])).rejects.toMatchObject({ name: 'EmptyBatchRequest' });
    await expect(batch([...ids(1), ...ids(1)])).rejects.toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
    await expect(batch(ids(11))).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    await expect(batch([{ Id: 'a.b', MessageBody: 'x' }])).rejects.toMatchObject({ name: 'InvalidBatchEntryId' });
    await expect(batch([{ Id: 'a', MessageBody: 'x', DelaySeconds: 901 }])).rejects.toThrow(/DelaySeconds/);
    await expect(batch(ids(1), `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/other`)).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
    expect(queue.depth).toBe(0);
  });
});
