/** Resolving ids named in a request: malformed and unknown ids get EC2's own error codes. */

import { type IdKind, isWellFormed } from '../model/ids';
import type { SimState } from '../model/state';
import { Ec2Error } from '../protocol/errors';
import { type ActionContext, isVisible } from './context';

interface KindErrors {
  readonly idKind: IdKind;
  readonly malformed: string;
  readonly notFound: string;
  readonly noun: string;
  readonly map: (state: SimState) => ReadonlyMap<string, unknown>;
}

export const KINDS = {
  instance: {
    idKind: 'instance',
    malformed: 'InvalidInstanceID.Malformed',
    notFound: 'InvalidInstanceID.NotFound',
    noun: 'instance ID',
    map: (s) => s.instances,
  },
  networkInterface: {
    idKind: 'networkInterface',
    malformed: 'InvalidNetworkInterfaceId.Malformed',
    notFound: 'InvalidNetworkInterfaceID.NotFound',
    noun: 'networkInterface ID',
    map: (s) => s.networkInterfaces,
  },
  trafficMirrorTarget: {
    idKind: 'trafficMirrorTarget',
    malformed: 'InvalidTrafficMirrorTargetId.Malformed',
    notFound: 'InvalidTrafficMirrorTargetId.NotFound',
    noun: 'traffic mirror target ID',
    map: (s) => s.targets,
  },
  trafficMirrorFilter: {
    idKind: 'trafficMirrorFilter',
    malformed: 'InvalidTrafficMirrorFilterId.Malformed',
    notFound: 'InvalidTrafficMirrorFilterId.NotFound',
    noun: 'traffic mirror filter ID',
    map: (s) => s.filters,
  },
  trafficMirrorSession: {
    idKind: 'trafficMirrorSession',
    malformed: 'InvalidTrafficMirrorSessionId.Malformed',
    notFound: 'InvalidTrafficMirrorSessionId.NotFound',
    noun: 'traffic mirror session ID',
    map: (s) => s.sessions,
  },
  subnet: {
    idKind: 'subnet',
    malformed: 'InvalidSubnetID.Malformed',
    notFound: 'InvalidSubnetID.NotFound',
    noun: 'subnet ID',
    map: (s) => s.subnets,
  },
  vpc: {
    idKind: 'vpc',
    malformed: 'InvalidVpcID.Malformed',
    notFound: 'InvalidVpcID.NotFound',
    noun: 'vpc ID',
    map: (s) => s.vpcs,
  },
} satisfies Record<string, KindErrors>;

export type ResourceKind = keyof typeof KINDS;

interface ResourceOf {
  instance: import('../model/state').Instance;
  networkInterface: import('../model/state').NetworkInterface;
  trafficMirrorTarget: import('../model/state').TrafficMirrorTarget;
  trafficMirrorFilter: import('../model/state').TrafficMirrorFilter;
  trafficMirrorSession: import('../model/state').TrafficMirrorSession;
  subnet: import('../model/state').Subnet;
  vpc: import('../model/state').Vpc;
}

export function resolve<K extends ResourceKind>(ctx: ActionContext, kind: K, id: string): ResourceOf[K] {
  return resolveAll(ctx, kind, [id])[0] as ResourceOf[K];
}

/** All or nothing, like EC2: one error naming every unknown id. */
export function resolveAll<K extends ResourceKind>(ctx: ActionContext, kind: K, ids: string[]): Array<ResourceOf[K]> {
  const errors: KindErrors = KINDS[kind];
  const malformed = ids.find((id) => !isWellFormed(errors.idKind, id));
  if (malformed !== undefined) throw new Ec2Error(errors.malformed, `Invalid id: "${malformed}"`);
  const map = errors.map(ctx.state);
  const missing = ids.filter((id) => !map.has(id) || !isVisible(ctx, id));
  if (missing.length === 1) throw new Ec2Error(errors.notFound, `The ${errors.noun} '${missing[0]}' does not exist`);
  if (missing.length > 1) throw new Ec2Error(errors.notFound, `The ${errors.noun}s '${missing.join(', ')}' do not exist`);
  return ids.map((id) => map.get(id) as ResourceOf[K]);
}
