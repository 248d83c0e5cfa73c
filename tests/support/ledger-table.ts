/**
 * dynalite on loopback with the ledger table exactly as serverless.yml defines it (the local cloud's own reading of
 * the template: local/cloud), so the tests and the stack cannot drift apart. dynalite has no TTL sweeper; expiresAt
 * is only asserted as a value.
 */
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable, planTable, startDynalite } from '../../local/cloud/ledger-table';
import { readStack } from '../../local/cloud/stack';

const SERVERLESS_YML = path.resolve(__dirname, '..', '..', 'serverless.yml');
const REGION = 'eu-west-1';

export interface LedgerTable {
  readonly endpoint: string;
  readonly tableName: string;
  stop(): Promise<void>;
}

let ledgerTableProperties: Readonly<Record<string, unknown>> | undefined;

export async function startLedgerTable(tableName = 'vpc-mirror-ledger-test'): Promise<LedgerTable> {
  ledgerTableProperties ??= readStack(SERVERLESS_YML).ledgerTable;
  const dynamo = await startDynalite();
  await createTable(dynamo.endpoint, REGION, planTable(ledgerTableProperties, tableName));
  return { endpoint: dynamo.endpoint, tableName, stop: dynamo.stop };
}

/** A DynamoDB client of the real SDK pointed at the table's local endpoint, in the tables' Region. */
export function clientOf(table: Pick<LedgerTable, 'endpoint'>): DynamoDBClient {
  return new DynamoDBClient({ endpoint: table.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}
