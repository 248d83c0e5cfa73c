/**
 * mirrorctl's own AWS adapter: the ledger's history items of every (account, Region), for `report` across an
 * organization. The functions' reader (shared/aws/ledger/history-reader.ts) reads the home scope's `history#` keys;
 * the items of another scope start with `<account>#<region>#` (shared/aws/ledger/keys.ts), which this one parses.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocuments, sts } from '../../shared/aws/clients';
import { withDomainErrors } from '../../shared/aws/error-mapping';
import { callerAccountId } from '../../shared/aws/spoke-clients';
import type { HistoryRecord } from '../../shared/domain/mirrored-intervals';

const SCOPED_HISTORY = /^(?:(\d{12})#([a-z0-9-]+)#)?history#/;

export interface ScopedHistoryRecord extends HistoryRecord {
  /** Undefined for the home scope's items (the hub's own account and Region). */
  readonly accountId?: string;
  readonly region?: string;
}

export async function readEveryScopeHistory(tableName: string): Promise<ScopedHistoryRecord[]> {
  const documents = dynamoDocuments();
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
}

/** The account the credentials act in: the hub's, whose home-scope items carry no prefix. */
export function credentialsAccountId(): Promise<string> {
  return callerAccountId(sts());
}
