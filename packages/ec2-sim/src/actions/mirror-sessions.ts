/** Create/Describe/Delete/ModifyTrafficMirrorSession(s), with the per-ENI, per-target and account quotas. */

import type { TrafficMirrorSession, TrafficMirrorTarget } from '../model/state';
import { Ec2Error, invalidValue, missingParameter } from '../protocol/errors';
import { list, optionalInt, type Params, required } from '../protocol/query';
import { NLB_PACKET_LENGTH_MAX, PACKET_LENGTH_MAX, SESSION_NUMBER_RANGE, VNI_RANGE } from '../rules/limits';
import { checkSessionNumberFree, checkSourceSupported, checkTargetHasRoom } from '../rules/mirroring';
import { type ActionContext, type ActionHandler, listedNow } from './context';
import { type FilterFields, filterMatcher, paginate } from './describe';
import { resolve, resolveAll } from './lookup';
import { sessionXml } from './serialize';
import { setTags, tagsByResourceType } from './tagging';

export const createTrafficMirrorSession: ActionHandler = (ctx, params) => {
  const eniId = required(params, 'NetworkInterfaceId');
  const targetId = required(params, 'TrafficMirrorTargetId');
  const filterId = required(params, 'TrafficMirrorFilterId');
  if (params.SessionNumber === undefined) throw missingParameter('SessionNumber');
  const sessionNumber = sessionNumberOf(params);
  const virtualNetworkId = optionalInt(params, 'VirtualNetworkId', VNI_RANGE.min, VNI_RANGE.max);
  const tags = tagsByResourceType(ctx, params, ['traffic-mirror-session']).get('traffic-mirror-session') ?? [];

  const eni = resolve(ctx, 'networkInterface', eniId);
  const target = usableTarget(ctx, targetId);
  const filter = resolve(ctx, 'trafficMirrorFilter', filterId);
  const packetLength = packetLengthFor(params, target) ?? defaultPacketLength(target);
  checkSourceSupported(ctx.state, eni);
  if (ctx.state.sessionsOnInterface(eniId).length >= ctx.limits.sessionsPerInterface) {
    throw new Ec2Error(
      'TrafficMirrorSessionsPerInterfaceLimitExceeded',
      `Network interface ${eniId} already has the maximum of ${ctx.limits.sessionsPerInterface} traffic mirror sessions.`,
    );
  }
  checkSessionNumberFree(ctx.state, eniId, sessionNumber);
  checkTargetHasRoom(ctx.organization.loadOf(ctx.world, target), target, eniId, ctx.limits);
  if (ctx.state.sessions.size >= ctx.limits.sessionsPerAccount) {
    throw new Ec2Error('TrafficMirrorSessionLimitExceeded', 'The maximum number of traffic mirror sessions has been reached.');
  }

  const session: TrafficMirrorSession = {
    trafficMirrorSessionId: ctx.ids.next('trafficMirrorSession'),
    networkInterfaceId: eni.networkInterfaceId,
    ownerId: ctx.accountId,
    trafficMirrorTargetId: target.trafficMirrorTargetId,
    trafficMirrorFilterId: filter.trafficMirrorFilterId,
    sessionNumber,
    virtualNetworkId: virtualNetworkId ?? ctx.ids.vni((vni) => ctx.state.vniInUse(vni)),
    ...(packetLength !== undefined ? { packetLength } : {}),
    ...(params.Description !== undefined ? { description: params.Description } : {}),
    tags: new Map(),
  };
  setTags(ctx, session.tags, tags);
  ctx.state.addSession(session);
  ctx.state.register(session.trafficMirrorSessionId, ctx.now());
  return { trafficMirrorSession: sessionXml(session), clientToken: params.ClientToken };
};

export const deleteTrafficMirrorSession: ActionHandler = (ctx, params) => {
  const session = resolve(ctx, 'trafficMirrorSession', required(params, 'TrafficMirrorSessionId'));
  ctx.state.removeSession(session.trafficMirrorSessionId, ctx.now());
  return { trafficMirrorSessionId: session.trafficMirrorSessionId };
};

const REMOVABLE_FIELDS = ['packet-length', 'description', 'virtual-network-id'];

export const modifyTrafficMirrorSession: ActionHandler = (ctx, params) => {
  const session = resolve(ctx, 'trafficMirrorSession', required(params, 'TrafficMirrorSessionId'));
  const removeFields = list(params, 'RemoveField');
  const badField = removeFields.find((field) => !REMOVABLE_FIELDS.includes(field));
  if (badField !== undefined) throw invalidValue('RemoveField', badField);
  const target =
    params.TrafficMirrorTargetId !== undefined
      ? usableTarget(ctx, params.TrafficMirrorTargetId)
      : usableTarget(ctx, session.trafficMirrorTargetId);
  const filter = params.TrafficMirrorFilterId !== undefined ? resolve(ctx, 'trafficMirrorFilter', params.TrafficMirrorFilterId) : undefined;
  const sessionNumber = params.SessionNumber !== undefined ? sessionNumberOf(params) : undefined;
  const virtualNetworkId = optionalInt(params, 'VirtualNetworkId', VNI_RANGE.min, VNI_RANGE.max);
  const packetLength = packetLengthFor(params, target);
  if (target.trafficMirrorTargetId !== session.trafficMirrorTargetId) {
    checkTargetHasRoom(ctx.organization.loadOf(ctx.world, target), target, session.networkInterfaceId, ctx.limits);
  }
  if (sessionNumber !== undefined) {
    checkSessionNumberFree(ctx.state, session.networkInterfaceId, sessionNumber, session.trafficMirrorSessionId);
  }

  const newVni = removeFields.includes('virtual-network-id') ? ctx.ids.vni((vni) => ctx.state.vniInUse(vni)) : virtualNetworkId;
  ctx.state.updateSession(session, (changed) => {
    changed.trafficMirrorTargetId = target.trafficMirrorTargetId;
    if (filter) changed.trafficMirrorFilterId = filter.trafficMirrorFilterId;
    if (sessionNumber !== undefined) changed.sessionNumber = sessionNumber;
    if (newVni !== undefined) changed.virtualNetworkId = newVni;
    if (packetLength !== undefined) changed.packetLength = packetLength;
    if (params.Description !== undefined) changed.description = params.Description;
    if (removeFields.includes('packet-length')) {
      const fallback = defaultPacketLength(target);
      if (fallback === undefined) delete changed.packetLength;
      else changed.packetLength = fallback;
    }
    if (removeFields.includes('description')) delete changed.description;
  });
  return { trafficMirrorSession: sessionXml(session) };
};

export const describeTrafficMirrorSessions: ActionHandler = (ctx, params) => {
  const ids = list(params, 'TrafficMirrorSessionId');
  const candidates =
    ids.length > 0
      ? resolveAll(ctx, 'trafficMirrorSession', ids)
      : listedNow(
          ctx,
          'trafficMirrorSession',
          [...ctx.state.sessions.values(), ...ctx.organization.sessionsOnTargetsOf(ctx.world)],
          (s) => s.trafficMirrorSessionId,
        );
  const fields: FilterFields<TrafficMirrorSession> = {
    'traffic-mirror-session-id': (s) => s.trafficMirrorSessionId,
    'traffic-mirror-target-id': (s) => s.trafficMirrorTargetId,
    'traffic-mirror-filter-id': (s) => s.trafficMirrorFilterId,
    'network-interface-id': (s) => s.networkInterfaceId,
    'session-number': (s) => s.sessionNumber,
    'virtual-network-id': (s) => s.virtualNetworkId,
    'packet-length': (s) => s.packetLength,
    description: (s) => s.description,
    'owner-id': (s) => s.ownerId,
  };
  const matches = filterMatcher(params, fields, (s) => s.tags);
  const { page, nextToken } = paginate(candidates, params, {
    matches,
    action: 'DescribeTrafficMirrorSessions',
    min: 5,
    max: 1000,
    idCount: ids.length,
    cursorOf: (s) => ctx.state.orderOf(s.trafficMirrorSessionId),
  });
  return { trafficMirrorSessionSet: page.map(sessionXml), nextToken };
};

/** The caller's own target or one shared with it through RAM; EC2's NotFound otherwise. */
function usableTarget(ctx: ActionContext, targetId: string): TrafficMirrorTarget {
  const shared = ctx.state.targets.has(targetId) ? undefined : ctx.organization.usableTarget(ctx.world, targetId);
  return shared ?? resolve(ctx, 'trafficMirrorTarget', targetId);
}

function sessionNumberOf(params: Params): number {
  return optionalInt(params, 'SessionNumber', SESSION_NUMBER_RANGE.min, SESSION_NUMBER_RANGE.max) as number;
}

/**
 * What AWS stores when PacketLength is not given (or removed): 8500 on sessions to a Network Load Balancer target,
 * nothing (the whole packet) otherwise. CreateTrafficMirrorSession / ModifyTrafficMirrorSession API reference.
 */
function defaultPacketLength(target: TrafficMirrorTarget): number | undefined {
  return target.type === 'network-load-balancer' ? NLB_PACKET_LENGTH_MAX : undefined;
}

function packetLengthFor(params: Params, target: TrafficMirrorTarget): number | undefined {
  const max = target.type === 'network-load-balancer' ? NLB_PACKET_LENGTH_MAX : PACKET_LENGTH_MAX;
  return optionalInt(params, 'PacketLength', 1, max);
}
