/**
 * The stack on loopback for reliability tests: startLocalCloud (dynalite + simulator + bus + LocalLambda child
 * processes running the real handlers), a filter and a target pool made through the EC2 SDK, and helpers to launch
 * instances and read the outcome.
 */
import {
  CreateTagsCommand,
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorTargetCommand,
  DeleteTagsCommand,
  EC2Client,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../local/cloud';
import type { Simulator } from '@vpc-mirror-orchestrator/ec2-sim';
import { ledgerProblems, OWNER_TAG, type LedgerProblem } from '../../local/oracle';
import type { Endpoints } from './deps';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

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
  launch(options?: { type?: string; tagged?: boolean; interfaces?: number; zone?: string; count?: number }): Promise<Array<{ instanceId: string; eniIds: string[] }>>;
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
    const filter = await ec2.send(new CreateTrafficMirrorFilterCommand({ Description: 'reliability' }));
    const filterId = filter.TrafficMirrorFilter?.TrafficMirrorFilterId as string;

    const launch: ReliabilityCloud['launch'] = async (launchOptions = {}) => {
      const tags = launchOptions.tagged === false ? [] : [{ Key: 'traffic-mirror', Value: 'true' }];
      const count = launchOptions.count ?? 1;
      const answer = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-0123456789abcdef0',
          MinCount: count,
          MaxCount: count,
          InstanceType: (launchOptions.type ?? 'm5.large') as _InstanceType,
          Placement: { AvailabilityZone: launchOptions.zone ?? `${region}a` },
          NetworkInterfaces: Array.from({ length: launchOptions.interfaces ?? 1 }, (_, index) => ({ DeviceIndex: index })),
          ...(tags.length > 0 ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}),
        }),
      );
      await sim.settle();
      return (answer.Instances ?? []).map((instance) => ({
        instanceId: instance.InstanceId as string,
        eniIds: [...(instance.NetworkInterfaces ?? [])]
          .sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0))
          .map((eni) => eni.NetworkInterfaceId as string),
      }));
    };

    const targetIds: string[] = [];
    for (let i = 0; i < (options.interfaceTargets ?? 1); i += 1) {
      const [host] = await launch({ type: 'c5.large', tagged: false });
      const target = await ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: host?.eniIds[0] }));
      targetIds.push(target.TrafficMirrorTarget?.TrafficMirrorTargetId as string);
    }
    if (options.withLoadBalancerTarget ?? true) {
      const arn = `arn:aws:elasticloadbalancing:${region}:111122223333:loadbalancer/net/mirror/0123456789abcdef`;
      const target = await ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkLoadBalancerArn: arn }));
      targetIds.push(target.TrafficMirrorTarget?.TrafficMirrorTargetId as string);
    }
    await cloud.deployFunctions({
      MIRROR_TARGET_IDS: targetIds.join(','),
      MIRROR_FILTER_ID: filterId,
      POWERTOOLS_LOG_LEVEL: 'WARN',
      ...options.configuration,
    });
    const ownerId = options.configuration?.MIRROR_OWNER_ID ?? 'vpc-mirror-orchestrator-dev';
    const settleInstance = () => sim.settle();

    return {
      cloud,
      sim,
      ec2,
      documents,
      filterId,
      targetIds,
      ownerId,
      endpoints: { ec2: cloud.ec2Endpoint as string, eventBridge: cloud.eventBridgeEndpoint, tableName: cloud.tableName, documents },
      launch,
      async tag(instanceId) {
        await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'traffic-mirror', Value: 'true' }] }));
        await settleInstance();
      },
      async untag(instanceId) {
        await ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'traffic-mirror' }] }));
        await settleInstance();
      },
      async stopInstance(instanceId) {
        await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
        await settleInstance();
      },
      async startInstance(instanceId) {
        await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
        await settleInstance();
      },
      async terminate(instanceId) {
        await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
        await settleInstance();
      },
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
