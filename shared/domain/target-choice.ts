/**
 * Which traffic mirror targets an ENI may use, best first. Apply walks the list and takes the first one the ledger
 * can still reserve, so the order only has to be a good guess; the ledger enforces the limits.
 */
import { mixedHash } from './stable-hash';
import type { TargetFacts } from './types';

/** Lower is better: same-zone ENI targets carry no cross-AZ charge; load balancers spread and have no limit. */
const GROUP = { sameZoneInterface: 0, loadBalancer: 1, otherZoneInterface: 2 } as const;

function groupOf(target: TargetFacts, eniAvailabilityZone: string): number {
  if (target.kind !== 'network-interface') return GROUP.loadBalancer;
  return target.availabilityZone === eniAvailabilityZone ? GROUP.sameZoneInterface : GROUP.otherZoneInterface;
}

/**
 * Targets with room left, best first:
 * - targets whose load is at or above their sourceLimit are left out;
 * - groups: network-interface targets in the ENI's zone, then load balancer targets (any zone), then
 *   network-interface targets in other zones (cross-AZ mirroring works but costs inter-AZ transfer);
 * - within a group, targets with a limit come before unlimited ones (which are then never the first to fill up,
 *   and keep absorbing what the limited ones cannot); limited ones by fill ratio load/limit, ties by target id, so
 *   the same input always gives the same order;
 * - unlimited ones by a hash of the ENI and the target (rendezvous hashing): attaches do not count them (no limit
 *   to enforce), so their loads are only as fresh as the last sweep, and ranking by them would send a whole burst
 *   to the one that was least loaded then. The hash spreads ENIs evenly, each ENI always to the same target.
 * A target listed twice counts once (first occurrence); a target missing from `loads` has load 0.
 */
export function rankTargets(
  eniId: string,
  eniAvailabilityZone: string,
  targets: readonly TargetFacts[],
  loads: ReadonlyMap<string, number>,
): TargetFacts[] {
  const seen = new Set<string>();
  const ranked = targets
    .filter((target) => {
      if (seen.has(target.targetId)) return false;
      seen.add(target.targetId);
      const load = loads.get(target.targetId) ?? 0;
      return target.sourceLimit === null || load < target.sourceLimit;
    })
    .map((target) => ({ target, group: groupOf(target, eniAvailabilityZone), load: loads.get(target.targetId) ?? 0 }));

  ranked.sort((a, b) => {
    if (a.group !== b.group) return a.group - b.group;
    const aLimit = a.target.sourceLimit;
    const bLimit = b.target.sourceLimit;
    if ((aLimit === null) !== (bLimit === null)) return aLimit === null ? 1 : -1;
    // Cross-multiplied so that equal ratios (2/10 vs 20/100) compare equal without floating point.
    const byLoad =
      aLimit !== null && bLimit !== null
        ? a.load * bLimit - b.load * aLimit
        : mixedHash(`${eniId} ${b.target.targetId}`) - mixedHash(`${eniId} ${a.target.targetId}`);
    if (byLoad !== 0) return byLoad;
    return a.target.targetId < b.target.targetId ? -1 : a.target.targetId > b.target.targetId ? 1 : 0;
  });
  return ranked.map((entry) => entry.target);
}
