/**
 * The account's whole mirroring inventory (every session, whoever made it) and instances by tag key: reads only.
 * Kept apart from the EC2 adapter converge uses, which looks at one batch of instances at a time.
 */
import {
  type EC2Client,
  type Instance,
  paginateDescribeInstances,
  paginateDescribeTrafficMirrorSessions,
  type TrafficMirrorSession,
} from '@aws-sdk/client-ec2';
import type { InventoryPort } from '../converge/governance-ports';
import type { SessionFacts } from '../domain/types';
import type { InventorySession } from '../domain/unmanaged-sessions';
import { describeTargetsById, instancesOfInterfaces, PAGE_SIZE } from './describe-by-id';
import { toSessionFacts } from './ec2';
import { withDomainErrors } from './error-mapping';

export interface InventoryOptions {
  readonly client: EC2Client;
  /** Our ownership tag value: sessions carrying it are ours. */
  readonly ownerId: string;
}

export function createInventory(options: InventoryOptions): InventoryPort {
  const { client, ownerId } = options;

  async function allSessions(): Promise<TrafficMirrorSession[]> {
    const sessions: TrafficMirrorSession[] = [];
    await withDomainErrors('DescribeTrafficMirrorSessions (inventory)', async () => {
      for await (const page of paginateDescribeTrafficMirrorSessions({ client, pageSize: PAGE_SIZE }, {})) {
        sessions.push(...(page.TrafficMirrorSessions ?? []));
      }
    });
    return sessions;
  }

  /** Target id -> owning account, for the targets that can be described from this account. */
  async function targetOwners(targetIds: readonly string[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    for (const target of await describeTargetsById(client, targetIds, { operation: 'DescribeTrafficMirrorTargets (inventory)' })) {
      if (target.TrafficMirrorTargetId && target.OwnerId) owners.set(target.TrafficMirrorTargetId, target.OwnerId);
    }
    return owners;
  }

  async function inventoryOf(facts: readonly SessionFacts[]): Promise<InventorySession[]> {
    const sessions = facts.filter((s) => s.targetId !== '');
    const theirs = sessions.filter((s) => !s.managed);
    // Only sessions that are not ours need their target's owner and their instance: ours are never reported.
    const owners = await targetOwners(theirs.map((s) => s.targetId));
    const instances = await instancesOfInterfaces(
      client,
      theirs.map((s) => s.eniId),
      { operation: 'DescribeNetworkInterfaces (inventory)' },
    );
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
      await withDomainErrors('DescribeInstances (tag-key)', async () => {
        const input = { Filters: [{ Name: 'tag-key', Values: [tagKey] }] };
        for await (const page of paginateDescribeInstances({ client, pageSize: PAGE_SIZE }, input)) {
          const instances: Instance[] = (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
          for (const instance of instances) {
            const value = instance.Tags?.find((tag) => tag.Key === tagKey)?.Value;
            if (instance.InstanceId && value !== undefined) values.set(instance.InstanceId, value);
          }
        }
      });
      return values;
    },
  };
}
