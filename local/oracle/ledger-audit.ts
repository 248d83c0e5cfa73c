/**
 * "A consistent ledger", checked against the simulator's final state by reading the whole table (every scope's
 * items, for an organization; the snapshot then holds every account's sessions):
 * - every managed slot is 'active' and names a managed session that exists on its ENI (no reservation left over);
 * - every managed session on EC2 has exactly one managed slot that names it;
 * - every target item of a network-interface target counts exactly the ENIs that hold one of our slots on that
 *   target, and its sourceCount equals the size of its source set (no leaked target slot). Hand-made sources are
 *   not counted by the ledger: EC2 refuses a source beyond the target's limit, and converge then tries the next
 *   target;
 * - a load balancer target (no source limit) has no source set: attaches do not count it; its sourceCount is the
 *   sweep's count, checked where a sweep ran last (`sweptLast`).
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SimulatorSnapshot } from '@vpc-mirror-orchestrator/ec2-sim';
import { unscopedPk } from '../../shared/aws/ledger/keys';

export const OWNER_TAG = 'vpc-mirror-orchestrator:owner';

interface SlotItem {
  sessionNumber: number;
  owner: 'managed' | 'foreign';
  state: string;
  sessionId?: string;
  targetId?: string;
  reservationId?: string;
}

export interface LedgerProblem {
  readonly subject: string;
  readonly message: string;
}

export async function scanTable(documents: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export interface LedgerAuditOptions {
  /** A sweep ran after the last change: load balancer targets' counts must match the slots on them. */
  readonly sweptLast?: boolean;
}

export function auditLedger(
  items: readonly Record<string, unknown>[],
  snapshot: SimulatorSnapshot,
  options: LedgerAuditOptions = {},
): LedgerProblem[] {
  const problems: LedgerProblem[] = [];
  const sessions = new Map(snapshot.sessions.map((session) => [session.trafficMirrorSessionId, session]));
  const managedSessions = snapshot.sessions.filter((session) => session.tags[OWNER_TAG] !== undefined);
  const slotHolders = new Map<string, Set<string>>();
  const slotsNamingSession = new Map<string, number>();

  // Every scope's ENI items (an organization's: `<account>#<region>#eni#...`): a shared target counts them all.
  for (const item of items.filter((candidate) => unscopedPk(String(candidate.pk)).startsWith('eni#'))) {
    const eniId = String(item.eniId);
    const slots = Object.values((item.slots ?? {}) as Record<string, SlotItem>);
    if (slots.length > 3) problems.push({ subject: eniId, message: `${slots.length} slots (limit 3)` });
    for (const slot of slots) {
      if (slot.owner !== 'managed') continue;
      if (slot.targetId !== undefined) {
        const holders = slotHolders.get(slot.targetId) ?? new Set<string>();
        holders.add(eniId);
        slotHolders.set(slot.targetId, holders);
      }
      if (slot.state !== 'active' || slot.sessionId === undefined) {
        problems.push({
          subject: eniId,
          message: `managed slot ${slot.sessionNumber} is ${slot.state} (reservation ${slot.reservationId})`,
        });
        continue;
      }
      slotsNamingSession.set(slot.sessionId, (slotsNamingSession.get(slot.sessionId) ?? 0) + 1);
      const session = sessions.get(slot.sessionId);
      if (session === undefined || session.networkInterfaceId !== eniId) {
        problems.push({ subject: eniId, message: `active slot names ${slot.sessionId}, which is not on ${eniId}` });
      }
    }
  }
  for (const session of managedSessions) {
    const count = slotsNamingSession.get(session.trafficMirrorSessionId) ?? 0;
    if (count !== 1)
      problems.push({ subject: session.trafficMirrorSessionId, message: `managed session has ${count} ledger slots (expected 1)` });
  }
  const targetItems = items.filter((candidate) => String(candidate.pk).startsWith('target#'));
  const loadBalancers = new Set(
    snapshot.targets.filter((target) => target.type !== 'network-interface').map((target) => target.trafficMirrorTargetId),
  );
  for (const targetId of slotHolders.keys()) {
    if ((options.sweptLast || !loadBalancers.has(targetId)) && !targetItems.some((item) => item.pk === `target#${targetId}`))
      problems.push({ subject: targetId, message: 'slots name this target, which has no ledger item' });
  }
  for (const item of targetItems) {
    const targetId = String(item.pk).slice('target#'.length);
    const sources = [...((item.sources as Set<string> | undefined) ?? [])].sort();
    const expected = [...(slotHolders.get(targetId) ?? [])].sort();
    if (loadBalancers.has(targetId)) {
      if (sources.length > 0) problems.push({ subject: targetId, message: `load balancer target lists sources [${sources.join(', ')}]` });
      if (options.sweptLast && Number(item.sourceCount ?? 0) !== expected.length) {
        problems.push({
          subject: targetId,
          message: `sourceCount ${String(item.sourceCount)} after a sweep but ${expected.length} ENIs hold slots on it`,
        });
      }
      continue;
    }
    if (Number(item.sourceCount ?? 0) !== sources.length) {
      problems.push({ subject: targetId, message: `sourceCount ${String(item.sourceCount)} but ${sources.length} sources` });
    }
    if (JSON.stringify(sources) !== JSON.stringify(expected)) {
      problems.push({ subject: targetId, message: `sources [${sources.join(', ')}] but slots on [${expected.join(', ')}]` });
    }
  }
  return problems;
}
