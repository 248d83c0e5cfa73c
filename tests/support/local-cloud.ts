/**
 * The stack on loopback for reliability tests: startLocalCloud (dynalite + simulator + bus + LocalLambda child
 * processes running the real handlers), a filter and a target pool made through the EC2 SDK, and the tests' one
 * EC2 driver (Ec2Seeder) to launch instances and change them; the oracle reads the outcome.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Simulator } from '@vpc-mirror-orchestrator/ec2-sim';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../../local/cloud';
import { type LedgerProblem, ledgerProblems, OWNER_TAG } from '../../local/oracle';
import type { Endpoints } from './deps';
import { Ec2Seeder } from './test-cloud';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const OPT_IN_TAG = { 'traffic-mirror': 'true' };

export interface ReliabilityCloud {
  readonly cloud: LocalCloud;
  readonly sim: Simulator;
  readonly ec2: EC2Client;
  readonly documents: DynamoDBDocumentClient;
  readonly filterId: string;
  readonly targetIds: readonly string[];
  readonly endpoints: Endpoints;
  /** MIRROR_OWNER_ID of the deployed functions (the stack's). */
  readonly ownerId: string;
  launch(options?: {
    type?: string;
    tagged?: boolean;
    interfaces?: number;
    zone?: string;
    count?: number;
  }): Promise<Array<{ instanceId: string; eniIds: string[] }>>;
  tag(instanceId: string): Promise<void>;
  untag(instanceId: string): Promise<void>;
  stopInstance(instanceId: string): Promise<void>;
  startInstance(instanceId: string): Promise<void>;
  terminate(instanceId: string): Promise<void>;
  managedSessionsOn(eniIds: readonly string[]): ReturnType<Simulator['snapshot']>['sessions'];
  ledgerProblems(): Promise<LedgerProblem[]>;
  stop(): Promise<void>;
}

export interface ReliabilityCloudOptions extends LocalCloudOptions {
  /** Targets in the pool: network-interface targets (10 sources each) then one NLB target. Default 1 + NLB. */
  readonly interfaceTargets?: number;
  readonly withLoadBalancerTarget?: boolean;
  readonly configuration?: Readonly<Record<string, string>>;
}

export async function startReliabilityCloud(options: ReliabilityCloudOptions): Promise<ReliabilityCloud> {
  const cloud = await startLocalCloud(options);
  try {
    const sim = cloud.simulator as Simulator;
    const region = cloud.region;
    const ec2 = new EC2Client({ endpoint: cloud.ec2Endpoint, region, credentials, maxAttempts: 10 });
    const dynamo = new DynamoDBClient({ endpoint: cloud.dynamodbEndpoint, region, credentials });
    const documents = DynamoDBDocumentClient.from(dynamo);
    const driver = new Ec2Seeder({ ec2, sim, region });
    const filterId = await driver.filter();

    const launch: ReliabilityCloud['launch'] = (launchOptions = {}) =>
      driver.launchMany(launchOptions.count ?? 1, {
        ...(launchOptions.type ? { type: launchOptions.type } : {}),
        ...(launchOptions.interfaces ? { interfaces: launchOptions.interfaces } : {}),
        ...(launchOptions.zone ? { zone: launchOptions.zone } : {}),
        ...(launchOptions.tagged === false ? {} : { tags: OPT_IN_TAG }),
      });

    const targetIds: string[] = [];
    for (let i = 0; i < (options.interfaceTargets ?? 1); i += 1) targetIds.push(await driver.interfaceTarget());
    if (options.withLoadBalancerTarget ?? true) targetIds.push(await driver.loadBalancerTarget());
    await cloud.deployFunctions({
      MIRROR_TARGET_IDS: targetIds.join(','),
      MIRROR_FILTER_ID: filterId,
      POWERTOOLS_LOG_LEVEL: 'WARN',
      ...options.configuration,
    });
    const ownerId = options.configuration?.MIRROR_OWNER_ID ?? 'vpc-mirror-orchestrator-dev';

    return {
      cloud,
      sim,
      ec2,
      documents,
      filterId,
      targetIds,
      ownerId,
      endpoints: {
        ec2: cloud.ec2Endpoint as string,
        region,
        eventBridge: cloud.eventBridgeEndpoint,
        tableName: cloud.tableName,
        documents,
      },
      launch,
      tag: (instanceId) => driver.tag(instanceId, OPT_IN_TAG),
      untag: (instanceId) => driver.untag(instanceId, 'traffic-mirror'),
      stopInstance: (instanceId) => driver.stop(instanceId),
      startInstance: (instanceId) => driver.start(instanceId),
      terminate: (instanceId) => driver.terminate(instanceId),
      managedSessionsOn(eniIds) {
        return sim.snapshot().sessions.filter((s) => eniIds.includes(s.networkInterfaceId) && s.tags[OWNER_TAG] !== undefined);
      },
      async ledgerProblems() {
        return ledgerProblems({ documents, tableName: cloud.tableName }, sim.snapshot());
      },
      async stop() {
        ec2.destroy();
        dynamo.destroy();
        await cloud.stop();
      },
    };
  } catch (error) {
    await cloud.stop().catch(() => undefined);
    throw error;
  }
}
