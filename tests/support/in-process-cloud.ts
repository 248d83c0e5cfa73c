/** tests/support/test-cloud's TestCloud, with simulator options (lowered quotas, seeds) for fault tests. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startSimulator, type SimulatorOptions } from '@vpc-mirror-orchestrator/ec2-sim';
import { startCapturingEventBus } from './event-bus';
import { startLedgerTable } from './ledger-table';
import type { TestCloud } from './test-cloud';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export async function startCloudWith(simulator: SimulatorOptions): Promise<TestCloud> {
  const [sim, table, bus] = await Promise.all([startSimulator({ transitionDelayMs: 1, ...simulator }), startLedgerTable(), startCapturingEventBus()]);
  const ec2 = new EC2Client({ endpoint: sim.url, region: 'eu-west-1', credentials, maxAttempts: 10 });
  const dynamo = new DynamoDBClient({ endpoint: table.endpoint, region: 'eu-west-1', credentials });
  return {
    sim,
    table,
    bus,
    ec2,
    documents: DynamoDBDocumentClient.from(dynamo),
    async stop() {
      ec2.destroy();
      dynamo.destroy();
      await Promise.all([sim.stop(), table.stop(), bus.stop()]);
    },
  };
}
