/**
 * The account's whole mirroring inventory (every session, whoever made it) and instances by tag key: reads only.
 * Kept apart from the EC2 adapter converge uses, which looks at one batch of instances at a time.
 */
import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeTrafficMirrorTargetsCommand,
  type EC2Client,
  type Instance,
  type TrafficMirrorSession,
} from '@aws-sdk/client-ec2';
import type { InventoryPort } from '../converge/governance-ports';
import type { SessionFacts } from '../domain/types';
import type { InventorySession } from '../domain/unmanaged-sessions';
import { chunks } from '../util/chunks';
import { toSessionFacts } from './ec2';
import { withDomainErrors } from './error-mapping';

const FILTER_VALUES_PER_CALL = 100;
const PAGE_SIZE = 1000;

export interface InventoryOptions {
  readonly client: EC2Client;
  /** Our ownership tag value: sessions carrying it are ours. */
  readonly ownerId: string;
}

export function createInventory(options: InventoryOptions): InventoryPort {
  const { client, ownerId } = options;

  async function allSessions(): Promise<TrafficMirrorSession[]> {
    const sessions: TrafficMirrorSession[] = [];
    let nextToken: string | undefined;
    do {
      const page = await withDomainErrors('DescribeTrafficMirrorSessions (inventory)', () =>
        client.send(new DescribeTrafficMirrorSessionsCommand({ MaxResults: PAGE_SIZE, NextToken: nextToken })),
      );
      sessions.push(...(page.TrafficMirrorSessions ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return sessions;
  }

  /** Target id -> owning account, for the targets that can be described from this account. */
  async function targetOwners(targetIds: readonly string[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    for (const batch of chunks([...new Set(targetIds)], FILTER_VALUES_PER_CALL)) {
      let nextToken: string | undefined;
      do {
        const page = await withDomainErrors('DescribeTrafficMirrorTargets (inventory)', () =>
          client.send(
            new DescribeTrafficMirrorTargetsCommand({
              Filters: [{ Name: 'traffic-mirror-target-id', Values: batch }],
              MaxResults: PAGE_SIZE,
              NextToken: nextToken,
            }),
          ),
        );
        for (const target of page.TrafficMirrorTargets ?? []) {
          if (target.TrafficMirrorTargetId && target.OwnerId) owners.set(target.TrafficMirrorTargetId, target.OwnerId);
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return owners;
  }

  /** ENI id -> the instance it is attached to (detached ENIs are absent). */
  async function instancesOfInterfaces(eniIds: readonly string[]): Promise<Map<string, string>> {
    const attached = new Map<string, string>();
    for (const batch of chunks([...new Set(eniIds)], FILTER_VALUES_PER_CALL)) {
      const answer = await withDomainErrors('DescribeNetworkInterfaces (inventory)', () =>
        client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: batch }] })),
      );
      for (const eni of answer.NetworkInterfaces ?? []) {
        if (eni.NetworkInterfaceId && eni.Attachment?.InstanceId) attached.set(eni.NetworkInterfaceId, eni.Attachment.InstanceId);
      }
    }
    return attached;
  }

  async function inventoryOf(facts: readonly SessionFacts[]): Promise<InventorySession[]> {
    const sessions = facts.filter((s) => s.targetId !== '');
    const theirs = sessions.filter((s) => !s.managed);
    // Only sessions that are not ours need their target's owner and their instance: ours are never reported.
    const owners = await targetOwners(theirs.map((s) => s.targetId));
    const instances = await instancesOfInterfaces(theirs.map((s) => s.eniId));
    return sessions.map((s): InventorySession => {
      const instanceId = instances.get(s.eniId);
      const targetOwnerAccountId = owners.get(s.targetId);
      return {
        sessionId: s.sessionId,
        ...(s.ownerAccountId !== undefined ? { ownerAccountId: s.ownerAccountId } : {}),
        eniId: s.eniId,
        ...(instanceId !== undefined ? { instanceId } : {}),
        targetId: s.targetId,
        ...(targetOwnerAccountId !== undefined ? { targetOwnerAccountId } : {}),
        filterId: s.filterId,
        sessionNumber: s.sessionNumber,
        ...(s.virtualNetworkId !== undefined ? { virtualNetworkId: s.virtualNetworkId } : {}),
        ...(s.packetLength !== undefined ? { packetLength: s.packetLength } : {}),
        managed: s.managed,
      };
    });
  }

  return {
    async listAllSessions(): Promise<InventorySession[]> {
      return inventoryOf((await allSessions()).flatMap((session) => toSessionFacts(session, ownerId) ?? []));
    },

    inventoryOf,

    async listInstanceTagValues(tagKey: string): Promise<Map<string, string>> {
      const values = new Map<string, string>();
      let nextToken: string | undefined;
      do {
        const page = await withDomainErrors('DescribeInstances (tag-key)', () =>
          client.send(
            new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: [tagKey] }], MaxResults: PAGE_SIZE, NextToken: nextToken }),
          ),
        );
        const instances: Instance[] = (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
        for (const instance of instances) {
          const value = instance.Tags?.find((tag) => tag.Key === tagKey)?.Value;
          if (instance.InstanceId && value !== undefined) values.set(instance.InstanceId, value);
        }
        nextToken = page.NextToken;
      } while (nextToken);
      return values;
    },
  };
}
