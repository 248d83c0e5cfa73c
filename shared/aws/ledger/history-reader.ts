/**
 * The ledger's history items of every (account, Region) (`pk=history#<instanceId>` for the home scope,
 * `<account>#<region>#history#<instanceId>` for another: keys.ts), all of them, for the audit report: one paginated
 * Scan.
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { HistoryReaderPort, ScopedHistoryRecord } from '../../converge/governance-ports';
import { withDomainErrors } from '../error-mapping';

const SCOPED_HISTORY = /^(?:(\d{12})#([a-z0-9-]+)#)?history#/;

export function createHistoryReader(options: { documents: DynamoDBDocumentClient; tableName: string }): HistoryReaderPort {
  const { documents, tableName } = options;
  return {
    async readHistory(): Promise<ScopedHistoryRecord[]> {
      const records: ScopedHistoryRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await withDomainErrors('DynamoDB Scan (history)', () =>
          documents.send(
            new ScanCommand({
              TableName: tableName,
              FilterExpression: 'contains(pk, :history)',
              ExpressionAttributeValues: { ':history': 'history#' },
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        for (const item of page.Items ?? []) {
          const scope = SCOPED_HISTORY.exec(String(item.pk));
          if (scope === null) continue;
          const [, accountId, region] = scope;
          records.push({
            at: String(item.at),
            instanceId: String(item.instanceId),
            action: String(item.action),
            reason: String(item.reason),
            ...(typeof item.eniId === 'string' ? { eniId: item.eniId } : {}),
            ...(typeof item.sessionId === 'string' ? { sessionId: item.sessionId } : {}),
            ...(typeof item.targetId === 'string' ? { targetId: item.targetId } : {}),
            ...(accountId !== undefined && region !== undefined ? { accountId, region } : {}),
          });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return records;
    },
  };
}
