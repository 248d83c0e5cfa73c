/**
 * The local DynamoDB answers a failed conditional write as DynamoDB does (API reference, PutItem / UpdateItem /
 * DeleteItem: ReturnValuesOnConditionCheckFailure; ConditionalCheckFailedException.Item): with ALL_OLD the error
 * carries the item whose condition failed, without it (or with NONE) it does not. The real SDK over loopback; the
 * body's CRC32 header (which botocore, the AWS CLI's client, checks on every DynamoDB answer) over raw HTTP.
 */
import http from 'node:http';
import { crc32 } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { clientOf, type LedgerTable, startLedgerTable } from '../support/ledger-table';

let table: LedgerTable;
let dynamo: DynamoDBClient;
const key = { pk: { S: 'eni#eni-0aaaaaaaaaaaaaaaa' }, sk: { S: 'eni' } };
const stored = { ...key, version: { N: '3' }, note: { S: 'written first' } };

beforeAll(async () => {
  table = await startLedgerTable();
  dynamo = clientOf(table);
  await dynamo.send(new PutItemCommand({ TableName: table.tableName, Item: stored }));
});

afterAll(async () => {
  dynamo.destroy();
  await table.stop();
});

/** The error a write answered with (it must fail). */
async function failureOf(write: Promise<unknown>): Promise<ConditionalCheckFailedException> {
  const error = await write.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(ConditionalCheckFailedException);
  return error as ConditionalCheckFailedException;
}

describe('ReturnValuesOnConditionCheckFailure', () => {
  it('puts the item whose condition failed into a PutItem error with ALL_OLD', async () => {
    const failure = await failureOf(
      dynamo.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: { ...key, version: { N: '1' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect(failure.Item).toEqual(stored);
  });

  it('does so for UpdateItem and DeleteItem', async () => {
    const condition = { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': { N: '2' } } };
    const update = await failureOf(
      dynamo.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: key,
          UpdateExpression: 'SET note = :n',
          ...condition,
          ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ':n': { S: 'lost' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    const deletion = await failureOf(
      dynamo.send(
        new DeleteItemCommand({ TableName: table.tableName, Key: key, ...condition, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      ),
    );
    expect(update.Item).toEqual(stored);
    expect(deletion.Item).toEqual(stored);
  });

  it('leaves the item out without ALL_OLD, and when there is no item', async () => {
    const unasked = await failureOf(
      dynamo.send(new PutItemCommand({ TableName: table.tableName, Item: key, ConditionExpression: 'attribute_not_exists(pk)' })),
    );
    const none = await failureOf(
      dynamo.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: key,
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'NONE',
        }),
      ),
    );
    const missing = await failureOf(
      dynamo.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: { pk: { S: 'eni#eni-0bbbbbbbbbbbbbbbb' }, sk: { S: 'eni' } },
          UpdateExpression: 'SET note = :n',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':n': { S: 'never' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect([unasked.Item, none.Item, missing.Item]).toEqual([undefined, undefined, undefined]);
  });

  it('sends the changed error with the CRC32 header of its own body', async () => {
    const answer = await postRaw('PutItem', {
      TableName: table.tableName,
      Item: key,
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });

    expect(JSON.parse(answer.body.toString('utf8'))).toEqual(expect.objectContaining({ Item: stored }));
    expect(answer.crc32).toBe(String(crc32(answer.body)));
  });
});

/** One DynamoDB JSON request without the SDK (dynalite checks the Authorization header's shape, not its signature). */
function postRaw(operation: string, request: unknown): Promise<{ body: Buffer; crc32: string | undefined }> {
  const { hostname, port } = new URL(table.endpoint);
  const payload = Buffer.from(JSON.stringify(request), 'utf8');
  return new Promise((resolve, reject) => {
    const sent = http.request(
      {
        host: hostname,
        port,
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': payload.length,
          'x-amz-target': `DynamoDB_20120810.${operation}`,
          'x-amz-date': '20261205T000000Z',
          authorization:
            'AWS4-HMAC-SHA256 Credential=test/20261205/eu-west-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00',
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const header = response.headers['x-amz-crc32'];
          resolve({ body: Buffer.concat(chunks), crc32: Array.isArray(header) ? header[0] : header });
        });
      },
    );
    sent.on('error', reject);
    sent.end(payload);
  });
}
