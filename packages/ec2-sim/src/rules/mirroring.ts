/** Traffic Mirroring's rules about sources and targets (docs/AWS-FACTS.md), as checks that throw EC2's error codes. */

import type { NetworkInterface, SimState, TrafficMirrorTarget } from '../model/state';
import type { TargetLoad } from '../org/sharing';
import { Ec2Error } from '../protocol/errors';
import { FULL_HOST_TARGET_TYPES, lookupInstanceType } from './catalogue';
import type { Limits } from './limits';

/** A source must be an `interface`-type ENI on a supported instance type, and not itself a mirror target. */
export function checkSourceSupported(state: SimState, eni: NetworkInterface): void {
  const id = eni.networkInterfaceId;
  if (state.targetOfInterface(id)) {
    throw new Ec2Error('InterfaceInUseByTrafficMirrorTarget', `Network interface ${id} is in use by a traffic mirror target.`);
  }
  if (eni.interfaceType !== 'interface') {
    throw notSupported(id, `interface type '${eni.interfaceType}' cannot be a mirror source`);
  }
  const instanceId = eni.attachment?.instanceId;
  const instance = instanceId ? state.instances.get(instanceId) : undefined;
  if (!instance) throw notSupported(id, 'it is not attached to an instance');
  const type = lookupInstanceType(instance.instanceType);
  if (!type?.mirrorSource) throw notSupported(id, `instance type ${instance.instanceType} is not supported`);
}

/** How many distinct source ENIs a target accepts; null = no limit (load balancer targets). */
function sourceLimitOf(state: SimState, target: TrafficMirrorTarget, limits: Limits): number | null {
  if (target.type !== 'network-interface' || !target.networkInterfaceId) return null;
  const instanceId = state.networkInterfaces.get(target.networkInterfaceId)?.attachment?.instanceId;
  const instanceType = instanceId ? state.instances.get(instanceId)?.instanceType : undefined;
  return instanceType && FULL_HOST_TARGET_TYPES.has(instanceType)
    ? limits.sourcesPerFullHostInterfaceTarget
    : limits.sourcesPerInterfaceTarget;
}

/** The limit counts the target's sources in every account (a target shared through RAM serves several). */
export function checkTargetHasRoom(load: TargetLoad, target: TrafficMirrorTarget, sourceEniId: string, limits: Limits): void {
  const limit = sourceLimitOf(load.ownerState, target, limits);
  const full = limit !== null && load.sourceCount >= limit;
  if (full && !load.serves(sourceEniId)) {
    throw new Ec2Error(
      'TrafficMirrorSourcesPerTargetLimitExceeded',
      `Traffic mirror target ${target.trafficMirrorTargetId} already has the maximum of ${limit} sources.`,
    );
  }
}

export function checkSessionNumberFree(state: SimState, eniId: string, sessionNumber: number, exceptSessionId?: string): void {
  const clash = state
    .sessionsOnInterface(eniId)
    .some((s) => s.sessionNumber === sessionNumber && s.trafficMirrorSessionId !== exceptSessionId);
  if (clash) {
    throw new Ec2Error('InvalidParameterValue', `Session number ${sessionNumber} is already in use on network interface ${eniId}.`);
  }
}

function notSupported(eniId: string, why: string): Ec2Error {
  return new Ec2Error('NetworkInterfaceNotSupported', `Network interface ${eniId} is not supported: ${why}.`);
}
