/**
 * The invariants of a mirrored fleet, checked on a final snapshot of the EC2 world. Shared by the sandbox, the
 * chaos suite and the benchmark: each run ends with "did the product leave the world in a correct state?".
 *
 * The oracle for "should this ENI be mirrored" is deliberately NOT the product's own planning: it is the world's
 * truth (the simulator's instance-type catalogue, the tags, the states), so a planning bug cannot hide itself.
 */
import {
  AWS_LIMITS,
  FULL_HOST_TARGET_TYPES,
  type Limits,
  lookupInstanceType,
  type SimulatorSnapshot,
} from '@vpc-mirror-orchestrator/ec2-sim';

const SESSIONS_PER_ENI_LIMIT = AWS_LIMITS.sessionsPerInterface;

export interface WorldNetworkInterface {
  readonly eniId: string;
  /** EC2's InterfaceType; only 'interface' can be a mirror source. */
  readonly interfaceType: string;
  readonly deviceIndex?: number;
}

export interface WorldInstance {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly state: string;
  readonly availabilityZone?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly networkInterfaces: readonly WorldNetworkInterface[];
}

export interface WorldSession {
  readonly sessionId: string;
  readonly eniId: string;
  readonly targetId: string;
  readonly filterId: string;
  readonly sessionNumber: number;
  readonly tags: Readonly<Record<string, string>>;
  /** As EC2 holds them (AWS fills in a VNI, and 8500 bytes on NLB targets, when none is given). */
  readonly virtualNetworkId?: number;
  readonly packetLength?: number;
}

export interface WorldTarget {
  readonly targetId: string;
  readonly kind?: string;
  /** The target's own ENI (network-interface targets): never a valid source. */
  readonly eniId?: string;
  /** Distinct source ENIs the target accepts; null = no limit (load balancer targets). */
  readonly sourceLimit: number | null;
}

/** What the invariants read: instances with their ENIs, every mirror session, every target. */
export interface MirrorWorld {
  readonly instances: readonly WorldInstance[];
  readonly sessions: readonly WorldSession[];
  readonly targets: readonly WorldTarget[];
}

/** Quotas the target limits are computed from, when a test lowered them in the simulator. Default: AWS's. */
export type TargetLimits = Pick<Limits, 'sourcesPerInterfaceTarget' | 'sourcesPerFullHostInterfaceTarget'>;

/**
 * The simulator's snapshot as the invariants read it. A network-interface target's limit is 10 sources, or 100
 * when its ENI sits on a full-host size (docs/AWS-FACTS.md); load balancer targets have none.
 */
export function worldFromSnapshot(snapshot: SimulatorSnapshot, limits: TargetLimits = AWS_LIMITS): MirrorWorld {
  const eniById = new Map(snapshot.networkInterfaces.map((eni) => [eni.networkInterfaceId, eni]));
  const instanceById = new Map(snapshot.instances.map((instance) => [instance.instanceId, instance]));
  return {
    instances: snapshot.instances.map((instance) => ({
      instanceId: instance.instanceId,
      instanceType: instance.instanceType,
      state: instance.state,
      availabilityZone: instance.availabilityZone,
      tags: instance.tags,
      networkInterfaces: instance.networkInterfaceIds.map((eniId, index) => {
        const eni = eniById.get(eniId);
        return { eniId, interfaceType: eni?.interfaceType ?? 'interface', deviceIndex: eni?.deviceIndex ?? index };
      }),
    })),
    sessions: snapshot.sessions.map((session) => ({
      sessionId: session.trafficMirrorSessionId,
      eniId: session.networkInterfaceId,
      targetId: session.trafficMirrorTargetId,
      filterId: session.trafficMirrorFilterId,
      sessionNumber: session.sessionNumber,
      tags: session.tags,
      virtualNetworkId: session.virtualNetworkId,
      ...(session.packetLength !== undefined ? { packetLength: session.packetLength } : {}),
    })),
    targets: snapshot.targets.map((target) => {
      if (target.type !== 'network-interface') return { targetId: target.trafficMirrorTargetId, kind: target.type, sourceLimit: null };
      const hostId = target.networkInterfaceId ? eniById.get(target.networkInterfaceId)?.instanceId : undefined;
      const hostType = hostId ? instanceById.get(hostId)?.instanceType : undefined;
      const fullHost = hostType !== undefined && FULL_HOST_TARGET_TYPES.has(hostType);
      return {
        targetId: target.trafficMirrorTargetId,
        kind: target.type,
        ...(target.networkInterfaceId ? { eniId: target.networkInterfaceId } : {}),
        sourceLimit: fullHost ? limits.sourcesPerFullHostInterfaceTarget : limits.sourcesPerInterfaceTarget,
      };
    }),
  };
}

export interface InvariantOptions {
  /** Tag key that marks a session as ours (`vpc-mirror-orchestrator:owner`) and its expected value. */
  readonly ownerTagKey: string;
  readonly ownerId: string;
  /** The opt-in tag; default traffic-mirror=true. */
  readonly tagKey?: string;
  readonly tagValue?: string;
  /** The configured target pool; default: every target in the world. Used to excuse a full pool. */
  readonly poolTargetIds?: readonly string[];
  /** Which instance types may be mirror sources; default: the simulator's catalogue (the world's truth). */
  readonly isSupportedType?: (instanceType: string) => boolean;
  /** MIRROR_ENI_SCOPE=primary: only the first ENI of an instance is eligible. Default 'all'. */
  readonly eniScope?: 'all' | 'primary';
  /**
   * Per-instance target override (MIRROR_TARGET_TAG_KEY): an instance whose tag names a target outside
   * `allowedTargetIds` (the pool plus MIRROR_ALLOWED_TARGET_IDS) must not be mirrored at all, and one naming an
   * allowed target must be mirrored to that target. Without this option override tags are ignored.
   */
  readonly targetOverride?: { readonly tagKey: string; readonly allowedTargetIds: readonly string[] };
  /**
   * Per-instance filter override (MIRROR_FILTER_TAG_KEY): a tag naming a filter outside `allowedFilterIds` (the
   * configured filter plus MIRROR_ALLOWED_FILTER_IDS) means no mirroring; an allowed one is the session's filter.
   */
  readonly filterOverride?: { readonly tagKey: string; readonly allowedFilterIds: readonly string[] };
  /**
   * The deployment's current settings: every managed session must be on them (the filter, or the instance's allowed
   * filter override; a target of the pool or the override; the VNI and packet length when configured; unset ones
   * match whatever AWS chose). Without this option the 'current-settings' check is not made.
   */
  readonly desiredSettings?: { readonly filterId: string; readonly virtualNetworkId?: number; readonly packetLength?: number };
  /** The account's session quota when a test lowered it: an ENI left unmirrored while the account is full is excused. */
  readonly sessionsPerAccount?: number;
  /**
   * MIRROR_UNTIL_TAG_KEY: an instance whose end time has passed at `now` (or is not a time) must not be mirrored.
   * Without it end-time tags are ignored.
   */
  readonly untilTagKey?: string;
  /** When the world was read; default: the time of the check. */
  readonly now?: Date;
  /** Explicit set of ENIs that must be mirrored, overriding the computed eligibility. */
  readonly eligibleEnis?: Iterable<string>;
  /** Sessions not ours as they were before the run: each must still exist unchanged (unless its ENI is gone). */
  readonly handMadeBaseline?: readonly WorldSession[];
}

export type InvariantName =
  | 'eligible-mirrored-once'
  | 'nothing-unwanted-mirrored'
  | 'eni-session-limit'
  | 'target-source-limit'
  | 'hand-made-untouched'
  | 'current-settings';

export interface Violation {
  readonly invariant: InvariantName;
  /** The ENI, target or session concerned. */
  readonly subject: string;
  readonly message: string;
}

export interface InvariantCheck {
  readonly name: InvariantName;
  readonly description: string;
  /** How many subjects were examined: a check over nothing proves nothing, and the report says so. */
  readonly examined: number;
  readonly violations: readonly Violation[];
}

export interface InvariantReport {
  readonly ok: boolean;
  readonly checks: readonly InvariantCheck[];
  readonly violations: readonly Violation[];
}

const DESCRIPTIONS: Record<InvariantName, string> = {
  'eligible-mirrored-once': 'every eligible ENI has exactly one managed session',
  'nothing-unwanted-mirrored': 'no managed session on an ENI that should not be mirrored',
  'eni-session-limit': `no ENI holds more than ${SESSIONS_PER_ENI_LIMIT} sessions`,
  'target-source-limit': 'no target serves more sources than its limit',
  'hand-made-untouched': 'hand-made sessions are untouched',
  'current-settings': 'every managed session is on the current settings (filter, target, VNI, packet length)',
};

function defaultIsSupportedType(instanceType: string): boolean {
  return lookupInstanceType(instanceType)?.mirrorSource ?? false;
}

/** The end-time tag says mirroring is over: its time has passed, or it is not a time at all. */
function windowClosed(tags: Readonly<Record<string, string>>, options: InvariantOptions): boolean {
  const value = options.untilTagKey === undefined ? undefined : tags[options.untilTagKey];
  if (value === undefined) return false;
  const endsAt = Date.parse(value);
  return Number.isNaN(endsAt) || endsAt <= (options.now ?? new Date()).getTime();
}

/** ENIs that must carry exactly one managed session, computed from the world's truth. */
export function computeEligibleEnis(world: MirrorWorld, options: InvariantOptions): Set<string> {
  const tagKey = options.tagKey ?? 'traffic-mirror';
  const tagValue = options.tagValue ?? 'true';
  const isSupported = options.isSupportedType ?? defaultIsSupportedType;
  const targetEnis = new Set(world.targets.flatMap((target) => (target.eniId ? [target.eniId] : [])));
  const eligible = new Set<string>();
  for (const instance of world.instances) {
    if (instance.state !== 'running') continue;
    if (instance.tags[tagKey] !== tagValue) continue;
    if (!isSupported(instance.instanceType)) continue;
    if (windowClosed(instance.tags, options)) continue;
    const override = overrideTargetOf(instance, options);
    if (override !== undefined && !options.targetOverride?.allowedTargetIds.includes(override)) continue;
    const filterOverride = overrideFilterOf(instance, options);
    if (filterOverride !== undefined && !options.filterOverride?.allowedFilterIds.includes(filterOverride)) continue;
    const enis = options.eniScope === 'primary' ? instance.networkInterfaces.slice(0, 1) : instance.networkInterfaces;
    for (const eni of enis) {
      if (eni.interfaceType === 'interface' && !targetEnis.has(eni.eniId)) eligible.add(eni.eniId);
    }
  }
  return eligible;
}

/** Accepts the simulator's snapshot as it is (`sim.snapshot()`) or an already converted MirrorWorld. */
export function checkInvariants(input: SimulatorSnapshot | MirrorWorld, options: InvariantOptions): InvariantReport {
  const world = 'networkInterfaces' in input ? worldFromSnapshot(input) : input;
  const isManaged = (session: WorldSession): boolean => session.tags[options.ownerTagKey] === options.ownerId;
  const sessionsByEni = groupBy(world.sessions, (session) => session.eniId);
  const eligible = options.eligibleEnis ? new Set(options.eligibleEnis) : computeEligibleEnis(world, options);
  const checks: InvariantCheck[] = [];
  const add = (name: InvariantName, examined: number, violations: Violation[]): void => {
    checks.push({ name, description: DESCRIPTIONS[name], examined, violations });
  };

  const poolIds = options.poolTargetIds ?? world.targets.map((target) => target.targetId);
  const isFull = (targetId: string): boolean => {
    const target = world.targets.find((candidate) => candidate.targetId === targetId);
    return target !== undefined && target.sourceLimit !== null && sourcesOf(world, targetId).size >= target.sourceLimit;
  };
  const overrideByEni = new Map<string, string>();
  for (const instance of world.instances) {
    const override = overrideTargetOf(instance, options);
    if (override !== undefined) for (const eni of instance.networkInterfaces) overrideByEni.set(eni.eniId, override);
  }

  const onceViolations: Violation[] = [];
  for (const eniId of eligible) {
    const sessions = sessionsByEni.get(eniId) ?? [];
    const managed = sessions.filter(isManaged);
    const foreign = sessions.length - managed.length;
    const override = overrideByEni.get(eniId);
    if (managed.length === 1) {
      const targetId = managed[0]?.targetId;
      if (override !== undefined && targetId !== override) {
        onceViolations.push({
          invariant: 'eligible-mirrored-once',
          subject: eniId,
          message: `${eniId} is mirrored to ${targetId}, but its instance's override tag names ${override}`,
        });
      }
      continue;
    }
    if (managed.length === 0 && foreign >= SESSIONS_PER_ENI_LIMIT) continue; // no room: a refusal is correct
    if (managed.length === 0 && options.sessionsPerAccount !== undefined && world.sessions.length >= options.sessionsPerAccount) continue;
    if (managed.length === 0 && (override !== undefined ? [override] : poolIds).every(isFull)) continue; // targets full
    onceViolations.push({
      invariant: 'eligible-mirrored-once',
      subject: eniId,
      message: `${eniId} is eligible and has ${managed.length} managed sessions (expected 1)`,
    });
  }
  add('eligible-mirrored-once', eligible.size, onceViolations);

  const managedSessions = world.sessions.filter(isManaged);
  add(
    'nothing-unwanted-mirrored',
    managedSessions.length,
    managedSessions
      .filter((session) => !eligible.has(session.eniId))
      .map((session) => ({
        invariant: 'nothing-unwanted-mirrored' as const,
        subject: session.eniId,
        message: `managed session ${session.sessionId} on ${session.eniId}, which should not be mirrored`,
      })),
  );

  const limitViolations: Violation[] = [];
  for (const [eniId, sessions] of sessionsByEni) {
    if (sessions.length > SESSIONS_PER_ENI_LIMIT) {
      limitViolations.push({
        invariant: 'eni-session-limit',
        subject: eniId,
        message: `${eniId} holds ${sessions.length} sessions (limit ${SESSIONS_PER_ENI_LIMIT})`,
      });
    }
    const numbers = sessions.map((session) => session.sessionNumber);
    if (new Set(numbers).size !== numbers.length) {
      limitViolations.push({
        invariant: 'eni-session-limit',
        subject: eniId,
        message: `${eniId} has duplicate session numbers ${numbers.join(', ')}`,
      });
    }
  }
  add('eni-session-limit', sessionsByEni.size, limitViolations);

  add(
    'target-source-limit',
    world.targets.length,
    world.targets.flatMap((target) => {
      const sources = sourcesOf(world, target.targetId).size;
      if (target.sourceLimit === null || sources <= target.sourceLimit) return [];
      return [
        {
          invariant: 'target-source-limit' as const,
          subject: target.targetId,
          message: `${target.targetId} serves ${sources} sources (limit ${target.sourceLimit})`,
        },
      ];
    }),
  );

  const baseline = options.handMadeBaseline ?? world.sessions.filter((session) => !isManaged(session));
  const existingEnis = new Set(world.instances.flatMap((i) => i.networkInterfaces.map((eni) => eni.eniId)));
  const handMadeViolations: Violation[] = [];
  for (const before of baseline) {
    const after = world.sessions.find((session) => session.sessionId === before.sessionId);
    if (!after) {
      // Deleting the source ENI deletes its sessions (AWS does it, not us): only a disappearance on a live ENI counts.
      if (existingEnis.has(before.eniId)) {
        handMadeViolations.push({
          invariant: 'hand-made-untouched',
          subject: before.sessionId,
          message: `hand-made session ${before.sessionId} on ${before.eniId} was deleted`,
        });
      }
      continue;
    }
    const changed = describeChange(before, after);
    if (changed) {
      handMadeViolations.push({
        invariant: 'hand-made-untouched',
        subject: before.sessionId,
        message: `hand-made session ${before.sessionId} changed: ${changed}`,
      });
    }
  }
  add('hand-made-untouched', baseline.length, handMadeViolations);

  if (options.desiredSettings) {
    const desired = options.desiredSettings;
    const filterByEni = new Map<string, string>();
    for (const instance of world.instances) {
      const filterId = overrideFilterOf(instance, options);
      if (filterId !== undefined) for (const eni of instance.networkInterfaces) filterByEni.set(eni.eniId, filterId);
    }
    const settingsViolations = managedSessions.flatMap((session) => {
      const wrong = settingsMismatch(session, {
        filterId: filterByEni.get(session.eniId) ?? desired.filterId,
        targetIds: overrideByEni.has(session.eniId) ? [overrideByEni.get(session.eniId) as string] : poolIds,
        virtualNetworkId: desired.virtualNetworkId,
        packetLength: desired.packetLength,
      });
      if (wrong === undefined) return [];
      return [
        {
          invariant: 'current-settings' as const,
          subject: session.eniId,
          message: `managed session ${session.sessionId} on ${session.eniId}: ${wrong}`,
        },
      ];
    });
    add('current-settings', managedSessions.length, settingsViolations);
  }

  const violations = checks.flatMap((check) => check.violations);
  return { ok: violations.length === 0, checks, violations };
}

/** The target an instance's override tag names (blank counts as absent, as in the product), when overrides apply. */
function overrideTargetOf(instance: WorldInstance, options: InvariantOptions): string | undefined {
  if (!options.targetOverride) return undefined;
  const value = instance.tags[options.targetOverride.tagKey]?.trim();
  return value ? value : undefined;
}

/** The filter an instance's override tag names (blank counts as absent), when filter overrides apply. */
function overrideFilterOf(instance: WorldInstance, options: InvariantOptions): string | undefined {
  if (!options.filterOverride) return undefined;
  const value = instance.tags[options.filterOverride.tagKey]?.trim();
  return value ? value : undefined;
}

interface ExpectedSettings {
  readonly filterId: string;
  readonly targetIds: readonly string[];
  readonly virtualNetworkId: number | undefined;
  readonly packetLength: number | undefined;
}

function settingsMismatch(session: WorldSession, expected: ExpectedSettings): string | undefined {
  const wrong: string[] = [];
  if (session.filterId !== expected.filterId) wrong.push(`filter ${session.filterId}, expected ${expected.filterId}`);
  if (!expected.targetIds.includes(session.targetId))
    wrong.push(`target ${session.targetId}, expected one of ${expected.targetIds.join(', ')}`);
  if (expected.virtualNetworkId !== undefined && session.virtualNetworkId !== expected.virtualNetworkId) {
    wrong.push(`VNI ${String(session.virtualNetworkId)}, expected ${expected.virtualNetworkId}`);
  }
  if (expected.packetLength !== undefined && session.packetLength !== expected.packetLength) {
    wrong.push(`packet length ${String(session.packetLength)}, expected ${expected.packetLength}`);
  }
  return wrong.length > 0 ? wrong.join('; ') : undefined;
}

function sourcesOf(world: MirrorWorld, targetId: string): Set<string> {
  return new Set(world.sessions.filter((session) => session.targetId === targetId).map((session) => session.eniId));
}

function describeChange(before: WorldSession, after: WorldSession): string | undefined {
  const fields = ['eniId', 'targetId', 'filterId', 'sessionNumber'] as const;
  const changed: string[] = fields.filter((field) => before[field] !== after[field]);
  if (JSON.stringify(sortedTags(before.tags)) !== JSON.stringify(sortedTags(after.tags))) changed.push('tags');
  return changed.length > 0 ? changed.join(', ') : undefined;
}

function sortedTags(tags: Readonly<Record<string, string>>): Array<[string, string]> {
  return Object.entries(tags).sort(([a], [b]) => a.localeCompare(b));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item)) ?? [];
    group.push(item);
    groups.set(key(item), group);
  }
  return groups;
}
