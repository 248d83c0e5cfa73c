/**
 * The local SQS event source mapping: LocalQueue + QueueEventSource feeding a real LocalLambda container, seen from
 * the handler's side (a journal it writes) and from the dead-letter queue.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DeadLetterQueue,
  LocalLambda,
  LocalQueue,
  QueueEventSource,
  type QueueEventSourceOptions,
  redrivenLetter,
} from '@vpc-mirror-orchestrator/local-lambda';
import { useScratchDir } from '../support/scratch-dir';

const REPO = path.resolve(__dirname, '../..');
const HANDLER = path.resolve(__dirname, 'fixtures/handlers/batch.ts');
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:111122223333:svc-test-queue';

interface JournalLine {
  readonly what: 'start' | 'end';
  readonly pid: number;
  readonly at: number;
  readonly records?: ReadonlyArray<{ messageId: string; receiveCount: string; eventSource: string; eventSourceARN: string; body: string }>;
}

describe('an SQS event source mapping on the local queue', () => {
  const scratch = useScratchDir('local-queue-');
  let journal: string;
  let case_ = 0;
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A queue (redrive after maxReceiveCount into `deadLetters`) and a function; the mapping starts with start(). */
  function setUp(options: { maxReceiveCount?: number; reservedConcurrency?: number } = {}) {
    case_ += 1;
    journal = path.join(scratch(), `journal-${case_}.jsonl`);
    const deadLetters = new DeadLetterQueue();
    const lambda = new LocalLambda({
      functionKey: 'consumer',
      modulePath: HANDLER,
      cwd: REPO,
      timeoutSeconds: 20,
      reservedConcurrency: options.reservedConcurrency ?? 4,
    });
    const queue = new LocalQueue({
      logicalId: 'TestQueue',
      name: 'svc-test-queue',
      arn: QUEUE_ARN,
      visibilityTimeoutSeconds: 30,
      maxReceiveCount: options.maxReceiveCount ?? 3,
      timeScale: 0.001,
      onRedrive: (message, from) =>
        deadLetters.push(
          redrivenLetter('consumer', 'DeadLetterQueue', lambda.functionArn, {
            queue: { logicalId: from.logicalId, name: from.name, arn: from.arn },
            messageId: message.messageId,
            body: message.body,
            receiveCount: message.receiveCount,
            sentAt: new Date(message.sentAt).toISOString(),
            lastError: message.lastError,
          }),
        ),
    });
    let source: QueueEventSource | undefined;
    cleanups.push(async () => {
      await source?.stop();
      queue.close();
      await lambda.stop();
    });
    const start = (mapping: Partial<QueueEventSourceOptions> = {}) => {
      source = new QueueEventSource({
        queue,
        target: lambda,
        functionKey: 'consumer',
        batchSize: 10,
        reportBatchItemFailures: true,
        timeScale: 0.001,
        ...mapping,
      });
      return source;
    };
    const send = (behaviour: Record<string, unknown>) => queue.send(JSON.stringify({ ...behaviour, journal }));
    return { queue, lambda, deadLetters, start, send };
  }

  function journalLines(): JournalLine[] {
    if (!existsSync(journal)) return [];
    return readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as JournalLine);
  }

  function batches(): NonNullable<JournalLine['records']>[] {
    return journalLines().flatMap((line) => (line.what === 'start' && line.records ? [line.records] : []));
  }

  /** Until the mapping is idle and its queue empty, twice in a row; bounded. */
  async function idle(source: QueueEventSource, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < 2) {
      if (Date.now() > deadline) throw new Error(`the mapping was still busy after ${timeoutMs} ms`);
      quiet = source.busy() ? 0 : quiet + 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('delivers up to 10 messages per batch as SQS records of the real shape, and deletes them on success', async () => {
    const { queue, start, send } = setUp();
    const ids = Array.from({ length: 25 }, (_, index) => send({ behave: 'ok', index }));

    const source = start({ maximumConcurrency: 2 });
    await idle(source);

    expect(
      batches()
        .map((batch) => batch.length)
        .sort((a, b) => b - a),
    ).toEqual([10, 10, 5]);
    const delivered = batches().flat();
    expect(delivered.map((record) => record.messageId).sort()).toEqual([...ids].sort());
    expect(
      delivered.every((record) => record.eventSource === 'aws:sqs' && record.eventSourceARN === QUEUE_ARN && record.receiveCount === '1'),
    ).toBe(true);
    expect(JSON.parse(delivered[0]?.body ?? '{}')).toMatchObject({ behave: 'ok' });
    expect(queue.stats()).toMatchObject({ sent: 25, deleted: 25, visible: 0, inFlight: 0, redriven: 0 });
  });

  it('gathers messages arriving within the batching window into one batch', async () => {
    const { start, send } = setUp();
    const source = start({ maximumBatchingWindowSeconds: 60, maximumConcurrency: 2 });

    for (let index = 0; index < 4; index += 1) send({ behave: 'ok', index });
    await idle(source);

    expect(batches().map((batch) => batch.length)).toEqual([4]);
  });

  it('retries only the record reported in batchItemFailures, then moves it with its body to the dead-letter queue', async () => {
    const { queue, deadLetters, start, send } = setUp({ maxReceiveCount: 3 });
    send({ behave: 'ok', index: 1 });
    const badId = send({ behave: 'fail', index: 2 });
    send({ behave: 'ok', index: 3 });

    const source = start();
    await idle(source);

    const deliveries = batches().flat();
    const countOf = (id: string) => deliveries.filter((record) => record.messageId === id).length;
    expect(countOf(badId)).toBe(3);
    expect(deliveries.filter((record) => record.messageId !== badId)).toHaveLength(2);
    expect(deliveries.filter((record) => record.messageId === badId).map((record) => record.receiveCount)).toEqual(['1', '2', '3']);
    const letters = deadLetters.entries();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      kind: 'sqs-redrive',
      functionKey: 'consumer',
      message: {
        messageId: badId,
        receiveCount: 3,
        body: JSON.stringify({ behave: 'fail', index: 2, journal }),
        lastError: { errorType: 'BatchItemFailure' },
      },
      record: { requestPayload: { behave: 'fail', index: 2 }, requestContext: { approximateInvokeCount: 3 } },
    });
    expect(queue.stats()).toMatchObject({ deleted: 2, redriven: 1, visible: 0, inFlight: 0 });
  });

  it('fails the whole batch when its container crashes, and redelivers every record', async () => {
    const { lambda, deadLetters, start, send } = setUp();
    const marker = path.join(scratch(), `crash-marker-${case_}`);
    const ids = [send({ behave: 'ok', index: 1 }), send({ behave: 'crash-once', marker }), send({ behave: 'ok', index: 3 })];

    // A batching window, so the three records coming back together are gathered into one batch again.
    const source = start({ maximumBatchingWindowSeconds: 60 });
    await idle(source);

    expect(batches().map((batch) => batch.map((record) => [record.messageId, record.receiveCount]))).toEqual([
      ids.map((id) => [id, '1']),
      ids.map((id) => [id, '2']),
    ]);
    expect(journalLines().filter((line) => line.what === 'end')).toHaveLength(1);
    expect(lambda.stats()).toMatchObject({ crashes: 1, succeeded: 1 });
    expect(source.stats()).toMatchObject({ batches: 2, failedBatches: 1, failedRecords: 3, succeededRecords: 3 });
    expect(deadLetters.entries()).toEqual([]);
  });

  it('runs at most maximumConcurrency batches at once, even when the function could run more', async () => {
    const { start, send } = setUp({ reservedConcurrency: 5 });
    for (let index = 0; index < 6; index += 1) send({ behave: 'sleep', ms: 150, index });

    const source = start({ batchSize: 1, maximumConcurrency: 2 });
    await idle(source);

    let running = 0;
    let peak = 0;
    for (const line of journalLines().sort((a, b) => a.at - b.at || (a.what === 'end' ? -1 : 1))) {
      running += line.what === 'start' ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(batches()).toHaveLength(6);
    expect(peak).toBeLessThanOrEqual(2);
    expect(source.stats().peakConcurrency).toBe(2);
  });
});
