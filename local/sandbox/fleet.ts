/**
 * The sandbox's hands on EC2: everything the operator and the world do (launch, tag, stop, hand-made sessions...)
 * goes through the real EC2 SDK against the simulator, exactly as a person's scripts would against AWS.
 */
import {
  CreateTagsCommand,
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorSessionCommand,
  CreateTrafficMirrorTargetCommand,
  DeleteTagsCommand,
  EC2Client,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { InstanceSpec, TargetLabel } from './scenario';
import type { LaunchedInstance } from './summary';

export interface FleetDriverOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly tagKey: string;
  readonly tagValue: string;
  /** MIRROR_TARGET_TAG_KEY: the per-instance target override tag. */
  readonly targetTagKey: string;
  /** MIRROR_UNTIL_TAG_KEY: the end-time tag. */
  readonly untilTagKey: string;
  /** The access key the simulator maps to the account acted in (default: one of the default account). */
  readonly accessKeyId?: string;
}

export interface HandMadeSession {
  readonly sessionId: string;
  readonly eniId: string;
  readonly sessionNumber: number;
}

/** EC2 is eventually consistent: a resource created a moment ago may answer NotFound. Retry those briefly. */
const NOT_FOUND = /NotFound$/;
const NOT_FOUND_RETRIES = 20;
const NOT_FOUND_PAUSE_MS = 50;

export class FleetDriver {
  private readonly client: EC2Client;
  /** Name -> launched instance, in launch order. */
  readonly launched = new Map<string, LaunchedInstance & { readonly eniIds: readonly string[] }>();

  constructor(private readonly options: FleetDriverOptions) {
    this.client = new EC2Client({
      endpoint: options.endpoint,
      region: options.region,
      credentials: { accessKeyId: options.accessKeyId ?? 'sandbox', secretAccessKey: 'sandbox' },
      maxAttempts: 8,
    });
  }

  close(): void {
    this.client.destroy();
  }

  zoneName(letter: string): string {
    return `${this.options.region}${letter}`;
  }

  /** `targetIds` resolves the target labels of override tags (needed once a spec has one). */
  async launch(specs: readonly InstanceSpec[], targetIds: ReadonlyMap<TargetLabel, string> = new Map()): Promise<void> {
    // A few at a time: EC2 throttles mutating calls per account (bucket 50, 5/s), the SDK backs off beyond that.
    await inBatches(specs, 8, (spec) => this.launchOne(spec, targetIds));
  }

  private async launchOne(spec: InstanceSpec, targetIds: ReadonlyMap<TargetLabel, string>): Promise<void> {
    const zone = this.zoneName(spec.zone);
    const tags = [{ Key: 'Name', Value: spec.name }];
    if (spec.taggedAtLaunch) tags.push({ Key: this.options.tagKey, Value: this.options.tagValue });
    if (spec.overrideTarget) {
      const targetId = targetIds.get(spec.overrideTarget);
      if (!targetId) throw new Error(`${spec.name} asks for target ${spec.overrideTarget}, which does not exist yet`);
      tags.push({ Key: this.options.targetTagKey, Value: targetId });
    }
    const input: RunInstancesCommandInput = {
      ImageId: 'ami-0000000000000000a',
      InstanceType: spec.instanceType as RunInstancesCommandInput['InstanceType'],
      MinCount: 1,
      MaxCount: 1,
      Placement: { AvailabilityZone: zone },
      TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
      ...(spec.eniCount > 1
        ? {
            NetworkInterfaces: Array.from({ length: spec.eniCount }, (_, deviceIndex) => ({
              DeviceIndex: deviceIndex,
              DeleteOnTermination: true,
              Description: `${spec.name} eth${deviceIndex}`,
            })),
          }
        : {}),
    };
    const answer = await this.client.send(new RunInstancesCommand(input));
    const instance = answer.Instances?.[0];
    if (!instance?.InstanceId) throw new Error(`RunInstances for ${spec.name} returned no instance`);
    const eniIds = [...(instance.NetworkInterfaces ?? [])]
      .sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0))
      .flatMap((eni) => (eni.NetworkInterfaceId ? [eni.NetworkInterfaceId] : []));
    this.launched.set(spec.name, {
      name: spec.name,
      role: spec.role,
      instanceId: instance.InstanceId,
      instanceType: spec.instanceType,
      zone,
      eniIds,
    });
  }

  instanceId(name: string): string {
    const launched = this.launched.get(name);
    if (!launched) throw new Error(`the story names ${name}, which was never launched`);
    return launched.instanceId;
  }

  primaryEni(name: string): string {
    const eniId = this.launched.get(name)?.eniIds[0];
    if (!eniId) throw new Error(`${name} has no network interface`);
    return eniId;
  }

  async createInterfaceTarget(hostName: string): Promise<string> {
    const eniId = this.primaryEni(hostName);
    const answer = await retryNotFound(() =>
      this.client.send(
        new CreateTrafficMirrorTargetCommand({
          NetworkInterfaceId: eniId,
          Description: `IDS appliance on ${hostName}`,
          TagSpecifications: [{ ResourceType: 'traffic-mirror-target', Tags: [{ Key: 'Name', Value: hostName }] }],
        }),
      ),
    );
    return required(answer.TrafficMirrorTarget?.TrafficMirrorTargetId, 'CreateTrafficMirrorTarget');
  }

  async createLoadBalancerTarget(arn: string): Promise<string> {
    const answer = await this.client.send(
      new CreateTrafficMirrorTargetCommand({ NetworkLoadBalancerArn: arn, Description: 'capture NLB' }),
    );
    return required(answer.TrafficMirrorTarget?.TrafficMirrorTargetId, 'CreateTrafficMirrorTarget');
  }

  async createGatewayLoadBalancerEndpointTarget(endpointId: string): Promise<string> {
    const answer = await this.client.send(
      new CreateTrafficMirrorTargetCommand({ GatewayLoadBalancerEndpointId: endpointId, Description: 'capture GWLB endpoint' }),
    );
    return required(answer.TrafficMirrorTarget?.TrafficMirrorTargetId, 'CreateTrafficMirrorTarget');
  }

  async createFilter(): Promise<string> {
    const answer = await this.client.send(new CreateTrafficMirrorFilterCommand({ Description: 'all traffic' }));
    return required(answer.TrafficMirrorFilter?.TrafficMirrorFilterId, 'CreateTrafficMirrorFilter');
  }

  /** Sessions made by hand (no ownership tag), numbered 1..count: what a team had before the orchestrator. */
  async createHandMadeSessions(name: string, count: number, targetId: string, filterId: string): Promise<HandMadeSession[]> {
    const eniId = this.primaryEni(name);
    const sessions: HandMadeSession[] = [];
    for (let sessionNumber = 1; sessionNumber <= count; sessionNumber++) {
      const answer = await retryNotFound(() =>
        this.client.send(
          new CreateTrafficMirrorSessionCommand({
            NetworkInterfaceId: eniId,
            TrafficMirrorTargetId: targetId,
            TrafficMirrorFilterId: filterId,
            SessionNumber: sessionNumber,
            Description: `hand-made capture ${sessionNumber}`,
            TagSpecifications: [{ ResourceType: 'traffic-mirror-session', Tags: [{ Key: 'team', Value: 'secops' }] }],
          }),
        ),
      );
      const sessionId = required(answer.TrafficMirrorSession?.TrafficMirrorSessionId, 'CreateTrafficMirrorSession');
      sessions.push({ sessionId, eniId, sessionNumber });
    }
    return sessions;
  }

  async tag(names: readonly string[]): Promise<void> {
    await this.client.send(
      new CreateTagsCommand({
        Resources: names.map((name) => this.instanceId(name)),
        Tags: [{ Key: this.options.tagKey, Value: this.options.tagValue }],
      }),
    );
  }

  /** The opt-in tag and an end time: mirroring ends at `endsAt`. */
  async tagUntil(names: readonly string[], endsAt: Date): Promise<void> {
    await this.client.send(
      new CreateTagsCommand({
        Resources: names.map((name) => this.instanceId(name)),
        Tags: [
          { Key: this.options.tagKey, Value: this.options.tagValue },
          { Key: this.options.untilTagKey, Value: endsAt.toISOString() },
        ],
      }),
    );
  }

  async untag(names: readonly string[]): Promise<void> {
    await this.client.send(
      new DeleteTagsCommand({ Resources: names.map((name) => this.instanceId(name)), Tags: [{ Key: this.options.tagKey }] }),
    );
  }

  async stop(names: readonly string[]): Promise<void> {
    await this.client.send(new StopInstancesCommand({ InstanceIds: names.map((name) => this.instanceId(name)) }));
  }

  async start(names: readonly string[]): Promise<void> {
    await this.client.send(new StartInstancesCommand({ InstanceIds: names.map((name) => this.instanceId(name)) }));
  }

  async terminate(names: readonly string[]): Promise<void> {
    await this.client.send(new TerminateInstancesCommand({ InstanceIds: names.map((name) => this.instanceId(name)) }));
  }
}

async function retryNotFound<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof Error) || !NOT_FOUND.test(error.name) || attempt >= NOT_FOUND_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, NOT_FOUND_PAUSE_MS * attempt));
    }
  }
}

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map(work));
  }
}

function required<T>(value: T | undefined, action: string): T {
  if (value === undefined) throw new Error(`${action} answered without the created resource`);
  return value;
}
