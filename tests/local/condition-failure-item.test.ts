/**
 * The local DynamoDB answers a failed conditional write as DynamoDB does (API reference, PutItem / UpdateItem /
 * DeleteItem: ReturnValuesOnConditionCheckFailure; ConditionalCheckFailedException.Item): with ALL_OLD the error
 * carries the item whose condition failed, without it (or with NONE) it does not. The real SDK over loopback.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type LedgerTable, startLedgerTable } from '../support/ledger-table';

let table: LedgerTable;
let dynamo: DynamoDBClient;
const key = { pk: { S: 'eni#eni-0aaaaaaaaaaaaaaaa' }, sk: { S: 'eni' } };
const stored = { ...key, version: { N: '3' }, note: { S: 'written first' } };

beforeAll(async () => {
  table = await startLedgerTable();
  dynamo = new DynamoDBClient({
    endpoint: table.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
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
});
