/**
 * A DynamoDB client for converge's wiring that counts every HTTP request it sends, by operation: a middleware
 * inside the SDK's retry loop, so a retried attempt counts as the request it is. The real SDK over HTTP against
 * the test cloud's dynalite; only the counting is added.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface CountedDocuments {
  readonly documents: DynamoDBDocumentClient;
  /** Requests sent since the last reset, by operation (GetItem, BatchWriteItem, ...). */
  byOperation(): Readonly<Record<string, number>>;
  total(): number;
  reset(): void;
  destroy(): void;
}

export function countedDocuments(endpoint: string, region = 'eu-west-1'): CountedDocuments {
  const client = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  let counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counts[operation] = (counts[operation] ?? 0) + 1;
      return next(args);
    },
    // finalizeRequest, below the retry middleware: once per attempt sent over HTTP.
    { step: 'finalizeRequest', priority: 'low', name: 'countDynamoRequests' },
  );
  return {
    documents: DynamoDBDocumentClient.from(client),
    byOperation: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((sum, count) => sum + count, 0),
    reset() {
      counts = {};
    },
    destroy: () => client.destroy(),
  };
}
