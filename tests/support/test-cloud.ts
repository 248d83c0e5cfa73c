/**
 * Everything an integration test file needs on loopback: the EC2 simulator, dynalite with the ledger table and a
 * capturing event bus, plus the environment the handlers read at module load (endpoints only through the SDK's
 * AWS_ENDPOINT_URL_<SERVICE> variables, exactly as in production).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _InstanceType,
  CreateNetworkInterfaceCommand,
  CreateTagsCommand,
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorSessionCommand,
  CreateTrafficMirrorTargetCommand,
  DeleteTagsCommand,
  DeleteTrafficMirrorSessionCommand,
  EC2Client,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type Simulator, type SimulatorOptions, startSimulator } from '@vpc-mirror-orchestrator/ec2-sim';
import { LocalQueue, type SqsEndpoint, startSqsEndpoint } from '@vpc-mirror-orchestrator/local-lambda';
import type { Handler, SQSBatchResponse } from 'aws-lambda';
import { ledgerProblems, OWNER_TAG } from '../../local/oracle';
import { type CapturingEventBus, startCapturingEventBus } from './event-bus';
import { EVENT_FIXTURES } from './fixtures-path';
import { type LedgerTable, startLedgerTable } from './ledger-table';
import { QUEUE_ARN } from './trigger-events';

const REGION = 'eu-west-1';
const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const FIXTURE_INSTANCE_ID = 'i-0a1b2c3d4e5f60718';

export interface TestCloud {
  readonly sim: Simulator;
  readonly table: LedgerTable;
  readonly bus: CapturingEventBus;
  /** The queue sqsBatchOf's records name, behind an SQS endpoint: what the handlers send back to it stays here. */
  readonly queue: LocalQueue;
  readonly sqs: SqsEndpoint;
  readonly ec2: EC2Client;
  readonly documents: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/**
 * `simulator`: options for the simulator (lowered quotas, seeds, faults). The seeding client retries like the
 * functions' (up to 10 attempts), so arranging a test under injected throttling does not fail the arrangement.
 */
export async function startTestCloud(simulator: SimulatorOptions = {}): Promise<TestCloud> {
  const queue = new LocalQueue({ logicalId: 'TriggerQueue', name: QUEUE_ARN.split(':')[5] ?? 'trigger-queue', arn: QUEUE_ARN });
  const [sim, table, bus, sqs] = await Promise.all([
    startSimulator({ transitionDelayMs: 1, ...simulator }),
    startLedgerTable(),
    startCapturingEventBus(),
    startSqsEndpoint(() => [queue]),
  ]);
  const ec2 = new EC2Client({ endpoint: sim.url, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 10 });
  const dynamo = new DynamoDBClient({ endpoint: table.endpoint, region: REGION, credentials: TEST_CREDENTIALS });
  const documents = DynamoDBDocumentClient.from(dynamo);
  return {
    sim,
    table,
    bus,
    queue,
    sqs,
    ec2,
    documents,
    async stop() {
      ec2.destroy();
      dynamo.destroy();
      queue.close();
      await Promise.all([sim.stop(), table.stop(), bus.stop(), sqs.close()]);
    },
  };
}

/** The environment a deployed function would have, pointing at this cloud. Call before loading a handler. */
export function setFunctionEnvironment(
  cloud: TestCloud,
  settings: { targetIds: string[]; filterId: string; extra?: Record<string, string> },
): void {
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_EC2: cloud.sim.url,
    AWS_ENDPOINT_URL_DYNAMODB: cloud.table.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: cloud.bus.endpoint,
    AWS_ENDPOINT_URL_SQS: cloud.sqs.url,
    LEDGER_TABLE_NAME: cloud.table.tableName,
    EVENT_BUS_NAME: 'mirror-outcomes',
    MIRROR_TARGET_IDS: settings.targetIds.join(','),
    MIRROR_FILTER_ID: settings.filterId,
    POWERTOOLS_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...settings.extra,
  });
}

/** The environment of an organization's hub: no flat pool, the document in `parameterName`, STS, SSM and Organizations local. */
export function setOrganizationHubEnvironment(cloud: TestCloud, parameterName: string): void {
  setFunctionEnvironment(cloud, {
    targetIds: [],
    filterId: '',
    extra: {
      MIRROR_ORGANIZATION_PARAMETER: parameterName,
      AWS_ENDPOINT_URL_STS: cloud.sim.url,
      AWS_ENDPOINT_URL_SSM: cloud.sim.url,
      AWS_ENDPOINT_URL_ORGANIZATIONS: cloud.sim.url,
    },
  });
}

/** The instance-events function as a fresh container loads it: its own wiring and caches (the document read anew). */
export async function freshInstanceEvents(): Promise<Handler<unknown, SQSBatchResponse>> {
  let fresh: Handler<unknown, SQSBatchResponse> | undefined;
  await jest.isolateModulesAsync(async () => {
    fresh = (await import('../../functions/instance-events')).handler as Handler<unknown, SQSBatchResponse>;
  });
  if (fresh === undefined) throw new Error('the handler module did not load');
  return fresh;
}

/** A shared fixture event, rewritten to name `instanceId` (in `detail`, `resources` and CloudTrail's resourcesSet). */
export function fixtureEvent(name: string, instanceId: string, id?: string): Record<string, unknown> {
  const raw = readFileSync(join(EVENT_FIXTURES, `${name}.json`), 'utf8')
    .split(FIXTURE_INSTANCE_ID)
    .join(instanceId);
  const event = JSON.parse(raw) as Record<string, unknown>;
  return id === undefined ? event : { ...event, id };
}

export interface LaunchOptions {
  readonly type?: string;
  readonly tags?: Record<string, string>;
  /** Interfaces in total (device indexes 0..n-1). Default 1. */
  readonly interfaces?: number;
  readonly zone?: string;
  /** The primary ENI is made first and attached with DeleteOnTermination=false, so it outlives the instance. */
  readonly keepPrimaryOnTermination?: boolean;
}

export interface Launched {
  readonly instanceId: string;
  readonly eniIds: string[];
}

/** What the EC2 driver works through: an SDK client on the simulator, and the simulator to settle transitions. */
export interface Ec2World {
  readonly ec2: EC2Client;
  readonly sim: Simulator;
  /** Default eu-west-1 (the test cloud's). */
  readonly region?: string;
}

/**
 * The one EC2 driver of the tests: arranges instances, targets, filters and hand-made sessions through the real
 * SDK, and changes their state (tags, stop, start, terminate) as an operator would, waiting for the simulator to
 * settle each transition. Works on the in-process test cloud and on the local cloud alike.
 */
export class Ec2Seeder {
  private readonly region: string;

  constructor(private readonly cloud: Ec2World) {
    this.region = cloud.region ?? REGION;
  }

  async launch(options: LaunchOptions = {}): Promise<Launched> {
    const [launched] = await this.launchMany(1, options);
    if (launched === undefined) throw new Error('RunInstances returned no instance');
    return launched;
  }

  /** `count` instances in one RunInstances call, as an Auto Scaling group launches them. */
  async launchMany(count: number, options: LaunchOptions = {}): Promise<Launched[]> {
    const interfaces = options.interfaces ?? 1;
    const zone = options.zone ?? `${this.region}a`;
    const kept = options.keepPrimaryOnTermination ? await this.detachedInterface(zone) : undefined;
    const tags = Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    const answer = await this.cloud.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: count,
        MaxCount: count,
        InstanceType: (options.type ?? 'm5.large') as _InstanceType,
        Placement: { AvailabilityZone: zone },
        NetworkInterfaces: Array.from({ length: interfaces }, (_, index) =>
          index === 0 && kept ? { DeviceIndex: 0, NetworkInterfaceId: kept, DeleteOnTermination: false } : { DeviceIndex: index },
        ),
        ...(tags.length > 0 ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}),
      }),
    );
    await this.cloud.sim.settle();
    return (answer.Instances ?? []).map((instance) => ({
      instanceId: instance.InstanceId as string,
      eniIds: [...(instance.NetworkInterfaces ?? [])]
        .sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0))
        .map((eni) => eni.NetworkInterfaceId as string),
    }));
  }

  async detachedInterface(zone: string): Promise<string> {
    const subnet = this.cloud.sim.snapshot().subnets.find((candidate) => candidate.availabilityZone === zone);
    const answer = await this.cloud.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet?.subnetId }));
    return answer.NetworkInterface?.NetworkInterfaceId as string;
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.cloud.ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: sessionId }));
  }

  /** A network-interface target on its own (untagged) host in `zone`. */
  async interfaceTarget(zone = `${this.region}a`, hostType = 'c5.large'): Promise<string> {
    const host = await this.launch({ type: hostType, zone });
    const answer = await this.cloud.ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: host.eniIds[0] }));
    return answer.TrafficMirrorTarget?.TrafficMirrorTargetId as string;
  }

  /** A network-interface target on an ENI the caller chose (e.g. one of an instance tagged for mirroring). */
  async interfaceTargetOn(eniId: string): Promise<string> {
    const answer = await this.cloud.ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: eniId }));
    return answer.TrafficMirrorTarget?.TrafficMirrorTargetId as string;
  }

  async loadBalancerTarget(name = 'mirror'): Promise<string> {
    const arn = `arn:aws:elasticloadbalancing:${this.region}:111122223333:loadbalancer/net/${name}/0123456789abcdef`;
    const answer = await this.cloud.ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkLoadBalancerArn: arn }));
    return answer.TrafficMirrorTarget?.TrafficMirrorTargetId as string;
  }

  async gatewayEndpointTarget(endpointId = 'vpce-0123456789abcdef0'): Promise<string> {
    const answer = await this.cloud.ec2.send(new CreateTrafficMirrorTargetCommand({ GatewayLoadBalancerEndpointId: endpointId }));
    return answer.TrafficMirrorTarget?.TrafficMirrorTargetId as string;
  }

  async filter(): Promise<string> {
    const answer = await this.cloud.ec2.send(new CreateTrafficMirrorFilterCommand({ Description: 'test filter' }));
    return answer.TrafficMirrorFilter?.TrafficMirrorFilterId as string;
  }

  /** A session made by hand (no ownership tags), as an operator would. */
  async handMadeSession(eniId: string, targetId: string, filterId: string, sessionNumber: number): Promise<string> {
    const answer = await this.cloud.ec2.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: eniId,
        TrafficMirrorTargetId: targetId,
        TrafficMirrorFilterId: filterId,
        SessionNumber: sessionNumber,
        TagSpecifications: [{ ResourceType: 'traffic-mirror-session', Tags: [{ Key: 'made-by', Value: 'hand' }] }],
      }),
    );
    return answer.TrafficMirrorSession?.TrafficMirrorSessionId as string;
  }

  async stop(instanceId: string): Promise<void> {
    await this.cloud.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await this.cloud.sim.settle();
  }

  async start(instanceId: string): Promise<void> {
    await this.cloud.ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    await this.cloud.sim.settle();
  }

  async terminate(instanceId: string): Promise<void> {
    await this.cloud.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await this.cloud.sim.settle();
  }

  async tag(instanceId: string, tags: Record<string, string>): Promise<void> {
    const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    await this.cloud.ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: list }));
    await this.cloud.sim.settle();
  }

  async untag(instanceId: string, key: string): Promise<void> {
    await this.cloud.ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: key }] }));
    await this.cloud.sim.settle();
  }
}

/** Sessions the simulator holds, optionally only those on `eniIds`. */
export function sessionsOn(cloud: TestCloud, eniIds?: readonly string[]) {
  const sessions = cloud.sim.snapshot().sessions;
  return eniIds === undefined ? sessions : sessions.filter((session) => eniIds.includes(session.networkInterfaceId));
}

/** Our sessions (owner tag) the simulator holds on `eniIds`. */
export function ownedSessionsOn(cloud: TestCloud, eniIds: readonly string[]) {
  return sessionsOn(cloud, eniIds).filter((session) => session.tags[OWNER_TAG] !== undefined);
}

/** What the oracle finds wrong in the ledger against EC2 now, a line each. */
export async function ledgerProblemLines(cloud: TestCloud): Promise<string[]> {
  const problems = await ledgerProblems({ documents: cloud.documents, tableName: cloud.table.tableName }, cloud.sim.snapshot());
  return problems.map((problem) => `${problem.subject}: ${problem.message}`);
}

export async function ledgerItem(cloud: TestCloud, pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const answer = await cloud.documents.send(new GetCommand({ TableName: cloud.table.tableName, Key: { pk, sk }, ConsistentRead: true }));
  return answer.Item;
}

export async function historyOf(cloud: TestCloud, instanceId: string): Promise<Record<string, unknown>[]> {
  const answer = await cloud.documents.send(
    new QueryCommand({
      TableName: cloud.table.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `history#${instanceId}` },
    }),
  );
  return answer.Items ?? [];
}

export async function targetLoads(cloud: TestCloud): Promise<Map<string, { count: number; sources: string[] }>> {
  const answer = await cloud.documents.send(
    new ScanCommand({
      TableName: cloud.table.tableName,
      FilterExpression: 'begins_with(pk, :t)',
      ExpressionAttributeValues: { ':t': 'target#' },
    }),
  );
  return new Map(
    (answer.Items ?? []).map((item) => [
      String(item.pk).slice('target#'.length),
      { count: Number(item.sourceCount ?? 0), sources: [...((item.sources as Set<string> | undefined) ?? [])] },
    ]),
  );
}
