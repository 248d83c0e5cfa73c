/**
 * EC2 adapter: batched reads (the SDK's paginators) translated into domain facts, and the two writes (create/delete session).
 * Every SDK error leaves through toDomainError.
 */
import {
  type _InstanceType,
  CreateTrafficMirrorSessionCommand,
  type CreateTrafficMirrorSessionCommandOutput,
  DeleteTrafficMirrorSessionCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  type EC2Client,
  type Filter,
  type Instance,
  paginateDescribeInstances,
  paginateDescribeTrafficMirrorSessions,
  type Tag,
  type TrafficMirrorSession,
  type TrafficMirrorTarget,
} from '@aws-sdk/client-ec2';
import type { Clock, CreateSessionRequest, DescribedTarget, Ec2Port } from '../converge/ports';
import type { InstanceFacts, InstanceState, InstanceTypeFacts, SessionFacts, TargetKind } from '../domain/types';
import { chunks } from '../util/chunks';
import { describeInterfacesById, describeTargetsById, FILTER_VALUES_PER_CALL, PAGE_SIZE, pagesById } from './describe-by-id';
import { hasCode, toCreateSessionError, toDomainError, withDomainErrors } from './error-mapping';
import { INSTANCE_TAG, OWNER_TAG, RESERVATION_TAG } from './ownership';
import { interfaceTargetSourceLimit } from './target-limits';

/** A batch asked again without the ids EC2 said it does not know: more than once only if instances vanish meanwhile. */
const UNKNOWN_ID_RETRIES = 3;

/** The resource ids (with this prefix) an EC2 error message names, e.g. "The instance IDs 'i-1, i-2' do not exist". */
function idsNamedBy(error: unknown, prefix: string): string[] {
  const message = error instanceof Error ? error.message : '';
  return message.match(new RegExp(`\\b${prefix}[0-9a-f]{8,17}\\b`, 'g')) ?? [];
}
const TYPES_PER_CALL = 100;
const TARGET_CACHE_TTL_MS = 60_000;

export interface Ec2AdapterOptions {
  readonly client: EC2Client;
  readonly ownerId: string;
  readonly clock?: Clock;
  readonly targetCacheTtlMs?: number;
  /** MaxResults of each Describe page (EC2: 5..1000). Default 1000. */
  readonly pageSize?: number;
  /**
   * The account this client acts in (an organization's scope). The owner of a shared target sees every account's
   * sessions on it; only those whose OwnerId is this account are ours to converge or delete. Absent: one account,
   * where every session EC2 lists is the account's own.
   */
  readonly accountId?: string;
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function tagRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) record[tag.Key] = tag.Value ?? '';
  return record;
}

function toInstanceFacts(instance: Instance): InstanceFacts | undefined {
  if (instance.InstanceId === undefined) return undefined;
  const availabilityZone = instance.Placement?.AvailabilityZone ?? '';
  return {
    instanceId: instance.InstanceId,
    state: (instance.State?.Name ?? 'pending') as InstanceState,
    instanceType: instance.InstanceType ?? '',
    availabilityZone,
    ...(instance.VpcId !== undefined ? { vpcId: instance.VpcId } : {}),
    // The account owning the instance's interfaces is the instance's account (DescribeInstances has no field for it).
    ...(instance.NetworkInterfaces?.[0]?.OwnerId !== undefined ? { accountId: instance.NetworkInterfaces[0].OwnerId } : {}),
    tags: tagRecord(instance.Tags),
    networkInterfaces: (instance.NetworkInterfaces ?? []).flatMap((eni) =>
      eni.NetworkInterfaceId === undefined
        ? []
        : [
            {
              eniId: eni.NetworkInterfaceId,
              interfaceType: eni.InterfaceType ?? 'interface',
              deviceIndex: eni.Attachment?.DeviceIndex ?? 0,
              availabilityZone,
              isMirrorTarget: false,
            },
          ],
    ),
  };
}

export function toSessionFacts(session: TrafficMirrorSession, ownerId: string): SessionFacts | undefined {
  if (session.TrafficMirrorSessionId === undefined || session.NetworkInterfaceId === undefined) return undefined;
  const tags = tagRecord(session.Tags);
  const managed = tags[OWNER_TAG] === ownerId;
  return {
    sessionId: session.TrafficMirrorSessionId,
    eniId: session.NetworkInterfaceId,
    targetId: session.TrafficMirrorTargetId ?? '',
    filterId: session.TrafficMirrorFilterId ?? '',
    sessionNumber: session.SessionNumber ?? 0,
    ...(session.VirtualNetworkId !== undefined ? { virtualNetworkId: session.VirtualNetworkId } : {}),
    ...(session.PacketLength !== undefined ? { packetLength: session.PacketLength } : {}),
    ...(session.OwnerId !== undefined ? { ownerAccountId: session.OwnerId } : {}),
    managed,
    ...(managed && tags[INSTANCE_TAG] !== undefined ? { instanceId: tags[INSTANCE_TAG] } : {}),
    ...(managed && tags[RESERVATION_TAG] !== undefined ? { reservationId: tags[RESERVATION_TAG] } : {}),
  };
}

const TARGET_KINDS: Readonly<Record<string, TargetKind>> = {
  'network-interface': 'network-interface',
  'network-load-balancer': 'network-load-balancer',
  'gateway-load-balancer-endpoint': 'gateway-load-balancer-endpoint',
};

export function createEc2Adapter(options: Ec2AdapterOptions): Ec2Port {
  const { client, ownerId } = options;
  const clock = options.clock ?? { now: () => new Date() };
  const targetTtlMs = options.targetCacheTtlMs ?? TARGET_CACHE_TTL_MS;
  const pageSize = options.pageSize ?? PAGE_SIZE;
  // Per container: instance types never change, targets rarely do (hence the short TTL).
  const typeCache = new Map<string, InstanceTypeFacts | null>();
  const targetCache = new Map<string, { target: DescribedTarget | null; expiresAt: number }>();

  async function describeInstancesByFilter(filters: Filter[], operation: string): Promise<Instance[]> {
    return withDomainErrors(operation, async () => {
      const instances: Instance[] = [];
      for await (const page of paginateDescribeInstances({ client, pageSize }, { Filters: filters })) {
        for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
      }
      return instances;
    });
  }

  /**
   * Asked by id, a batch is one call whatever the account holds: a filter on instance-id pages through the whole
   * account (EC2 cuts a page of MaxResults, then filters), 50 calls for 10 instances among 50,000. An id EC2 does not
   * know fails the whole call (InvalidInstanceID.NotFound, naming every such id): those ids are absent, the others are
   * asked again. Should the error not name them, the batch falls back to the filter, which never fails on them.
   */
  async function describeInstancesById(ids: readonly string[]): Promise<Instance[]> {
    let pending = [...ids];
    for (let attempt = 0; attempt < UNKNOWN_ID_RETRIES && pending.length > 0; attempt += 1) {
      try {
        return await describeInstancePages({ InstanceIds: pending });
      } catch (error) {
        const unknown = hasCode(error, 'InvalidInstanceID.NotFound') ? idsNamedBy(error, 'i-') : [];
        const remaining = pending.filter((id) => !unknown.includes(id));
        if (remaining.length === pending.length) break;
        pending = remaining;
      }
    }
    return pending.length === 0 ? [] : describeInstancesByFilter([{ Name: 'instance-id', Values: pending }], 'DescribeInstances');
  }

  async function describeInstancePages(input: { InstanceIds: string[] }): Promise<Instance[]> {
    const instances: Instance[] = [];
    // No MaxResults: EC2 refuses it together with InstanceIds (and answers the ids in one page).
    let nextToken: string | undefined;
    do {
      const page = await client.send(new DescribeInstancesCommand({ ...input, ...(nextToken ? { NextToken: nextToken } : {}) }));
      for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return instances;
  }

  async function describeInstances(instanceIds: readonly string[]): Promise<Map<string, InstanceFacts>> {
    const found = new Map<string, InstanceFacts>();
    for (const batch of chunks(unique(instanceIds), FILTER_VALUES_PER_CALL)) {
      const instances = await withDomainErrors('DescribeInstances', () => describeInstancesById(batch));
      for (const instance of instances) {
        const facts = toInstanceFacts(instance);
        if (facts !== undefined) found.set(facts.instanceId, facts);
      }
    }
    return found;
  }

  async function describeTypeBatch(types: readonly string[]): Promise<void> {
    try {
      const answer = await client.send(new DescribeInstanceTypesCommand({ InstanceTypes: types as _InstanceType[] }));
      for (const info of answer.InstanceTypes ?? []) {
        if (info.InstanceType === undefined) continue;
        const hypervisor = info.Hypervisor === 'nitro' || info.Hypervisor === 'xen' ? info.Hypervisor : undefined;
        typeCache.set(info.InstanceType, {
          instanceType: info.InstanceType,
          ...(hypervisor !== undefined ? { hypervisor } : {}),
          bareMetal: info.BareMetal ?? false,
        });
      }
    } catch (error) {
      // One type EC2 does not know fails the whole call: describe the batch one by one, and let the static
      // tables decide for the unknown ones (PlanInput.instanceType undefined).
      if (!hasCode(error, 'InvalidInstanceType')) throw toDomainError(error, 'DescribeInstanceTypes');
      if (types.length === 1) {
        typeCache.set(types[0] as string, null);
        return;
      }
      for (const type of types) await describeTypeBatch([type]);
    }
  }

  async function describeInstanceTypes(instanceTypes: readonly string[]): Promise<Map<string, InstanceTypeFacts>> {
    const missing = unique(instanceTypes).filter((type) => type !== '' && !typeCache.has(type));
    for (const batch of chunks(missing, TYPES_PER_CALL)) await describeTypeBatch(batch);
    const result = new Map<string, InstanceTypeFacts>();
    for (const type of instanceTypes) {
      const facts = typeCache.get(type);
      if (facts) result.set(type, facts);
    }
    return result;
  }

  async function describeAllSessions(): Promise<TrafficMirrorSession[]> {
    return withDomainErrors('DescribeTrafficMirrorSessions', async () => {
      const sessions: TrafficMirrorSession[] = [];
      for await (const page of paginateDescribeTrafficMirrorSessions({ client, pageSize }, {})) {
        sessions.push(...(page.TrafficMirrorSessions ?? []));
      }
      return sessions;
    });
  }

  async function describeSessionsOnInterfaces(eniIds: readonly string[]): Promise<SessionFacts[]> {
    const pages = await pagesById(eniIds, 'network-interface-id', 'DescribeTrafficMirrorSessions', (input) =>
      paginateDescribeTrafficMirrorSessions({ client, pageSize }, input),
    );
    return pages.flatMap((page) => page.TrafficMirrorSessions ?? []).flatMap((session) => toSessionFacts(session, ownerId) ?? []);
  }

  /** Zone and instance type of each target ENI, for the target's zone and its 10-or-100 source limit. */
  async function describeTargetInterfaces(eniIds: string[]): Promise<Map<string, { zone?: string; instanceType?: string }>> {
    const placement = new Map<string, { zone?: string; instanceType?: string }>();
    if (eniIds.length === 0) return placement;
    const instanceOfEni = new Map<string, string>();
    for (const eni of await describeInterfacesById(client, eniIds)) {
      if (eni.NetworkInterfaceId === undefined) continue;
      placement.set(eni.NetworkInterfaceId, { ...(eni.AvailabilityZone ? { zone: eni.AvailabilityZone } : {}) });
      if (eni.Attachment?.InstanceId) instanceOfEni.set(eni.NetworkInterfaceId, eni.Attachment.InstanceId);
    }
    const hosts = await describeInstances([...instanceOfEni.values()]);
    for (const [eniId, instanceId] of instanceOfEni) {
      const host = hosts.get(instanceId);
      const current = placement.get(eniId) ?? {};
      if (host) placement.set(eniId, { ...current, instanceType: host.instanceType });
    }
    return placement;
  }

  async function describeInterfaceAttachments(eniIds: readonly string[]): Promise<Map<string, string | null>> {
    const attachments = new Map<string, string | null>();
    for (const eni of await describeInterfacesById(client, eniIds)) {
      if (eni.NetworkInterfaceId !== undefined) attachments.set(eni.NetworkInterfaceId, eni.Attachment?.InstanceId ?? null);
    }
    return attachments;
  }

  function toDescribedTarget(
    target: TrafficMirrorTarget,
    placement: Map<string, { zone?: string; instanceType?: string }>,
  ): DescribedTarget | undefined {
    const kind = TARGET_KINDS[target.Type ?? ''];
    if (target.TrafficMirrorTargetId === undefined || kind === undefined) return undefined;
    if (kind !== 'network-interface') return { targetId: target.TrafficMirrorTargetId, kind, sourceLimit: null };
    const eniId = target.NetworkInterfaceId;
    const where = eniId !== undefined ? placement.get(eniId) : undefined;
    return {
      targetId: target.TrafficMirrorTargetId,
      kind,
      ...(where?.zone !== undefined ? { availabilityZone: where.zone } : {}),
      sourceLimit: interfaceTargetSourceLimit(where?.instanceType),
      ...(eniId !== undefined ? { networkInterfaceId: eniId } : {}),
    };
  }

  let refreshing: Promise<void> | undefined;

  async function describeTargets(targetIds: readonly string[]): Promise<DescribedTarget[]> {
    const wanted = unique(targetIds);
    const isStale = (id: string) => (targetCache.get(id)?.expiresAt ?? 0) <= clock.now().getTime();
    // Concurrent invocations in one container share one refresh instead of each describing the pool; a refresh
    // someone else started may not have covered our ids, hence a second round at most.
    for (let round = 0; round < 2 && wanted.some(isStale); round += 1) {
      if (refreshing === undefined) {
        refreshing = refreshTargets(wanted.filter(isStale)).finally(() => {
          refreshing = undefined;
        });
      }
      await refreshing;
    }
    return wanted.flatMap((id) => {
      const target = targetCache.get(id)?.target;
      return target ? [target] : [];
    });
  }

  async function refreshTargets(stale: readonly string[]): Promise<void> {
    const now = clock.now().getTime();
    const described = await describeTargetsById(client, stale, { pageSize });
    const interfaceIds = described.flatMap((t) => (t.Type === 'network-interface' && t.NetworkInterfaceId ? [t.NetworkInterfaceId] : []));
    const placement = await describeTargetInterfaces(interfaceIds);
    const expiresAt = now + targetTtlMs;
    for (const id of stale) targetCache.set(id, { target: null, expiresAt });
    for (const target of described) {
      const facts = toDescribedTarget(target, placement);
      if (facts) targetCache.set(facts.targetId, { target: facts, expiresAt });
    }
  }

  async function createSession(request: CreateSessionRequest): Promise<{ sessionId: string }> {
    const operation = `CreateTrafficMirrorSession ${request.eniId} -> ${request.targetId}`;
    let answer: CreateTrafficMirrorSessionCommandOutput;
    try {
      answer = await client.send(
        new CreateTrafficMirrorSessionCommand({
          NetworkInterfaceId: request.eniId,
          TrafficMirrorTargetId: request.targetId,
          TrafficMirrorFilterId: request.filterId,
          SessionNumber: request.sessionNumber,
          VirtualNetworkId: request.virtualNetworkId,
          PacketLength: request.packetLength,
          ClientToken: request.reservationId,
          Description: `vpc-mirror-orchestrator for ${request.instanceId}`,
          TagSpecifications: [
            {
              ResourceType: 'traffic-mirror-session',
              Tags: [
                { Key: OWNER_TAG, Value: ownerId },
                { Key: INSTANCE_TAG, Value: request.instanceId },
                { Key: RESERVATION_TAG, Value: request.reservationId },
              ],
            },
          ],
        }),
      );
    } catch (error) {
      throw toCreateSessionError(error, operation);
    }
    const sessionId = answer.TrafficMirrorSession?.TrafficMirrorSessionId;
    if (sessionId === undefined) throw toDomainError(new Error('answer carries no session id'), 'CreateTrafficMirrorSession');
    return { sessionId };
  }

  async function deleteSession(sessionId: string): Promise<'deleted' | 'already-gone'> {
    try {
      await client.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: sessionId }));
      return 'deleted';
    } catch (error) {
      if (hasCode(error, 'InvalidTrafficMirrorSessionId.NotFound')) return 'already-gone';
      throw toDomainError(error, `DeleteTrafficMirrorSession ${sessionId}`);
    }
  }

  async function listTaggedInstanceIds(tagKey: string, tagValue: string): Promise<string[]> {
    const instances = await describeInstancesByFilter([{ Name: `tag:${tagKey}`, Values: [tagValue] }], 'DescribeInstances (tagged)');
    return unique(instances.flatMap((instance) => (instance.InstanceId ? [instance.InstanceId] : [])));
  }

  const madeHere = (session: TrafficMirrorSession): boolean =>
    options.accountId === undefined || session.OwnerId === undefined || session.OwnerId === options.accountId;

  async function listAccountSessions(): Promise<SessionFacts[]> {
    // Every session this account made, ours flagged: a shared target's owner also sees the sessions other accounts
    // made on it (theirs to converge and to watch, in their own scope).
    return (await describeAllSessions()).filter(madeHere).flatMap((session) => {
      const fact = toSessionFacts(session, ownerId);
      return fact ? [fact] : [];
    });
  }

  return {
    describeInstances,
    describeInstanceTypes,
    describeSessionsOnInterfaces,
    describeTargets,
    createSession,
    deleteSession,
    listTaggedInstanceIds,
    listAccountSessions,
    describeInterfaceAttachments,
  };
}
