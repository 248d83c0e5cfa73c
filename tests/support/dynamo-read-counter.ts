/**
 * A DynamoDB client on the test cloud's dynalite that counts what its callers read: items DynamoDB examined (Query
 * and Scan `ScannedCount`, what on-demand read capacity is billed on), items GetItem and BatchGetItem returned, and
 * requests per operation. A middleware on the client, so the product's own adapters are measured as they run.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type TranslateConfig } from '@aws-sdk/lib-dynamodb';

export interface DynamoReads {
  /** Items examined or returned by reads (Query/Scan ScannedCount, GetItem's item, BatchGetItem's responses). */
  readonly itemsRead: number;
  readonly requests: Readonly<Record<string, number>>;
}

export interface DynamoReadCounter {
  readonly documents: DynamoDBDocumentClient;
  reads(): DynamoReads;
  reset(): void;
  destroy(): void;
}

interface ReadAnswer {
  ScannedCount?: number;
  Item?: unknown;
  Responses?: Record<string, unknown[]>;
}

function itemsIn(operation: string, output: ReadAnswer): number {
  if (operation === 'Query' || operation === 'Scan') return output.ScannedCount ?? 0;
  if (operation === 'GetItem') return output.Item === undefined ? 0 : 1;
  if (operation === 'BatchGetItem') return Object.values(output.Responses ?? {}).reduce((sum, items) => sum + items.length, 0);
  return 0;
}

export function startDynamoReadCounter(
  table: { endpoint: string },
  region = 'eu-west-1',
  translate: TranslateConfig = {},
): DynamoReadCounter {
  const client = new DynamoDBClient({ endpoint: table.endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  let itemsRead = 0;
  let requests: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      requests[operation] = (requests[operation] ?? 0) + 1;
      const answer = await next(args);
      itemsRead += itemsIn(operation, answer.output as ReadAnswer);
      return answer;
    },
    { step: 'initialize', name: 'countItemsRead' },
  );
  return {
    documents: DynamoDBDocumentClient.from(client, translate),
    reads: () => ({ itemsRead, requests: { ...requests } }),
    reset: () => {
      itemsRead = 0;
      requests = {};
    },
    destroy: () => client.destroy(),
  };
}
