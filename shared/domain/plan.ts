/**
 * Planning: the diff between what an instance's mirroring should be and what it is, as decisions with reasons.
 * Pure: everything it needs is in PlanInput, already read. The same plan drives apply and the dry run.
 *
 *   desired = tagged with tagKey=tagValue AND running AND supported type
 *             -> exactly one managed session on each eligible ENI, with the filter, to an allowed target
 *   else    -> no managed sessions (stopped instances under stopPolicy 'keep' keep theirs)
 *   an end-time tag (untilTagKey) that has passed, or is malformed, ends mirroring whatever the state
 *
 * Only sessions with `managed: true` are ever detached or kept; hand-made ones only count against the ENI's
 * 3 sessions and their numbers are avoided. All detaches come first in the result, so that apply frees slots
 * and target sources before it takes new ones.
 */
import { classifyInstanceType } from './instance-support';
import { readMirrorWindow } from './mirror-window';
import { AWS_DEFAULT_PACKET_LENGTH } from './mirroring-limits';
import { freeSessionNumbers, MAX_SESSIONS_PER_ENI } from './session-number';
import { rankTargets } from './target-choice';
import type { Decision, InstanceFacts, NetworkInterfaceFacts, PlanInput, PlanSettings, Reason, SessionFacts, TargetFacts } from './types';

type StopPolicy = 'detach' | 'keep';
export type PlanOptions = PlanSettings & { readonly stopPolicy: StopPolicy };

export function planInstance(input: PlanInput, settings: PlanOptions): Decision[] {
  const decisions = decide(input, settings);
  return [...decisions.filter((decision) => decision.action === 'detach'), ...decisions.filter((decision) => decision.action !== 'detach')];
}

function decide(input: PlanInput, settings: PlanOptions): Decision[] {
  const { instanceId, instance } = input;
  if (instance === undefined) {
    const everything = uniqueSessions([...[...input.sessionsByEni.values()].flat(), ...input.strayManagedSessions]);
    return detachAllOrSkip(instanceId, everything, 'instance-gone');
  }

  const attachedEniIds = new Set(instance.networkInterfaces.map((eni) => eni.eniId));
  const onAttachedEnis = uniqueSessions(
    [...input.sessionsByEni].filter(([eniId]) => attachedEniIds.has(eniId)).flatMap(([, sessions]) => sessions),
  );
  const onAttachedIds = new Set(onAttachedEnis.map((session) => session.sessionId));
  const strays = uniqueSessions([
    ...input.strayManagedSessions,
    ...[...input.sessionsByEni].filter(([eniId]) => !attachedEniIds.has(eniId)).flatMap(([, sessions]) => sessions),
  ]).filter((session) => session.managed && !onAttachedIds.has(session.sessionId));

  return [
    ...strays.map((session) => detach(instanceId, session, 'interface-detached')),
    ...decideForInstance(instance, onAttachedEnis.filter(isManaged), strays, input, settings),
  ];
}

function decideForInstance(
  instance: InstanceFacts,
  managed: readonly SessionFacts[],
  strays: readonly SessionFacts[],
  input: PlanInput,
  settings: PlanOptions,
): Decision[] {
  const { instanceId } = instance;
  const noSessions = reasonForNoSessions(instance, settings, input.now);
  // A malformed end time is also refused, with what is wrong with it, so that the operator hears of it.
  const window =
    noSessions === 'mirror-window-invalid' && input.now ? readMirrorWindow(instance.tags, settings.untilTagKey, input.now) : undefined;
  if (window?.kind === 'malformed') {
    return [
      ...managed.map((session) => detach(instanceId, session, 'mirror-window-invalid')),
      refuse(instanceId, undefined, 'mirror-window-invalid', `Instance ${instanceId} is not mirrored: its ${window.detail}.`),
    ];
  }
  if (noSessions !== undefined) return detachAllOrSkip(instanceId, managed, noSessions);
  switch (instance.state) {
    case 'running':
      return planRunning(instance, managed, strays, input, settings);
    case 'stopping':
    case 'stopped':
      // Only under stopPolicy 'keep': under 'detach' a stopped instance must have no session (reasonForNoSessions).
      return holdWhileStopped(instance, managed, strays, input, settings);
    default:
      // Pending (shutting down and terminated must have no session): the 'running' event or the sweep comes back
      // to it. Sessions kept over a stop stay as they are.
      return [skip(instanceId, 'not-running')];
  }
}

/**
 * Why the instance must have no managed session at all, when it must not (what planning detaches everything for):
 * a session another invocation makes meanwhile (its attach was in flight when the instance was untagged, stopped
 * or terminated) is detached for this reason. Undefined when it may have some: running, pending, or stopped under
 * stopPolicy 'keep'.
 */
export function reasonForNoSessions(instance: InstanceFacts | undefined, settings: PlanOptions, now: Date | undefined): Reason | undefined {
  if (instance === undefined) return 'instance-gone';
  if (instance.tags[settings.tagKey] !== settings.tagValue) return 'not-tagged';
  const window = now === undefined ? undefined : readMirrorWindow(instance.tags, settings.untilTagKey, now);
  if (window?.kind === 'ended') return 'mirror-window-ended';
  if (window?.kind === 'malformed') return 'mirror-window-invalid';
  if (instance.state === 'shutting-down' || instance.state === 'terminated') return 'not-running';
  if ((instance.state === 'stopping' || instance.state === 'stopped') && settings.stopPolicy === 'detach') return 'not-running';
  return undefined;
}

/**
 * stopPolicy 'keep': a stopped instance keeps the sessions it would keep if it were running (so they work again on
 * start without a gap), loses the ones it would lose (duplicates, changed settings, disallowed overrides), and gets
 * nothing new and no refusals until it runs again.
 */
function holdWhileStopped(
  instance: InstanceFacts,
  managed: readonly SessionFacts[],
  strays: readonly SessionFacts[],
  input: PlanInput,
  settings: PlanOptions,
): Decision[] {
  const held: Decision[] = planRunning(instance, managed, strays, input, settings).flatMap((decision): Decision[] => {
    if (decision.action === 'detach') return [decision];
    if (decision.action === 'keep') return [{ ...decision, reason: 'not-running' }];
    return [];
  });
  return held.length > 0 ? held : [skip(instance.instanceId, 'not-running')];
}

function planRunning(
  instance: InstanceFacts,
  managed: readonly SessionFacts[],
  strays: readonly SessionFacts[],
  input: PlanInput,
  settings: PlanOptions,
): Decision[] {
  const { instanceId } = instance;
  const support = classifyInstanceType(instance.instanceType, input.instanceType, {
    extraSupported: settings.extraSupportedTypes,
    extraUnsupported: settings.extraUnsupportedTypes,
  });
  if (!support.supported) {
    return [
      ...managed.map((session) => detach(instanceId, session, support.reason)),
      refuse(
        instanceId,
        undefined,
        support.reason,
        `Instance ${instanceId} (${instance.instanceType}) cannot be mirrored: ${support.detail}.`,
      ),
    ];
  }

  const overrides = readOverrides(instance, settings);
  if (overrides.refusals.length > 0) {
    const firstReason = overrides.refusals[0]?.reason ?? 'target-not-allowed';
    return [...managed.map((session) => detach(instanceId, session, firstReason)), ...overrides.refusals];
  }

  const desired: Desired = {
    filterId: overrides.filterId ?? settings.filterId,
    targetIds: new Set(overrides.targetId !== undefined ? [overrides.targetId] : settings.poolTargetIds),
    virtualNetworkId: settings.virtualNetworkId,
    packetLength: settings.packetLength,
  };
  const enis = [...instance.networkInterfaces].sort((a, b) => a.deviceIndex - b.deviceIndex || compareStrings(a.eniId, b.eniId));
  const assessments = enis.map((eni) => assessEni(instanceId, eni, desired, input, settings));

  // Targets are chosen once every detach of the plan is known: detaches run first and free target sources.
  const detachedIds = new Set([
    ...strays.map((session) => session.sessionId),
    ...assessments.flatMap((assessment) => assessment.decisions.flatMap((d) => (d.action === 'detach' ? [d.sessionId] : []))),
  ]);
  const loads = loadsAfterDetaches(input, strays, detachedIds);
  return assessments.flatMap((assessment) => [
    ...assessment.decisions,
    ...(assessment.attach === undefined ? [] : [chooseTarget(instanceId, assessment.attach, desired, loads, input)]),
  ]);
}

/** What a managed session on an eligible ENI must look like; unset VNI and packet length mean AWS's choice. */
export interface Desired {
  readonly filterId: string;
  readonly targetIds: ReadonlySet<string>;
  readonly virtualNetworkId: number | undefined;
  readonly packetLength: number | undefined;
}

interface Overrides {
  readonly targetId?: string;
  readonly filterId?: string;
  readonly refusals: Decision[];
}

/** Override tags may only name allowed targets and filters: tagging an instance must not redirect its traffic. */
function readOverrides(instance: InstanceFacts, settings: PlanOptions): Overrides {
  const { instanceId } = instance;
  const refusals: Decision[] = [];
  const targetId = tagValue(instance, settings.targetOverrideTagKey);
  const filterId = tagValue(instance, settings.filterOverrideTagKey);
  if (targetId !== undefined && ![...settings.poolTargetIds, ...settings.allowedOverrideTargetIds].includes(targetId)) {
    refusals.push(
      refuse(
        instanceId,
        undefined,
        'target-not-allowed',
        `Instance ${instanceId} asks for target ${targetId} (tag ${settings.targetOverrideTagKey}), which is neither ` +
          'in the target pool nor in MIRROR_ALLOWED_TARGET_IDS; remove the tag or allow that target.',
      ),
    );
  }
  if (filterId !== undefined && ![settings.filterId, ...settings.allowedOverrideFilterIds].includes(filterId)) {
    refusals.push(
      refuse(
        instanceId,
        undefined,
        'filter-not-allowed',
        `Instance ${instanceId} asks for filter ${filterId} (tag ${settings.filterOverrideTagKey}), which is neither ` +
          'the configured filter nor in MIRROR_ALLOWED_FILTER_IDS; remove the tag or allow that filter.',
      ),
    );
  }
  return { targetId, filterId, refusals };
}

/** An override tag with an empty or blank value counts as absent. */
function tagValue(instance: InstanceFacts, key: string): string | undefined {
  const value = instance.tags[key]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

interface AttachRequest {
  readonly eni: NetworkInterfaceFacts;
  readonly sessionNumberCandidates: readonly number[];
}

/** One ENI without target choice: what to keep, detach or refuse, and whether it needs a new session. */
interface EniAssessment {
  readonly decisions: Decision[];
  readonly attach?: AttachRequest;
}

function assessEni(
  instanceId: string,
  eni: NetworkInterfaceFacts,
  desired: Desired,
  input: PlanInput,
  settings: PlanOptions,
): EniAssessment {
  const sessions = uniqueSessions(input.sessionsByEni.get(eni.eniId) ?? []);
  const managed = sessions.filter(isManaged).sort(bySessionNumber);
  const detachEvery = (reason: Reason): Decision[] => managed.map((session) => detach(instanceId, session, reason));

  if (settings.eniScope === 'primary' && eni.deviceIndex !== 0) {
    return { decisions: [...detachEvery('not-primary-interface'), skip(instanceId, 'not-primary-interface', eni.eniId)] };
  }
  if (eni.interfaceType !== 'interface') {
    return {
      decisions: [
        ...detachEvery('interface-type-not-supported'),
        refuse(
          instanceId,
          eni.eniId,
          'interface-type-not-supported',
          `ENI ${eni.eniId} of instance ${instanceId} is of type ${eni.interfaceType}; only ENIs of type interface ` +
            'can be traffic mirror sources.',
        ),
      ],
    };
  }
  if (eni.isMirrorTarget) {
    return {
      decisions: [
        ...detachEvery('interface-is-mirror-target'),
        refuse(
          instanceId,
          eni.eniId,
          'interface-is-mirror-target',
          `ENI ${eni.eniId} of instance ${instanceId} is itself a traffic mirror target and cannot also be a source; ` +
            'delete that target or untag the instance.',
        ),
      ],
    };
  }

  const [kept, ...duplicates] = managed.filter((session) => matchesDesired(session, desired));
  if (kept !== undefined) {
    return {
      decisions: [
        keep(instanceId, kept, 'already-mirrored'),
        ...duplicates.map((session) => detach(instanceId, session, 'duplicate-managed-session')),
        ...managed.filter((session) => !matchesDesired(session, desired)).map((session) => detach(instanceId, session, 'settings-changed')),
      ],
    };
  }

  // Nothing managed is right: every managed session goes, and one new session takes their place.
  const detaches = detachEvery('settings-changed');
  const handMade = sessions.filter((session) => !session.managed);
  if (handMade.length >= MAX_SESSIONS_PER_ENI) {
    return {
      decisions: [
        ...detaches,
        refuse(
          instanceId,
          eni.eniId,
          'interface-session-limit',
          `ENI ${eni.eniId} of instance ${instanceId} already has ${handMade.length} sessions not made by this ` +
            `orchestrator (numbers ${handMade.map((session) => session.sessionNumber).join(', ')}) and AWS allows ` +
            `${MAX_SESSIONS_PER_ENI}; delete one of them to free a slot.`,
        ),
      ],
    };
  }
  const usedNumbers = [...sessions.map((session) => session.sessionNumber), ...(input.ledgerNumbersByEni.get(eni.eniId) ?? [])];
  const sessionNumberCandidates = freeSessionNumbers(usedNumbers, settings.preferredSessionNumber);
  if (sessionNumberCandidates.length === 0) {
    return {
      decisions: [
        ...detaches,
        refuse(
          instanceId,
          eni.eniId,
          'interface-session-limit',
          `ENI ${eni.eniId} of instance ${instanceId} has no free session number left; release ledger reservations.`,
        ),
      ],
    };
  }
  return { decisions: detaches, attach: { eni, sessionNumberCandidates } };
}

/** The attach for one ENI, or a refusal when no allowed target has room. Counts the choice into `loads`. */
function chooseTarget(
  instanceId: string,
  request: AttachRequest,
  desired: Desired,
  loads: Map<string, number>,
  input: PlanInput,
): Decision {
  const { eni } = request;
  const allowedTargets = input.targets.filter((target) => desired.targetIds.has(target.targetId));
  const ranked = rankTargets(eni.eniId, eni.availabilityZone, allowedTargets, loads);
  const best = ranked[0];
  if (best === undefined) {
    return refuse(instanceId, eni.eniId, 'target-pool-full', poolFullDetail(instanceId, eni, desired, allowedTargets, loads));
  }
  // Later ENIs of the same instance see this choice, so they spread instead of piling onto one target.
  loads.set(best.targetId, (loads.get(best.targetId) ?? 0) + 1);
  return {
    action: 'attach',
    instanceId,
    eniId: eni.eniId,
    filterId: desired.filterId,
    targetCandidates: ranked.map((target) => target.targetId),
    allowedTargetIds: [...desired.targetIds],
    sessionNumberCandidates: request.sessionNumberCandidates,
    reason: 'eligible',
  };
}

function poolFullDetail(
  instanceId: string,
  eni: NetworkInterfaceFacts,
  desired: Desired,
  allowedTargets: readonly TargetFacts[],
  loads: ReadonlyMap<string, number>,
): string {
  const prefix = `ENI ${eni.eniId} of instance ${instanceId} has no target with room:`;
  if (allowedTargets.length === 0) {
    return `${prefix} none of the allowed targets (${[...desired.targetIds].join(', ')}) could be found; check that they exist.`;
  }
  const usage = allowedTargets
    .map((target) => `${target.targetId} ${loads.get(target.targetId) ?? 0}/${target.sourceLimit ?? 'unlimited'}`)
    .join(', ');
  return `${prefix} every allowed target is at its source limit (${usage}); ` + 'add a target to the pool or use a load balancer target.';
}

/**
 * Target loads once the plan's detaches are done. Loads count distinct source ENIs, so detaching a session frees
 * its target's source only when no session left on that ENI (hand-made ones included) still uses the target.
 */
function loadsAfterDetaches(input: PlanInput, strays: readonly SessionFacts[], detachedIds: ReadonlySet<string>): Map<string, number> {
  const loads = new Map(input.targetLoads);
  const byEni = new Map<string, SessionFacts[]>();
  for (const session of uniqueSessions([...[...input.sessionsByEni.values()].flat(), ...strays])) {
    byEni.set(session.eniId, [...(byEni.get(session.eniId) ?? []), session]);
  }
  for (const sessions of byEni.values()) {
    const stillUsed = new Set(sessions.filter((s) => !detachedIds.has(s.sessionId)).map((s) => s.targetId));
    const freed = new Set(sessions.filter((s) => detachedIds.has(s.sessionId)).map((s) => s.targetId));
    for (const targetId of freed) {
      const load = loads.get(targetId);
      if (!stillUsed.has(targetId) && load !== undefined && load > 0) loads.set(targetId, load - 1);
    }
  }
  return loads;
}

/** The settings a session has, or a reservation will give it (SessionSettings): what "matches" compares. */
export type SessionSettings = Pick<SessionFacts, 'targetId' | 'filterId' | 'virtualNetworkId' | 'packetLength'>;

export function matchesDesired(session: SessionSettings, desired: Desired): boolean {
  return (
    session.filterId === desired.filterId &&
    desired.targetIds.has(session.targetId) &&
    // No configured VNI: AWS picked one at random, any value is right.
    (desired.virtualNetworkId === undefined || session.virtualNetworkId === desired.virtualNetworkId) &&
    packetLengthMatches(session.packetLength, desired.packetLength)
  );
}

/**
 * No configured packet length means "what AWS stores when none is given": nothing (the whole packet), or 8500 on
 * sessions to a Network Load Balancer. 8500 is accepted for every target kind, so that a default AWS fills in
 * without documenting it can never make a steady session look changed (and be re-created on every converge).
 */
function packetLengthMatches(actual: number | undefined, desired: number | undefined): boolean {
  if (desired === undefined) return actual === undefined || actual === AWS_DEFAULT_PACKET_LENGTH;
  return actual === desired;
}

function detachAllOrSkip(instanceId: string, sessions: readonly SessionFacts[], reason: Reason): Decision[] {
  const detaches = sessions.filter(isManaged).map((session) => detach(instanceId, session, reason));
  return detaches.length > 0 ? detaches : [skip(instanceId, reason)];
}

function uniqueSessions(sessions: readonly SessionFacts[]): SessionFacts[] {
  const byId = new Map<string, SessionFacts>();
  for (const session of sessions) if (!byId.has(session.sessionId)) byId.set(session.sessionId, session);
  return [...byId.values()];
}

function isManaged(session: SessionFacts): boolean {
  return session.managed;
}

function bySessionNumber(a: SessionFacts, b: SessionFacts): number {
  return a.sessionNumber - b.sessionNumber || compareStrings(a.sessionId, b.sessionId);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function detach(instanceId: string, session: SessionFacts, reason: Reason): Decision {
  return { action: 'detach', instanceId, eniId: session.eniId, sessionId: session.sessionId, targetId: session.targetId, reason };
}

function keep(instanceId: string, session: SessionFacts, reason: Reason): Decision {
  return { action: 'keep', instanceId, eniId: session.eniId, sessionId: session.sessionId, targetId: session.targetId, reason };
}

function skip(instanceId: string, reason: Reason, eniId?: string): Decision {
  return eniId === undefined ? { action: 'skip', instanceId, reason } : { action: 'skip', instanceId, eniId, reason };
}

function refuse(instanceId: string, eniId: string | undefined, reason: Reason, detail: string): Decision {
  return eniId === undefined ? { action: 'refuse', instanceId, reason, detail } : { action: 'refuse', instanceId, eniId, reason, detail };
}
