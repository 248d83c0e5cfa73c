/**
 * Builders for planning inputs: a tagged, running, supported instance with one ENI and an empty pool load,
 * unless a test says otherwise.
 */
import type { PlanOptions } from '../../../shared/domain/plan';
import type { InstanceFacts, NetworkInterfaceFacts, PlanInput, SessionFacts, TargetFacts } from '../../../shared/domain/types';

export const INSTANCE_ID = 'i-0a1b2c3d4e5f60718';
export const FILTER_ID = 'tmf-0123456789abcdef0';
export const OTHER_FILTER_ID = 'tmf-0fedcba9876543210';
export const TARGET_A = 'tmt-0aaaaaaaaaaaaaaa1';
export const TARGET_B = 'tmt-0bbbbbbbbbbbbbbb2';
export const TARGET_NLB = 'tmt-0ccccccccccccccc3';
export const TARGET_OUTSIDE_POOL = 'tmt-0ddddddddddddddd4';
export const ZONE_A = 'eu-west-1a';
export const ZONE_B = 'eu-west-1b';

export function planSettings(overrides: Partial<PlanOptions> = {}): PlanOptions {
  return {
    tagKey: 'traffic-mirror',
    tagValue: 'true',
    poolTargetIds: [TARGET_A],
    filterId: FILTER_ID,
    eniScope: 'all',
    preferredSessionNumber: 1,
    targetOverrideTagKey: 'traffic-mirror-target',
    filterOverrideTagKey: 'traffic-mirror-filter',
    allowedOverrideTargetIds: [],
    allowedOverrideFilterIds: [],
    extraSupportedTypes: [],
    extraUnsupportedTypes: [],
    stopPolicy: 'detach',
    ...overrides,
  };
}

export function eni(eniId: string, overrides: Partial<NetworkInterfaceFacts> = {}): NetworkInterfaceFacts {
  return { eniId, interfaceType: 'interface', deviceIndex: 0, availabilityZone: ZONE_A, isMirrorTarget: false, ...overrides };
}

export function instance(overrides: Partial<InstanceFacts> = {}): InstanceFacts {
  return {
    instanceId: INSTANCE_ID,
    state: 'running',
    instanceType: 'm5.large',
    availabilityZone: ZONE_A,
    tags: { 'traffic-mirror': 'true' },
    networkInterfaces: [eni('eni-0000000000000000a')],
    ...overrides,
  };
}

let sessionCounter = 0;

/** A managed session to TARGET_A with FILTER_ID, unless overridden. */
export function session(overrides: Partial<SessionFacts> & Pick<SessionFacts, 'eniId'>): SessionFacts {
  sessionCounter += 1;
  return {
    sessionId: `tms-${sessionCounter.toString(16).padStart(17, '0')}`,
    targetId: TARGET_A,
    filterId: FILTER_ID,
    sessionNumber: 1,
    managed: true,
    instanceId: INSTANCE_ID,
    ...overrides,
  };
}

export function handMadeSession(eniId: string, sessionNumber: number, targetId = TARGET_OUTSIDE_POOL): SessionFacts {
  return session({ eniId, sessionNumber, targetId, filterId: OTHER_FILTER_ID, managed: false, instanceId: undefined });
}

export function interfaceTarget(targetId: string, availabilityZone: string, sourceLimit = 10): TargetFacts {
  return { targetId, kind: 'network-interface', availabilityZone, sourceLimit };
}

export function nlbTarget(targetId: string): TargetFacts {
  return { targetId, kind: 'network-load-balancer', sourceLimit: null };
}

/** Sessions are grouped by their ENI; every ENI of the instance gets an entry, as the EC2 adapter reads them. */
export function planInput(overrides: Partial<Omit<PlanInput, 'sessionsByEni'>> & { sessions?: readonly SessionFacts[] } = {}): PlanInput {
  const { sessions = [], ...rest } = overrides;
  const facts = 'instance' in overrides ? overrides.instance : instance();
  const sessionsByEni = new Map<string, SessionFacts[]>();
  for (const eniFacts of facts?.networkInterfaces ?? []) sessionsByEni.set(eniFacts.eniId, []);
  for (const item of sessions) sessionsByEni.set(item.eniId, [...(sessionsByEni.get(item.eniId) ?? []), item]);
  return {
    instanceId: INSTANCE_ID,
    instance: facts,
    instanceType: undefined,
    sessionsByEni,
    strayManagedSessions: [],
    ledgerNumbersByEni: new Map(),
    targets: [interfaceTarget(TARGET_A, ZONE_A), interfaceTarget(TARGET_B, ZONE_B), nlbTarget(TARGET_NLB)],
    targetLoads: new Map(),
    ...rest,
  };
}
