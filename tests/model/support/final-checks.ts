/**
 * What must hold once the world is quiet: every event delivered (retries included), then one sweep after the grace
 * period. Eligibility comes from the simulator's truth (local/sandbox/invariants.ts), never from the planner.
 *   - before the sweep: an eligible ENI whose instance lost no event, in a run without crashes or a lowered quota,
 *     is mirrored by the events alone;
 *   - after it: the invariants on the current deployment (exactly one session of ours per eligible ENI on the
 *     current settings, nothing else of ours, no limit exceeded, hand-made sessions untouched), the ledger agrees
 *     with EC2, every session of ours was announced (and its end too), and a second sweep makes no mutating call.
 */
import { auditLedger, checkInvariants, type InvariantOptions, scanTable, worldFromSnapshot } from '../../../local/oracle';
import { FILTER_TAG_KEY, OWNER_ID, TARGET_TAG_KEY } from './deployment';
import { type ModelCloud, OWNER_TAG, TARGET_LIMITS } from './model-cloud';

const MUTATING_ACTIONS = [
  'CreateTrafficMirrorSession',
  'DeleteTrafficMirrorSession',
  'ModifyTrafficMirrorSession',
  'CreateTags',
  'DeleteTags',
];
type CallCounts = ReturnType<ModelCloud['sim']['calls']>;

function invariantOptions(cloud: ModelCloud): InvariantOptions {
  const { deployment, ids } = cloud;
  const pool = deployment.pool.map((role) => ids.targets[role]);
  return {
    ownerTagKey: OWNER_TAG,
    ownerId: OWNER_ID,
    poolTargetIds: pool,
    handMadeBaseline: cloud.handMade,
    targetOverride: { tagKey: TARGET_TAG_KEY, allowedTargetIds: [...pool, ids.targets.gwlb] },
    filterOverride: { tagKey: FILTER_TAG_KEY, allowedFilterIds: [ids.filters[deployment.filter], ids.filters.allowed] },
    desiredSettings: {
      filterId: ids.filters[deployment.filter],
      ...(deployment.virtualNetworkId !== undefined ? { virtualNetworkId: deployment.virtualNetworkId } : {}),
      ...(deployment.packetLength !== undefined ? { packetLength: deployment.packetLength } : {}),
    },
    sessionsPerAccount: cloud.accountQuota,
  };
}

function invariantViolations(cloud: ModelCloud): string[] {
  const report = checkInvariants(worldFromSnapshot(cloud.sim.snapshot(), TARGET_LIMITS), invariantOptions(cloud));
  return report.violations.map((violation) => `${violation.invariant}: ${violation.message}`);
}

/** Eligible ENIs left with no session of ours although every event of their instance was delivered. */
function eventDrivenViolations(cloud: ModelCloud): string[] {
  if (cloud.figures.crashes > 0 || cloud.figures.quotasPlayed > 0) return [];
  const snapshot = cloud.sim.snapshot();
  const report = checkInvariants(worldFromSnapshot(snapshot, TARGET_LIMITS), invariantOptions(cloud));
  const instanceOf = new Map(snapshot.networkInterfaces.map((eni) => [eni.networkInterfaceId, eni.instanceId]));
  // Refused while every target of the pool was full: room that frees up later sends no event for them, the sweep
  // retries them (a refusal was announced, telling the operator to add a target).
  const waitedForRoom = new Set(
    cloud.cloud.bus.events
      .filter((event) => event.detailType === 'Mirror Session Refused' && event.detail.reason === 'target-pool-full')
      .map((event) => String(event.detail.eniId)),
  );
  return report.violations
    .filter((violation) => violation.invariant === 'eligible-mirrored-once' && violation.message.includes('has 0 managed'))
    .filter((violation) => {
      const instanceId = instanceOf.get(violation.subject) ?? '';
      return !cloud.lostEventsOf.has(instanceId) && !cloud.changedWithoutEventOf.has(instanceId) && !waitedForRoom.has(violation.subject);
    })
    .map((violation) => `mirrored-by-events: every event delivered, yet before any sweep ${violation.message}`);
}

/**
 * Every session of ours seen during the run was announced as attached, and, once gone, as detached: from a live ENI
 * unless its detach was still unannounced when the ledger was lost (with the mark that recorded it); with its ENI
 * (EC2 deletes them together) when its attach was announced, unless the ledger was lost while it was alive or the
 * run that made it was killed before recording it.
 */
function outcomeViolations(cloud: ModelCloud): string[] {
  const snapshot = cloud.sim.snapshot();
  const live = new Set(snapshot.sessions.map((session) => session.trafficMirrorSessionId));
  const enis = new Set(snapshot.networkInterfaces.map((eni) => eni.networkInterfaceId));
  const announced = (detailType: string) =>
    new Set(cloud.cloud.bus.events.filter((event) => event.detailType === detailType).map((event) => String(event.detail.sessionId)));
  const attached = announced('Mirror Session Attached');
  const detached = announced('Mirror Session Detached');
  const problems: string[] = [];
  // Consumers dedupe on outcomeId (README): every announcement of one session's attach, or of its detach, repeats it.
  for (const detailType of ['Mirror Session Attached', 'Mirror Session Detached']) {
    const idsBySession = new Map<string, Set<string>>();
    for (const event of cloud.cloud.bus.events.filter((candidate) => candidate.detailType === detailType)) {
      const sessionId = String(event.detail.sessionId);
      idsBySession.set(sessionId, (idsBySession.get(sessionId) ?? new Set()).add(String(event.detail.outcomeId)));
    }
    for (const [sessionId, ids] of idsBySession) {
      if (ids.size > 1) problems.push(`outcome: ${detailType} for ${sessionId} under ${ids.size} outcomeIds`);
    }
  }
  for (const [sessionId, eniId] of cloud.seenManaged) {
    // Made for a run killed before it read EC2's answer, and gone with its ENI before any run came back to it.
    const goneUnknown = cloud.madeByKilledRuns.has(sessionId) && !enis.has(eniId);
    if (!attached.has(sessionId) && !goneUnknown)
      problems.push(`outcome: session ${sessionId} on ${eniId} was never announced as attached`);
    const lostWithTheLedger = cloud.detachesLostWithTheLedger.has(sessionId);
    if (!live.has(sessionId) && enis.has(eniId) && !detached.has(sessionId) && !lostWithTheLedger)
      problems.push(`outcome: session ${sessionId} on ${eniId} was removed and never announced as detached`);
    const endLost = lostWithTheLedger || cloud.endsLostWithTheLedger.has(sessionId) || cloud.madeEarlierByKilledRuns.has(sessionId);
    if (!live.has(sessionId) && !enis.has(eniId) && attached.has(sessionId) && !detached.has(sessionId) && !endLost)
      problems.push(`outcome: session ${sessionId} went with its ENI ${eniId} and was never announced as detached`);
  }
  return problems;
}

/** Mutating calls made between two readings of the simulator's counters, by action and error code. */
function mutatingCallsBetween(before: CallCounts, after: CallCounts): string[] {
  return MUTATING_ACTIONS.flatMap((action) => {
    const made = (after[action]?.total ?? 0) - (before[action]?.total ?? 0);
    if (made === 0) return [];
    const errors = Object.entries(after[action]?.errors ?? {})
      .map(([code, count]) => [code, count - (before[action]?.errors[code] ?? 0)] as const)
      .filter(([, count]) => count > 0)
      .map(([code, count]) => `${code} x${count}`);
    return [`${action} x${made}${errors.length > 0 ? ` (failed: ${errors.join(', ')})` : ''}`];
  });
}

/**
 * Whether every mutating call between the two readings was a create EC2 refused for its target's source limit, on a
 * pool where hand-made sessions take sources of an interface target. The ledger counts only our sources, by design
 * (docs/RELIABILITY.md, "Limits of these proofs"): such a target looks to have room until EC2 says it is full, and is
 * then not asked again for TARGET_FULL_RECHECK_MS. A sweep that freed our sources on it after refusing an ENI leaves
 * the next sweep to ask EC2 once.
 */
function onlyAskedAFullTarget(cloud: ModelCloud, before: CallCounts, after: CallCounts): boolean {
  const creates = (after.CreateTrafficMirrorSession?.total ?? 0) - (before.CreateTrafficMirrorSession?.total ?? 0);
  const refusedFull =
    (after.CreateTrafficMirrorSession?.errors.TrafficMirrorSourcesPerTargetLimitExceeded ?? 0) -
    (before.CreateTrafficMirrorSession?.errors.TrafficMirrorSourcesPerTargetLimitExceeded ?? 0);
  const others = MUTATING_ACTIONS.filter((action) => action !== 'CreateTrafficMirrorSession').some(
    (action) => (after[action]?.total ?? 0) !== (before[action]?.total ?? 0),
  );
  const interfaceTargets = new Set([cloud.ids.targets['eni-a'], cloud.ids.targets['eni-b']]);
  const handMadeOnOne = cloud.handMade.some((session) => interfaceTargets.has(session.targetId));
  return !others && creates > 0 && creates === refusedFull && handMadeOnOne;
}

/** Quiescence, one sweep, the checks, and a second sweep that must change nothing. Returns the violations. */
export async function settleAndCheck(cloud: ModelCloud): Promise<string[]> {
  cloud.failOutcomes(0);
  await cloud.drainEvents();
  const violations = eventDrivenViolations(cloud);

  await cloud.setConsistency(0);
  cloud.setQuota(false); // the quota frees up: whoever waited for it is attached by the next sweep
  await cloud.passTime();
  const swept = await cloud.sweep('final');
  if (swept === undefined) violations.push('sweep: the sweep after quiescence did not complete');
  violations.push(...invariantViolations(cloud));
  const ledger = auditLedger(await scanTable(cloud.cloud.documents, cloud.cloud.table.tableName), cloud.sim.snapshot(), {
    sweptLast: swept !== undefined,
  });
  violations.push(...ledger.map((problem) => `ledger: ${problem.subject}: ${problem.message}`));

  const before = cloud.sim.calls();
  const steady = await cloud.sweep('steady');
  const after = cloud.sim.calls();
  const spent = mutatingCallsBetween(before, after);
  if (spent.length > 0 && !onlyAskedAFullTarget(cloud, before, after)) {
    const decisions = steady
      ? steady.decisions
          .filter((d) => d.action === 'attach' || d.action === 'detach' || d.action === 'refuse')
          .map((d) => `${d.action} ${d.eniId ?? d.instanceId} (${d.reason})`)
      : ['the sweep did not complete'];
    violations.push(`steady-state: a second sweep made mutating EC2 calls: ${spent.join(', ')}; decisions: ${decisions.join('; ')}`);
  }
  violations.push(...outcomeViolations(cloud));
  violations.push(...cloud.findings.map((finding) => `${finding.kind}: ${finding.message}`));
  return violations;
}
