/**
 * mirrorctl's own AWS adapter (the functions never make these calls, so their roles do not grant them).
 * What the operator's configuration names, as EC2 shows it to this account in this Region: the traffic mirror
 * targets (with their owner and, for network-interface targets, the instance their ENI belongs to) and the filters.
 * Read with Filters rather than ids, so an id EC2 does not show is simply absent instead of failing the whole call.
 */
import { type EC2Client, paginateDescribeTrafficMirrorFilters } from '@aws-sdk/client-ec2';
import { ec2 } from '../../shared/aws/clients';
import { describeTargetsById, instancesOfInterfaces, PAGE_SIZE, pagesById } from '../../shared/aws/describe-by-id';

export interface VisibleTarget {
  readonly targetId: string;
  readonly ownerId?: string;
  readonly kind?: string;
  readonly networkInterfaceId?: string;
  /** The instance the target's ENI is attached to (network-interface targets). */
  readonly attachedInstanceId?: string;
}

export interface VisibleMirrorResources {
  readonly targets: ReadonlyMap<string, VisibleTarget>;
  readonly filterIds: ReadonlySet<string>;
}

/** Whose eyes to look through: an organization's scope has its own client (the spoke role's credentials). */
export type MirrorResourcesClient = EC2Client;

export async function describeMirrorResources(
  targetIds: readonly string[],
  filterIds: readonly string[],
  client: MirrorResourcesClient = ec2(),
): Promise<VisibleMirrorResources> {
  const [targets, filters] = await Promise.all([describeTargets(client, targetIds), describeFilterIds(client, filterIds)]);
  const attachments = await instancesOfInterfaces(
    client,
    [...targets.values()].flatMap((target) => (target.networkInterfaceId ? [target.networkInterfaceId] : [])),
  );
  const withAttachments = new Map(
    [...targets].map(([id, target]) => {
      const instanceId = target.networkInterfaceId ? attachments.get(target.networkInterfaceId) : undefined;
      return [id, instanceId ? { ...target, attachedInstanceId: instanceId } : target] as const;
    }),
  );
  return { targets: withAttachments, filterIds: filters };
}

async function describeTargets(client: EC2Client, targetIds: readonly string[]): Promise<Map<string, VisibleTarget>> {
  const found = new Map<string, VisibleTarget>();
  for (const target of await describeTargetsById(client, targetIds)) {
    if (target.TrafficMirrorTargetId === undefined) continue;
    found.set(target.TrafficMirrorTargetId, {
      targetId: target.TrafficMirrorTargetId,
      ...(target.OwnerId !== undefined && { ownerId: target.OwnerId }),
      ...(target.Type !== undefined && { kind: target.Type }),
      ...(target.NetworkInterfaceId !== undefined && { networkInterfaceId: target.NetworkInterfaceId }),
    });
  }
  return found;
}

async function describeFilterIds(client: EC2Client, filterIds: readonly string[]): Promise<Set<string>> {
  const pages = await pagesById(filterIds, 'traffic-mirror-filter-id', 'DescribeTrafficMirrorFilters', (input) =>
    paginateDescribeTrafficMirrorFilters({ client, pageSize: PAGE_SIZE }, input),
  );
  return new Set(pages.flatMap((page) => page.TrafficMirrorFilters ?? []).flatMap((filter) => filter.TrafficMirrorFilterId ?? []));
}
