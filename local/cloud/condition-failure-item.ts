/**
 * What dynalite lacks and DynamoDB has since 2023: `ReturnValuesOnConditionCheckFailure: ALL_OLD` on PutItem,
 * UpdateItem and DeleteItem. DynamoDB then puts the item whose condition failed into the
 * ConditionalCheckFailedException (its `Item` member; no read capacity is consumed), so a writer that lost a race
 * learns the current item without a GetItem. dynalite drops the parameter and answers without the item.
 *
 * This wraps dynalite's own request listener (no extra hop): a failed conditional write that asked for the item gets
 * it added to the error, read with a consistent GetItem right after the failure, and the body's CRC32 header is
 * made again. One difference from DynamoDB is left: the item is read just after the failed write, not inside it, so
 * a write landing in between shows in it. A caller that retries on the item it got is no worse off than with a
 * GetItem of its own.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { type AttributeValue, DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONDITIONAL_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const CONDITION_FAILED = 'ConditionalCheckFailedException';

type AttributeMap = Record<string, AttributeValue>;

interface ConditionalWrite {
  readonly TableName?: string;
  readonly Key?: AttributeMap;
  readonly Item?: AttributeMap;
  readonly ReturnValuesOnConditionCheckFailure?: string;
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** Gives dynalite's `server` the item on condition failures; `endpoint` is where that server listens. */
export function returnItemsOnConditionFailure(server: Server, endpoint: string): { close(): void } {
  const [dynaliteListener] = server.listeners('request') as RequestListener[];
  if (dynaliteListener === undefined) throw new Error('dynalite server has no request listener to wrap');
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const keyNames = new Map<string, Promise<string[]>>();

  const keyNamesOf = (tableName: string): Promise<string[]> => {
    let names = keyNames.get(tableName);
    if (names === undefined) {
      names = client
        .send(new DescribeTableCommand({ TableName: tableName }))
        .then((answer) => (answer.Table?.KeySchema ?? []).flatMap((key) => (key.AttributeName ? [key.AttributeName] : [])));
      keyNames.set(tableName, names);
    }
    return names;
  };

  const currentItem = async (write: ConditionalWrite): Promise<AttributeMap | undefined> => {
    if (write.TableName === undefined) return undefined;
    let key = write.Key;
    if (key === undefined && write.Item !== undefined) {
      const item = write.Item;
      key = Object.fromEntries((await keyNamesOf(write.TableName)).flatMap((name) => (item[name] ? [[name, item[name]]] : [])));
    }
    if (key === undefined) return undefined;
    const answer = await client.send(new GetItemCommand({ TableName: write.TableName, Key: key, ConsistentRead: true }));
    return answer.Item;
  };

  server.removeListener('request', dynaliteListener);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const target = request.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    if (!CONDITIONAL_WRITES.has(operation)) {
      dynaliteListener(request, response);
      return;
    }
    // dynalite reads the body with its own 'data' listener; this one sees the same chunks.
    const sent: Buffer[] = [];
    request.on('data', (chunk: Buffer) => sent.push(chunk));
    const end = response.end.bind(response) as (body?: unknown) => ServerResponse;
    response.end = ((body?: unknown) => {
      if (response.statusCode !== 400 || (typeof body !== 'string' && !Buffer.isBuffer(body))) return end(body);
      const error = JSON.parse(String(body)) as { __type?: string; Item?: AttributeMap };
      const write = JSON.parse(Buffer.concat(sent).toString('utf8') || '{}') as ConditionalWrite;
      if (!error.__type?.endsWith(`#${CONDITION_FAILED}`) || write.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD') return end(body);
      void currentItem(write)
        .then((item) => {
          if (item === undefined) return end(body);
          const withItem = Buffer.from(JSON.stringify({ ...error, Item: item }), 'utf8');
          response.setHeader('Content-Length', withItem.length);
          response.setHeader('x-amz-crc32', crc32(withItem));
          return end(withItem);
        })
        .catch(() => end(body));
      return response;
    }) as ServerResponse['end'];
    dynaliteListener(request, response);
  });
  return { close: () => client.destroy() };
}
