/**
 * The steady-state sweep's fleet, as issue 12 describes it: of N instances, 20 % tagged and running, 5 % tagged and
 * stopped, 2 % tagged but of a type AWS refuses as a mirror source, 10 % untagged with a hand-made session that the
 * ledger remembers (they were tagged once), and the rest untagged and never mirrored. One ENI each. The groups are
 * contiguous slices of the fleet: what the sweep sees does not depend on their order.
 */
import {
  type _InstanceType,
  CreateTrafficMirrorSessionCommand,
  DeleteTagsCommand,
  type EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { SubnetAllocator } from '../fleet/subnets';

export interface SweepFleetShape {
  readonly tagged: number;
  readonly stopped: number;
  readonly refused: number;
  readonly handMade: number;
  readonly untagged: number;
}

export function sweepFleetShape(instances: number): SweepFleetShape {
  const tagged = Math.round(instances * 0.2);
  const stopped = Math.round(instances * 0.05);
  const refused = Math.round(instances * 0.02);
  const handMade = Math.round(instances * 0.1);
  return { tagged, stopped, refused, handMade, untagged: instances - tagged - stopped - refused - handMade };
}

export interface LaunchedGroup {
  readonly instanceIds: readonly string[];
  readonly eniIds: readonly string[];
}

const MAX_PER_CALL = 1000;
const CONCURRENT_CALLS = 16;

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(CONCURRENT_CALLS, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

/** Calls of at most MAX_PER_CALL instances (RunInstances' MaxCount), each into a subnet with room for it. */
async function launch(
  ec2: EC2Client,
  subnets: SubnetAllocator,
  count: number,
  instanceType: string,
  tags: Record<string, string>,
): Promise<LaunchedGroup> {
  const instanceIds: string[] = [];
  const eniIds: string[] = [];
  for (let offset = 0; offset < count; offset += MAX_PER_CALL) {
    const size = Math.min(MAX_PER_CALL, count - offset);
    const answer = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: instanceType as _InstanceType,
        MinCount: size,
        MaxCount: size,
        SubnetId: subnets.take(size),
        ...(Object.keys(tags).length > 0
          ? { TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }
          : {}),
      }),
    );
    for (const instance of answer.Instances ?? []) {
      const eniId = instance.NetworkInterfaces?.find((eni) => eni.Attachment?.DeviceIndex === 0)?.NetworkInterfaceId;
      if (!instance.InstanceId || !eniId) throw new Error('RunInstances answered an instance without an id or a primary ENI');
      instanceIds.push(instance.InstanceId);
      eniIds.push(eniId);
    }
  }
  return { instanceIds, eniIds };
}

export interface SweepFleet {
  readonly shape: SweepFleetShape;
  /** Tagged until the first settled pass, then untagged: the ledger remembers them with their hand-made session. */
  readonly handMade: LaunchedGroup;
  /** Subnets added to the default VPC to hold the fleet. */
  readonly addedSubnets: number;
}

/** Launches the fleet (throttling should be off) and puts a hand-made session on each hand-made instance's ENI. */
export async function launchSweepFleet(
  ec2: EC2Client,
  instances: number,
  identity: { readonly tagKey: string; readonly tagValue: string; readonly targetId: string; readonly filterId: string },
): Promise<SweepFleet> {
  const shape = sweepFleetShape(instances);
  const subnets = await SubnetAllocator.withRoomFor(ec2, instances);
  const tag = { [identity.tagKey]: identity.tagValue };
  await launch(ec2, subnets, shape.tagged, 'm5.large', tag);
  const stopped = await launch(ec2, subnets, shape.stopped, 'm5.large', tag);
  for (let offset = 0; offset < stopped.instanceIds.length; offset += MAX_PER_CALL) {
    await ec2.send(new StopInstancesCommand({ InstanceIds: stopped.instanceIds.slice(offset, offset + MAX_PER_CALL) }));
  }
  await launch(ec2, subnets, shape.refused, 't2.micro', tag);
  const handMade = await launch(ec2, subnets, shape.handMade, 'm5.large', tag);
  await inParallel(handMade.eniIds, async (eniId) => {
    await ec2.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: eniId,
        TrafficMirrorTargetId: identity.targetId,
        TrafficMirrorFilterId: identity.filterId,
        SessionNumber: 10,
        Description: 'hand-made',
      }),
    );
  });
  await launch(ec2, subnets, shape.untagged, 'm5.large', {});
  return { shape, handMade, addedSubnets: subnets.added };
}

/** The hand-made instances lose the opt-in tag: from now on the ledger is why the sweep visits them. */
export async function untagHandMade(ec2: EC2Client, fleet: SweepFleet, tagKey: string): Promise<void> {
  const ids = fleet.handMade.instanceIds;
  for (let offset = 0; offset < ids.length; offset += MAX_PER_CALL) {
    await ec2.send(new DeleteTagsCommand({ Resources: ids.slice(offset, offset + MAX_PER_CALL), Tags: [{ Key: tagKey }] }));
  }
}
