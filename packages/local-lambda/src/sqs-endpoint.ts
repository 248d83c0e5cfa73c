/**
 * The local queues' HTTP endpoint on 127.0.0.1: SQS's AWS JSON 1.0 protocol for SendMessage and SendMessageBatch,
 * so the real SDK reaches the local queues through AWS_ENDPOINT_URL_SQS (the hub puts deferred records back on their
 * queue). A QueueUrl names its queue by account and name (`https://sqs.<region>.amazonaws.com/<account>/<name>`, any
 * host); only the sending side is served, the queues' consumers are the local event source mappings.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LocalQueue, MAX_DELAY_SECONDS, type MessageAttribute } from './local-queue';
import { type LoopbackServer, listenOnLoopback, readBody } from './loopback-http';

/** SendMessageBatch's bounds (SQS API reference). */
const MAX_BATCH_ENTRIES = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_MESSAGE_BYTES = 1024 * 1024;

export type SqsEndpoint = LoopbackServer;

interface SendEntry {
  readonly MessageBody?: unknown;
  readonly DelaySeconds?: unknown;
  readonly MessageAttributes?: unknown;
}

class SqsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Listens on 127.0.0.1:`port` (0: any free port); `queues` are looked up by account and name. */
export async function startSqsEndpoint(queues: () => readonly LocalQueue[], port = 0): Promise<SqsEndpoint> {
  return listenOnLoopback((request, response) => handle(request, response, queues), port);
}

async function handle(request: IncomingMessage, response: ServerResponse, queues: () => readonly LocalQueue[]): Promise<void> {
  const reply = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
    response.end(JSON.stringify(body));
  };
  try {
    const target = String(request.headers['x-amz-target'] ?? '');
    const text = await readBody(request);
    if (request.method !== 'POST') throw new SqsFault('UnsupportedOperation', `${request.method} is not supported`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text || '{}') as Record<string, unknown>;
    } catch {
      throw new SqsFault('InvalidParameterValue', 'the request body is not JSON');
    }
    const queue = queueOf(body['QueueUrl'], queues());
    if (target === 'AmazonSQS.SendMessage') return reply(200, sendOne(queue, body as SendEntry));
    if (target === 'AmazonSQS.SendMessageBatch') return reply(200, sendBatch(queue, body['Entries']));
    throw new SqsFault('UnsupportedOperation', `the local queues do not implement ${target || 'this operation'}`);
  } catch (error) {
    const fault = error instanceof SqsFault ? error : new SqsFault('InvalidParameterValue', (error as Error).message);
    reply(400, { __type: `com.amazonaws.sqs#${fault.type}`, message: fault.message });
  }
}

function queueOf(queueUrl: unknown, queues: readonly LocalQueue[]): LocalQueue {
  if (typeof queueUrl !== 'string') throw new SqsFault('InvalidAddress', 'QueueUrl is required');
  const [account, name] = new URL(queueUrl).pathname.split('/').filter(Boolean);
  const queue = queues.find((each) => each.name === name && each.arn.split(':')[4] === account);
  if (queue === undefined) throw new SqsFault('QueueDoesNotExist', `The specified queue does not exist: ${queueUrl}`);
  return queue;
}

function sendOne(queue: LocalQueue, entry: SendEntry) {
  const { body, delaySeconds, messageAttributes } = validEntry(entry);
  const messageId = queue.send(body, { delaySeconds, messageAttributes });
  return { MessageId: messageId, ...digests(body, messageAttributes) };
}

function sendBatch(queue: LocalQueue, entries: unknown) {
  if (!Array.isArray(entries) || entries.length === 0) throw new SqsFault('EmptyBatchRequest', 'There should be at least one entry');
  if (entries.length > MAX_BATCH_ENTRIES)
    throw new SqsFault('TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}`);
  const ids = entries.map((entry) => (entry as { Id?: unknown }).Id);
  if (ids.some((id) => typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)))
    throw new SqsFault('InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores');
  if (new Set(ids).size !== ids.length) throw new SqsFault('BatchEntryIdsNotDistinct', 'Two or more batch entries have the same Id');
  const valid = entries.map((entry) => validEntry(entry as SendEntry));
  const total = valid.reduce((sum, entry) => sum + Buffer.byteLength(entry.body), 0);
  if (total > MAX_MESSAGE_BYTES)
    throw new SqsFault('BatchRequestTooLong', `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes`);
  return {
    Successful: valid.map((entry, index) => ({
      Id: ids[index],
      MessageId: queue.send(entry.body, { delaySeconds: entry.delaySeconds, messageAttributes: entry.messageAttributes }),
      ...digests(entry.body, entry.messageAttributes),
    })),
    Failed: [],
  };
}

function validEntry(entry: SendEntry): { body: string; delaySeconds: number; messageAttributes: Record<string, MessageAttribute> } {
  const body = entry.MessageBody;
  if (typeof body !== 'string' || body.length === 0) throw new SqsFault('InvalidParameterValue', 'MessageBody is required');
  const delaySeconds = entry.DelaySeconds ?? 0;
  if (typeof delaySeconds !== 'number' || !Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS)
    throw new SqsFault(
      'InvalidParameterValue',
      `Value ${String(delaySeconds)} for parameter DelaySeconds is invalid (0 to ${MAX_DELAY_SECONDS})`,
    );
  const messageAttributes: Record<string, MessageAttribute> = {};
  for (const [name, value] of Object.entries((entry.MessageAttributes ?? {}) as Record<string, Partial<MessageAttribute>>)) {
    if (typeof value.DataType !== 'string' || !/^(String|Number)(\..+)?$/.test(value.DataType) || typeof value.StringValue !== 'string')
      throw new SqsFault('InvalidParameterValue', `Message attribute ${name} must have a String or Number DataType and a StringValue`);
    if (value.DataType.startsWith('Number') && !Number.isFinite(Number(value.StringValue)))
      throw new SqsFault('InvalidParameterValue', `Message attribute ${name} is not a number: ${value.StringValue}`);
    messageAttributes[name] = { DataType: value.DataType, StringValue: value.StringValue };
  }
  return { body, delaySeconds, messageAttributes };
}

/** MD5OfMessageBody, and MD5OfMessageAttributes when there are attributes (SQS's documented encoding). */
function digests(body: string, attributes: Readonly<Record<string, MessageAttribute>>) {
  const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return { MD5OfMessageBody: md5(body) };
  const field = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return [length, bytes];
  };
  const parts = names.flatMap((name) => {
    const attribute = attributes[name] as MessageAttribute;
    return [...field(name), ...field(attribute.DataType), Buffer.from([1]), ...field(attribute.StringValue)];
  });
  return { MD5OfMessageBody: md5(body), MD5OfMessageAttributes: md5(Buffer.concat(parts)) };
}
