/**
 * dynalite as the local DynamoDB (with the condition failure's item DynamoDB returns, condition-failure-item.ts),
 * with the ledger table created from serverless.yml's LedgerTable properties.
 * dynalite knows only the core CreateTable shape; what it would reject (TTL, PITR, SSE, tags, streams...) is
 * left out and reported, so the caller can say what the local table does not do.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { returnItemsOnConditionFailure } from './condition-failure-item';

const TABLE_KEYS_DYNALITE_TAKES = new Set([
  'AttributeDefinitions',
  'KeySchema',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'BillingMode',
  'ProvisionedThroughput',
]);
const INDEX_KEYS_DYNALITE_TAKES = new Set(['IndexName', 'KeySchema', 'Projection', 'ProvisionedThroughput']);

export interface LocalDynamo {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const conditionFailureItems = returnItemsOnConditionFailure(server, endpoint);
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        conditionFailureItems.close();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

export interface TablePlan {
  readonly input: CreateTableCommandInput;
  /** CloudFormation properties left out because dynalite does not support them (e.g. TimeToLiveSpecification). */
  readonly dropped: readonly string[];
}

/** Turns CloudFormation AWS::DynamoDB::Table properties into a CreateTable request dynalite accepts. */
export function planTable(properties: Readonly<Record<string, unknown>>, tableName: string): TablePlan {
  const dropped: string[] = [];
  const input: Record<string, unknown> = { TableName: tableName };
  for (const [key, value] of Object.entries(properties)) {
    if (key === 'TableName') continue;
    if (!TABLE_KEYS_DYNALITE_TAKES.has(key)) {
      dropped.push(key);
      continue;
    }
    if (key === 'GlobalSecondaryIndexes' || key === 'LocalSecondaryIndexes') {
      input[key] = (value as Array<Record<string, unknown>>).map((index) => {
        const kept: Record<string, unknown> = {};
        for (const [indexKey, indexValue] of Object.entries(index)) {
          if (INDEX_KEYS_DYNALITE_TAKES.has(indexKey)) kept[indexKey] = indexValue;
          else dropped.push(`${key}.${String(index['IndexName'])}.${indexKey}`);
        }
        return kept;
      });
    } else {
      input[key] = value;
    }
  }
  if (!input['KeySchema'] || !input['AttributeDefinitions']) {
    throw new Error('LedgerTable.Properties must define KeySchema and AttributeDefinitions');
  }
  return { input: input as unknown as CreateTableCommandInput, dropped };
}

export async function createTable(endpoint: string, region: string, plan: TablePlan): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(new CreateTableCommand(plan.input));
    await waitUntilTableExists({ client, maxWaitTime: 10, minDelay: 1 }, { TableName: plan.input.TableName });
  } finally {
    client.destroy();
  }
}
