/**
 * mirrorctl's own AWS adapter (the functions never make these calls, so their roles do not grant them).
 * What the operator's configuration names, as EC2 shows it to this account in this Region: the traffic mirror
 * targets (with their owner and, for network-interface targets, the instance their ENI belongs to) and the filters.
 * Read with Filters rather than ids, so an id EC2 does not show is simply absent instead of failing the whole call.
 */
import {
  DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorTargetsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { ec2 } from '../../shared/aws/clients';
import { withDomainErrors } from '../../shared/aws/error-mapping';
import { chunks } from '../../shared/util/chunks';

/** EC2 accepts up to 200 values per filter; 100 keeps requests small. */
const FILTER_VALUES_PER_CALL = 100;
const PAGE_SIZE = 1000;

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
  const attachments = await describeAttachments(
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
  for (const batch of chunks([...new Set(targetIds)], FILTER_VALUES_PER_CALL)) {
    let nextToken: string | undefined;
    do {
      const page = await withDomainErrors('DescribeTrafficMirrorTargets', () =>
        client.send(
          new DescribeTrafficMirrorTargetsCommand({
            Filters: [{ Name: 'traffic-mirror-target-id', Values: batch }],
            MaxResults: PAGE_SIZE,
            NextToken: nextToken,
          }),
        ),
      );
      for (const target of page.TrafficMirrorTargets ?? []) {
        if (target.TrafficMirrorTargetId === undefined) continue;
        found.set(target.TrafficMirrorTargetId, {
          targetId: target.TrafficMirrorTargetId,
          ...(target.OwnerId !== undefined && { ownerId: target.OwnerId }),
          ...(target.Type !== undefined && { kind: target.Type }),
          ...(target.NetworkInterfaceId !== undefined && { networkInterfaceId: target.NetworkInterfaceId }),
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return found;
}

async function describeFilterIds(client: EC2Client, filterIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const batch of chunks([...new Set(filterIds)], FILTER_VALUES_PER_CALL)) {
    let nextToken: string | undefined;
    do {
      const page = await withDomainErrors('DescribeTrafficMirrorFilters', () =>
        client.send(
          new DescribeTrafficMirrorFiltersCommand({
            Filters: [{ Name: 'traffic-mirror-filter-id', Values: batch }],
            MaxResults: PAGE_SIZE,
            NextToken: nextToken,
          }),
        ),
      );
      for (const filter of page.TrafficMirrorFilters ?? []) if (filter.TrafficMirrorFilterId) found.add(filter.TrafficMirrorFilterId);
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return found;
}

async function describeAttachments(client: EC2Client, eniIds: readonly string[]): Promise<Map<string, string>> {
  const attached = new Map<string, string>();
  for (const batch of chunks([...new Set(eniIds)], FILTER_VALUES_PER_CALL)) {
    const page = await withDomainErrors('DescribeNetworkInterfaces', () =>
      client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: batch }] })),
    );
    for (const eni of page.NetworkInterfaces ?? []) {
      if (eni.NetworkInterfaceId && eni.Attachment?.InstanceId) attached.set(eni.NetworkInterfaceId, eni.Attachment.InstanceId);
    }
  }
  return attached;
}
