/**
 * Puts the planned fleet into the simulator through the real SDK: the filter and target pool first (setup), then the
 * burst itself, one RunInstances call per group of identical instances, all at once, tagged at launch so that the
 * simulator emits the state-change and tag-change events the orchestrator reacts to.
 */
import {
  type _InstanceType,
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorTargetCommand,
  type CreateTrafficMirrorTargetCommandInput,
  DescribeSubnetsCommand,
  type EC2Client,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { type FleetPlan, launchGroups } from './plan';

export interface TargetPool {
  readonly filterId: string;
  readonly targetIds: readonly string[];
  readonly interfaceTargetIds: readonly string[];
  readonly loadBalancerTargetIds: readonly string[];
  /** Availability zones of the default subnets, in the order zoneIndex refers to. */
  readonly zones: readonly string[];
}

/** Ids are assigned by the simulator; a `Name` tag makes the benchmark's resources readable in logs. */
function nameTag(resourceType: 'instance' | 'traffic-mirror-target' | 'traffic-mirror-filter', name: string) {
  return { ResourceType: resourceType, Tags: [{ Key: 'Name', Value: name }] };
}

async function createTarget(ec2: EC2Client, input: CreateTrafficMirrorTargetCommandInput): Promise<string> {
  const target = await ec2.send(new CreateTrafficMirrorTargetCommand(input));
  const targetId = target.TrafficMirrorTarget?.TrafficMirrorTargetId;
  if (!targetId) throw new Error('CreateTrafficMirrorTarget returned no id');
  return targetId;
}

export async function createTargetPool(ec2: EC2Client, plan: FleetPlan): Promise<TargetPool> {
  const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  const zones = [...new Set(subnets.flatMap((subnet) => (subnet.AvailabilityZone ? [subnet.AvailabilityZone] : [])))].sort();
  if (zones.length === 0) throw new Error('the simulator describes no subnets: cannot place the fleet');

  const filter = await ec2.send(
    new CreateTrafficMirrorFilterCommand({
      Description: 'bench filter',
      TagSpecifications: [nameTag('traffic-mirror-filter', 'bench-filter')],
    }),
  );
  const filterId = filter.TrafficMirrorFilter?.TrafficMirrorFilterId;
  if (!filterId) throw new Error('CreateTrafficMirrorFilter returned no id');

  // Interface targets sit on the primary ENI of small, untagged collector instances, a few per zone.
  const interfaceTargetIds: string[] = [];
  for (const zone of zones) {
    const hosts = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: plan.targets.interfaceTargetsPerZone,
        MaxCount: plan.targets.interfaceTargetsPerZone,
        InstanceType: 'c5.large',
        Placement: { AvailabilityZone: zone },
        TagSpecifications: [nameTag('instance', `bench-collector-${zone}`)],
      }),
    );
    for (const host of hosts.Instances ?? []) {
      const eniId = host.NetworkInterfaces?.find((eni) => eni.Attachment?.DeviceIndex === 0)?.NetworkInterfaceId;
      if (!eniId) throw new Error(`collector ${host.InstanceId} has no primary ENI`);
      interfaceTargetIds.push(
        await createTarget(ec2, {
          NetworkInterfaceId: eniId,
          Description: `bench collector ${zone}`,
          TagSpecifications: [nameTag('traffic-mirror-target', `bench-eni-${zone}`)],
        }),
      );
    }
  }

  const loadBalancerTargetIds: string[] = [];
  for (let n = 0; n < plan.targets.loadBalancerTargets; n++) {
    const arn = `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/bench-nlb-${n}/${(0x50f1a0 + n).toString(16)}0000000000`;
    loadBalancerTargetIds.push(
      await createTarget(ec2, {
        NetworkLoadBalancerArn: arn,
        Description: `bench nlb ${n}`,
        TagSpecifications: [nameTag('traffic-mirror-target', `bench-nlb-${n}`)],
      }),
    );
  }
  return {
    filterId,
    targetIds: [...interfaceTargetIds, ...loadBalancerTargetIds],
    interfaceTargetIds,
    loadBalancerTargetIds,
    zones,
  };
}

/** RunInstances accepts at most this many instances per call. */
const MAX_PER_CALL = 1000;

export function burstRequests(plan: FleetPlan, zones: readonly string[], tagKey: string, tagValue: string): RunInstancesCommandInput[] {
  const requests: RunInstancesCommandInput[] = [];
  launchGroups(plan).forEach(({ spec, count }, groupIndex) => {
    const zone = zones[spec.zoneIndex % zones.length] as string;
    for (let offset = 0; offset < count; offset += MAX_PER_CALL) {
      const size = Math.min(MAX_PER_CALL, count - offset);
      requests.push({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: size,
        MaxCount: size,
        InstanceType: spec.instanceType as _InstanceType,
        Placement: { AvailabilityZone: zone },
        ...(spec.eniCount === 2 ? { NetworkInterfaces: [{ DeviceIndex: 0 }, { DeviceIndex: 1 }] } : {}),
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: tagKey, Value: tagValue },
              { Key: 'Name', Value: `bench-${groupIndex}-${spec.instanceType}` },
            ],
          },
        ],
      });
    }
  });
  return requests;
}

/** Launches the whole burst concurrently; resolves with the instance ids once every call has answered. */
export async function launchBurst(ec2: EC2Client, requests: readonly RunInstancesCommandInput[]): Promise<string[]> {
  const answers = await Promise.all(requests.map((input) => ec2.send(new RunInstancesCommand(input))));
  return answers.flatMap((answer) => (answer.Instances ?? []).flatMap((instance) => (instance.InstanceId ? [instance.InstanceId] : [])));
}
