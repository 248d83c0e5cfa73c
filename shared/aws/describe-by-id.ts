/**
 * EC2 resources named by id, read through a Filter on the id rather than the id list: an id EC2 does not show is
 * then simply absent, where the id list fails the whole call (InvalidTrafficMirrorTargetId.NotFound and the like).
 * A hundred values a call (EC2 takes up to 200 a filter). For the product's adapters and mirrorctl's (which reads
 * filters the same way, in its own adapter: the functions never describe filters, and their roles do not grant it).
 */
import {
  type EC2Client,
  type Filter,
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

/**
 * Every page a Describe call answers for `ids`, a hundred at a time through `filterName`: `pagesOf` is the SDK's
 * paginator for the call (so this module names no action a caller's role may not grant).
 */
export async function pagesById<Page>(
  ids: readonly string[],
  filterName: string,
  operation: string,
  pagesOf: (input: { Filters: Filter[] }) => AsyncIterable<Page>,
): Promise<Page[]> {
  const pages: Page[] = [];
  for (const batch of chunks([...new Set(ids)], FILTER_VALUES_PER_CALL)) {
    await withDomainErrors(operation, async () => {
      for await (const page of pagesOf({ Filters: [{ Name: filterName, Values: batch }] })) pages.push(page);
    });
  }
  return pages;
}

export async function describeTargetsById(
  client: EC2Client,
  targetIds: readonly string[],
  options: DescribeOptions = {},
): Promise<TrafficMirrorTarget[]> {
  const pages = await pagesById(targetIds, 'traffic-mirror-target-id', options.operation ?? 'DescribeTrafficMirrorTargets', (input) =>
    paginateDescribeTrafficMirrorTargets({ client, pageSize: options.pageSize ?? PAGE_SIZE }, input),
  );
  return pages.flatMap((page) => page.TrafficMirrorTargets ?? []);
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
  const pages = await pagesById(eniIds, 'network-interface-id', options.operation ?? 'DescribeNetworkInterfaces', (input) =>
    paginateDescribeNetworkInterfaces({ client }, input),
  );
  return pages.flatMap((page) => page.NetworkInterfaces ?? []);
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
