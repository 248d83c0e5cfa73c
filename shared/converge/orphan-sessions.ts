/**
 * Converging by session: our sessions that no instance explains. The sweep lists every session carrying our owner
 * tag and asks EC2 where each one's ENI is, whatever the ledger remembers (a lost or restored ledger remembers
 * nothing). An ENI attached to an instance makes that instance part of the sweep (converge then keeps the session
 * only on a running, tagged, eligible instance); an ENI that EC2 shows detached (it outlived its terminated
 * instance, or was detached by hand) explains nothing, and its sessions are detached here, through the same apply
 * path as every other detach (ledger slot, target source, history, outcome event).
 */
import type { SessionFacts } from '../domain/types';
import type { Ec2Port } from './ports';
import type { InstancePlan } from './read-and-plan';

export interface SessionOwners {
  /** Instances holding the ENI of one of our sessions: converged like any other instance in scope. */
  readonly holders: readonly string[];
  /** Our sessions on ENIs that EC2 shows detached. */
  readonly orphans: readonly SessionFacts[];
}

/**
 * ENIs EC2 does not show at all are left alone: deleting an ENI takes its sessions with it, and a brand-new ENI may
 * not be listed yet (eventual consistency); the next sweep looks again.
 */
export async function findSessionOwners(ec2: Ec2Port, managed: readonly SessionFacts[]): Promise<SessionOwners> {
  if (managed.length === 0) return { holders: [], orphans: [] };
  const attachments = await ec2.describeInterfaceAttachments(managed.map((session) => session.eniId));
  const holders = new Set<string>();
  const orphans: SessionFacts[] = [];
  for (const session of managed) {
    const holder = attachments.get(session.eniId);
    if (holder === null) orphans.push(session);
    else if (holder !== undefined) holders.add(holder);
  }
  return { holders: [...holders].sort(), orphans };
}

/** One plan per instance named by the sessions' instance tag: detach each (apply re-checks the owner tag). */
export function planOrphanDetaches(orphans: readonly SessionFacts[]): InstancePlan[] {
  const byInstance = new Map<string, SessionFacts[]>();
  for (const session of orphans) {
    const instanceId = session.instanceId ?? 'unknown';
    byInstance.set(instanceId, [...(byInstance.get(instanceId) ?? []), session]);
  }
  return [...byInstance].map(([instanceId, sessions]) => {
    const observedByEni = new Map<string, SessionFacts[]>();
    for (const session of sessions) observedByEni.set(session.eniId, [...(observedByEni.get(session.eniId) ?? []), session]);
    return {
      instanceId,
      input: {
        instanceId,
        instance: undefined,
        instanceType: undefined,
        sessionsByEni: new Map(),
        strayManagedSessions: sessions,
        ledgerNumbersByEni: new Map(),
        targets: [],
        targetLoads: new Map(),
      },
      decisions: sessions.map((session) => ({
        action: 'detach' as const,
        instanceId,
        eniId: session.eniId,
        sessionId: session.sessionId,
        targetId: session.targetId,
        reason: 'interface-detached' as const,
      })),
      staleSlots: [],
      unrecordedSessions: [],
      foreignDriftEnis: [],
      observedByEni,
      targets: new Map(),
    };
  });
}
