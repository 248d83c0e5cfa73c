/** Create/Describe/DeleteTrafficMirrorTarget(s): network-interface, NLB and GWLB-endpoint targets. */

import type { TargetType, TrafficMirrorTarget } from '../model/state';
import { Ec2Error, invalidCombination, invalidValue, missingParameter } from '../protocol/errors';
import { list, type Params, required } from '../protocol/query';
import { type ActionContext, type ActionHandler, listedNow } from './context';
import { type FilterFields, filterMatcher, paginate } from './describe';
import { resolve, resolveAll } from './lookup';
import { targetXml } from './serialize';
import { setTags, tagsByResourceType } from './tagging';

const NLB_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/net\/[A-Za-z0-9-]+\/[0-9a-f]+$/;
const GWLB_ENDPOINT_ID = /^vpce-([0-9a-f]{8}|[0-9a-f]{17})$/;

export const createTrafficMirrorTarget: ActionHandler = (ctx, params) => {
  const given = (['NetworkInterfaceId', 'NetworkLoadBalancerArn', 'GatewayLoadBalancerEndpointId'] as const).filter(
    (name) => params[name] !== undefined,
  );
  if (given.length === 0) throw missingParameter('NetworkInterfaceId, NetworkLoadBalancerArn or GatewayLoadBalancerEndpointId');
  if (given.length > 1) throw invalidCombination(`Specify only one of ${given.join(', ')}`);
  const tags = tagsByResourceType(ctx, params, ['traffic-mirror-target']).get('traffic-mirror-target') ?? [];
  if (ctx.state.targets.size >= ctx.limits.targetsPerAccount) {
    throw new Ec2Error('TrafficMirrorTargetLimitExceeded', 'The maximum number of traffic mirror targets has been reached.');
  }
  const kind = kindOf(ctx, params);
  const target: TrafficMirrorTarget = {
    trafficMirrorTargetId: ctx.ids.next('trafficMirrorTarget'),
    ...kind,
    ...(params.Description !== undefined ? { description: params.Description } : {}),
    ownerId: ctx.accountId,
    tags: new Map(),
  };
  setTags(ctx, target.tags, tags);
  ctx.state.addTarget(target);
  ctx.state.register(target.trafficMirrorTargetId, ctx.now());
  return { trafficMirrorTarget: targetXml(target), clientToken: params.ClientToken };
};

function kindOf(
  ctx: ActionContext,
  params: Params,
): { type: TargetType; networkInterfaceId?: string; networkLoadBalancerArn?: string; gatewayLoadBalancerEndpointId?: string } {
  if (params.NetworkInterfaceId !== undefined) {
    const eni = resolve(ctx, 'networkInterface', params.NetworkInterfaceId);
    if (ctx.state.sessionsOnInterface(eni.networkInterfaceId).length > 0) {
      throw new Ec2Error(
        'InterfaceInUseByTrafficMirrorSession',
        `Network interface ${eni.networkInterfaceId} is the source of a traffic mirror session.`,
      );
    }
    if (ctx.state.targetOfInterface(eni.networkInterfaceId)) {
      throw invalidValue('NetworkInterfaceId', eni.networkInterfaceId, 'It is already a traffic mirror target');
    }
    return { type: 'network-interface', networkInterfaceId: eni.networkInterfaceId };
  }
  if (params.NetworkLoadBalancerArn !== undefined) {
    const arn = params.NetworkLoadBalancerArn;
    if (!NLB_ARN.test(arn)) throw new Ec2Error('InvalidNetworkLoadBalancerArn.Malformed', `Invalid load balancer ARN: "${arn}"`);
    return { type: 'network-load-balancer', networkLoadBalancerArn: arn };
  }
  const endpointId = params.GatewayLoadBalancerEndpointId as string;
  if (!GWLB_ENDPOINT_ID.test(endpointId)) throw new Ec2Error('InvalidVpcEndpointId.Malformed', `Invalid id: "${endpointId}"`);
  return { type: 'gateway-load-balancer-endpoint', gatewayLoadBalancerEndpointId: endpointId };
}

export const deleteTrafficMirrorTarget: ActionHandler = (ctx, params) => {
  const target = resolve(ctx, 'trafficMirrorTarget', required(params, 'TrafficMirrorTargetId'));
  if (ctx.organization.loadOf(ctx.world, target).sourceCount > 0) {
    throw new Ec2Error(
      'TrafficMirrorTargetInUseException',
      `Traffic mirror target ${target.trafficMirrorTargetId} is in use by a session.`,
    );
  }
  ctx.state.removeTarget(target.trafficMirrorTargetId, ctx.now());
  return { trafficMirrorTargetId: target.trafficMirrorTargetId };
};

export const describeTrafficMirrorTargets: ActionHandler = (ctx, params) => {
  const ids = list(params, 'TrafficMirrorTargetId');
  const shared = ctx.organization.sharedWith(ctx.world);
  const sharedIds = new Set(shared.map((t) => t.trafficMirrorTargetId));
  const candidates =
    ids.length > 0
      ? [
          ...resolveAll(
            ctx,
            'trafficMirrorTarget',
            ids.filter((id) => !sharedIds.has(id)),
          ),
          ...shared.filter((t) => ids.includes(t.trafficMirrorTargetId)),
        ]
      : listedNow(ctx, 'trafficMirrorTarget', [...ctx.state.targets.values(), ...shared], (t) => t.trafficMirrorTargetId);
  const fields: FilterFields<TrafficMirrorTarget> = {
    'traffic-mirror-target-id': (t) => t.trafficMirrorTargetId,
    'network-interface-id': (t) => t.networkInterfaceId,
    'network-load-balancer-arn': (t) => t.networkLoadBalancerArn,
    'gateway-load-balancer-endpoint-id': (t) => t.gatewayLoadBalancerEndpointId,
    description: (t) => t.description,
    'owner-id': (t) => t.ownerId,
  };
  const matches = filterMatcher(params, fields, (t) => t.tags);
  const { page, nextToken } = paginate(candidates, params, {
    matches,
    action: 'DescribeTrafficMirrorTargets',
    min: 5,
    max: 1000,
    idCount: ids.length,
    cursorOf: (t) => ctx.state.orderOf(t.trafficMirrorTargetId),
  });
  return { trafficMirrorTargetSet: page.map(targetXml), nextToken };
};
