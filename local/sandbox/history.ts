/** Reads the ledger's history back (pk=history#<instanceId>), through the real DynamoDB SDK against dynalite. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { HistoryEntry } from './summary';

export interface HistoryReaderOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly tableName: string;
}

export async function readHistory(options: HistoryReaderOptions, instanceIds: readonly string[]): Promise<HistoryEntry[]> {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  });
  const documents = DynamoDBDocumentClient.from(client);
  try {
    const entries: HistoryEntry[] = [];
    for (const instanceId of instanceIds) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new QueryCommand({
            TableName: options.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `history#${instanceId}` },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) entries.push(toEntry(instanceId, item));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return entries;
  } finally {
    client.destroy();
  }
}

/** The ledger writes each HistoryEntry as the item's attributes (shared/aws/ledger/history.ts), with `at`. */
function toEntry(instanceId: string, item: Record<string, unknown>): HistoryEntry {
  return {
    instanceId,
    action: String(item.action),
    reason: typeof item.reason === 'string' ? item.reason : '',
    at: String(item.at),
    ...(typeof item.eniId === 'string' ? { eniId: item.eniId } : {}),
  };
}
