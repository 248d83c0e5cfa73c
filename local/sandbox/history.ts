/** Reads the ledger's history back (pk=[<scope>]history#<instanceId>), through the real DynamoDB SDK against dynalite. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHistoryReader } from '../../shared/aws/ledger/history-reader';
import type { HistoryEntry } from './summary';

export interface HistoryReaderOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly tableName: string;
}

/**
 * The history of `instanceIds` in every scope of the ledger: the home scope's `history#<id>` and, for an
 * organization, each other (account, Region)'s `<account>#<region>#history#<id>`, read by the product's own history
 * reader (one Scan: a sandbox's table is small), in each instance's order of writing.
 */
export async function readHistory(options: HistoryReaderOptions, instanceIds: readonly string[]): Promise<HistoryEntry[]> {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  });
  const wanted = new Set(instanceIds);
  try {
    const records = await createHistoryReader({
      documents: DynamoDBDocumentClient.from(client),
      tableName: options.tableName,
    }).readHistory();
    return records
      .filter((record) => wanted.has(record.instanceId))
      .map((record) => ({
        instanceId: record.instanceId,
        action: record.action,
        reason: record.reason,
        at: record.at,
        ...(record.eniId !== undefined ? { eniId: record.eniId } : {}),
      }))
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId) || a.at.localeCompare(b.at));
  } finally {
    client.destroy();
  }
}
