/**
 * EC2 resources named by id, read through a Filter on the id rather than the id list: an id EC2 does not show is
 * then simply absent, where the id list fails the whole call (InvalidTrafficMirrorTargetId.NotFound and the like).
 * A hundred values a call (EC2 takes up to 200 a filter). For the product's adapters and mirrorctl's (which reads
 * filters the same way, in its own adapter: the functions never describe filters, and their roles do not grant it).
 */
import {
  type EC2Client,
  type NetworkInterface,
  paginateDescribeNetworkInterfaces,
  paginateDescribeTrafficMirrorTargets,
  type TrafficMirrorTarget,
} from '@aws-sdk/client-ec2';
import { chunks } from '../util/chunks';
import { withDomainErrors } from './error-mapping';

export const FILTER_VALUES_PER_CALL = 100;
/** MaxResults of a Describe page (EC2: 5..1000). */
export const PAGE_SIZE = 1000;

export interface DescribeOptions {
  /** How errors name the call (withDomainErrors), e.g. "DescribeTrafficMirrorTargets (inventory)". */
  readonly operation?: string;
  readonly pageSize?: number;
}

export async function describeTargetsById(
  client: EC2Client,
  targetIds: readonly string[],
  options: DescribeOptions = {},
): Promise<TrafficMirrorTarget[]> {
  const described: TrafficMirrorTarget[] = [];
  for (const batch of chunks([...new Set(targetIds)], FILTER_VALUES_PER_CALL)) {
    await withDomainErrors(options.operation ?? 'DescribeTrafficMirrorTargets', async () => {
      const input = { Filters: [{ Name: 'traffic-mirror-target-id', Values: batch }] };
      for await (const page of paginateDescribeTrafficMirrorTargets({ client, pageSize: options.pageSize ?? PAGE_SIZE }, input)) {
        described.push(...(page.TrafficMirrorTargets ?? []));
      }
    });
  }
  return described;
}

/**
 * Without MaxResults, on purpose: EC2 cuts a page of the account's interfaces before it filters, so a paged read of
 * a hundred ids would walk every interface of a large account a page at a time; unpaged, one answer holds them all
 * (a NextToken, should one come, is still followed).
 */
export async function describeInterfacesById(
  client: EC2Client,
  eniIds: readonly string[],
  options: Pick<DescribeOptions, 'operation'> = {},
): Promise<NetworkInterface[]> {
  const described: NetworkInterface[] = [];
  for (const batch of chunks([...new Set(eniIds)], FILTER_VALUES_PER_CALL)) {
    await withDomainErrors(options.operation ?? 'DescribeNetworkInterfaces', async () => {
      const input = { Filters: [{ Name: 'network-interface-id', Values: batch }] };
      for await (const page of paginateDescribeNetworkInterfaces({ client }, input)) described.push(...(page.NetworkInterfaces ?? []));
    });
  }
  return described;
}

/** ENI id -> the instance it is attached to (detached and unknown ENIs are absent). */
export async function instancesOfInterfaces(
  client: EC2Client,
  eniIds: readonly string[],
  options: Pick<DescribeOptions, 'operation'> = {},
): Promise<Map<string, string>> {
  const attached = new Map<string, string>();
  for (const eni of await describeInterfacesById(client, eniIds, options)) {
    if (eni.NetworkInterfaceId && eni.Attachment?.InstanceId) attached.set(eni.NetworkInterfaceId, eni.Attachment.InstanceId);
  }
  return attached;
}
