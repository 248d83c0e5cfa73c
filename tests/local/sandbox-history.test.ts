/**
 * The sandbox reads the ledger's history back for its summary: for an organization, the history of every scope
 * (the hub's home keys and each member account and Region's prefixed keys), written by the real ledger adapter
 * into dynalite.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readHistory } from '../../local/sandbox/history';
import { createLedger } from '../../shared/aws/ledger';
import { keyScopeOf } from '../../shared/aws/ledger/keys';
import { clientOf, type LedgerTable, startLedgerTable } from '../support/ledger-table';

let table: LedgerTable;
let client: DynamoDBClient;

beforeAll(async () => {
  table = await startLedgerTable();
  client = clientOf(table);
});

afterAll(async () => {
  client?.destroy();
  await table?.stop();
});

function ledgerIn(keyScope: string) {
  return createLedger({ documents: DynamoDBDocumentClient.from(client), tableName: table.tableName, historyTtlDays: 1, keyScope });
}

describe('the sandbox history', () => {
  it("reads the home scope's history and every member scope's, only for the instances asked", async () => {
    const entry = { action: 'attach', reason: 'eligible', triggerEventId: 'e-1', eniId: 'eni-0aaaaaaaaaaaaaaa1' } as const;
    await ledgerIn('').writeRecords({ history: [{ ...entry, instanceId: 'i-0home000000000001' }], outbox: [] });
    await ledgerIn(keyScopeOf('444455556666', 'us-east-1')).writeRecords({
      history: [{ ...entry, instanceId: 'i-0member0000000001' }],
      outbox: [],
    });
    await ledgerIn(keyScopeOf('444455556666', 'eu-west-1')).writeRecords({
      history: [{ ...entry, instanceId: 'i-0notasked00000001' }],
      outbox: [],
    });

    const history = await readHistory({ endpoint: table.endpoint, region: 'eu-west-1', tableName: table.tableName }, [
      'i-0home000000000001',
      'i-0member0000000001',
    ]);

    expect(history.map((row) => [row.instanceId, row.action, row.reason, row.eniId])).toEqual([
      ['i-0home000000000001', 'attach', 'eligible', 'eni-0aaaaaaaaaaaaaaa1'],
      ['i-0member0000000001', 'attach', 'eligible', 'eni-0aaaaaaaaaaaaaaa1'],
    ]);
  });
});
