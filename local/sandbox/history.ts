/** Reads the ledger's history back (pk=[<scope>]history#<instanceId>), through the real DynamoDB SDK against dynalite. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { unscopedPk } from '../../shared/aws/ledger/keys';
import type { HistoryEntry } from './summary';

const HISTORY_PREFIX = 'history#';

export interface HistoryReaderOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly tableName: string;
}

/**
 * The history of `instanceIds` in every scope of the ledger: the home scope's `history#<id>` and, for an
 * organization, each other (account, Region)'s `<account>#<region>#history#<id>`. One scan of the history items
 * (a sandbox's table is small), rather than one query per instance and scope the caller would have to know.
 */
export async function readHistory(options: HistoryReaderOptions, instanceIds: readonly string[]): Promise<HistoryEntry[]> {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  });
  const documents = DynamoDBDocumentClient.from(client);
  const wanted = new Set(instanceIds);
  try {
    const entries: HistoryEntry[] = [];
    const pages = paginateScan(
      { client: documents },
      {
        TableName: options.tableName,
        ConsistentRead: true,
        FilterExpression: 'contains(pk, :history)',
        ExpressionAttributeValues: { ':history': HISTORY_PREFIX },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const pk = unscopedPk(String(item.pk));
        const instanceId = pk.slice(HISTORY_PREFIX.length);
        if (pk.startsWith(HISTORY_PREFIX) && wanted.has(instanceId)) entries.push(toEntry(instanceId, item));
      }
    }
    // In each instance's order of writing, as a query per instance would answer (sk starts with the time).
    return entries.sort((a, b) => a.instanceId.localeCompare(b.instanceId) || a.at.localeCompare(b.at));
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
