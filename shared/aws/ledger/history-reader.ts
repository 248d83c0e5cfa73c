/** The ledger's history items (`pk=history#<instanceId>`), all of them, for the audit report: one paginated Scan. */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { HistoryReaderPort } from '../../converge/governance-ports';
import type { HistoryRecord } from '../../domain/mirrored-intervals';
import { withDomainErrors } from '../error-mapping';

export function createHistoryReader(options: { documents: DynamoDBDocumentClient; tableName: string }): HistoryReaderPort {
  const { documents, tableName } = options;
  return {
    async readHistory(): Promise<HistoryRecord[]> {
      const records: HistoryRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await withDomainErrors('DynamoDB Scan (history)', () =>
          documents.send(
            new ScanCommand({
              TableName: tableName,
              FilterExpression: 'begins_with(pk, :history)',
              ExpressionAttributeValues: { ':history': 'history#' },
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        for (const item of page.Items ?? []) {
          records.push({
            at: String(item.at),
            instanceId: String(item.instanceId),
            action: String(item.action),
            reason: String(item.reason),
            ...(typeof item.eniId === 'string' ? { eniId: item.eniId } : {}),
            ...(typeof item.sessionId === 'string' ? { sessionId: item.sessionId } : {}),
            ...(typeof item.targetId === 'string' ? { targetId: item.targetId } : {}),
          });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return records;
    },
  };
}
