/** RunInstances, Start/Stop/TerminateInstances and DescribeInstances. */

import { type Instance, type InstanceStateName, type NetworkInterface, STATE_CODES, type Subnet } from '../model/state';
import { Ec2Error, invalidCombination, invalidValue, missingParameter } from '../protocol/errors';
import { list, optionalBool, optionalInt, type Params, required, structList } from '../protocol/query';
import { lookupInstanceType } from '../rules/catalogue';
import { type ActionContext, type ActionHandler, isVisible } from './context';
import { type FilterFields, filterMatcher, paginate } from './describe';
import { resolve, resolveAll } from './lookup';
import { reservationXml, stateXml } from './serialize';
import { instanceTagsChanged, setTags, tagsByResourceType } from './tagging';

const DEFAULT_INSTANCE_TYPE = 'm5.large';
const INTERFACE_TYPES = ['interface', 'efa', 'efa-only', 'trunk'];

interface InterfacePlan {
  readonly deviceIndex: number;
  readonly subnet: Subnet;
  readonly existing?: NetworkInterface;
  readonly deleteOnTermination: boolean;
  readonly interfaceType: string;
  readonly description: string;
}

export const runInstances: ActionHandler = (ctx, params) => {
  const minCount = requiredCount(params, 'MinCount');
  const maxCount = requiredCount(params, 'MaxCount');
  if (minCount > maxCount) throw invalidValue('MinCount', String(minCount), 'MinCount must not exceed MaxCount');
  const instanceType = params.InstanceType ?? DEFAULT_INSTANCE_TYPE;
  if (!lookupInstanceType(instanceType)) throw invalidValue('InstanceType', instanceType);
  // AWS requires ImageId unless a launch template names one, and launch templates are not simulated.
  const imageId = required(params, 'ImageId');
  if (!/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/.test(imageId)) throw new Ec2Error('InvalidAMIID.Malformed', `Invalid id: "${imageId}"`);
  const tagsByType = tagsByResourceType(ctx, params, ['instance', 'network-interface', 'volume']);
  const plans = planInterfaces(ctx, params, maxCount);
  const count = launchableCount(plans, minCount, maxCount);

  const reservationId = ctx.ids.next('reservation');
  const launched: Instance[] = [];
  for (let index = 0; index < count; index++) {
    const instanceId = ctx.ids.next('instance');
    const attachTime = new Date(ctx.now());
    const interfaces = plans.map((plan) => {
      const eni = plan.existing ?? createInterface(ctx, plan.subnet, plan.interfaceType, plan.description);
      if (!plan.existing) setTags(ctx, eni.tags, tagsByType.get('network-interface') ?? []);
      ctx.state.attach(eni, {
        attachmentId: ctx.ids.next('attachment'),
        instanceId,
        deviceIndex: plan.deviceIndex,
        deleteOnTermination: plan.deleteOnTermination,
        attachTime,
        status: 'attaching',
      });
      return eni;
    });
    const primary = interfaces[0] as NetworkInterface;
    const instance: Instance = {
      instanceId,
      reservationId,
      instanceType,
      imageId,
      subnetId: primary.subnetId,
      vpcId: primary.vpcId,
      availabilityZone: primary.availabilityZone,
      privateIpAddress: primary.privateIpAddress,
      privateDnsName: primary.privateDnsName,
      launchTime: attachTime,
      amiLaunchIndex: index,
      ...(params.ClientToken ? { clientToken: params.ClientToken } : {}),
      state: 'pending',
      stateTransitionReason: '',
      tags: new Map(),
      tagVersion: 0,
    };
    ctx.state.addInstance(instance, ctx.now());
    ctx.lifecycle.launched(instance);
    instanceTagsChanged(ctx, instance, setTags(ctx, instance.tags, tagsByType.get('instance') ?? []));
    launched.push(instance);
  }
  return reservationXml(ctx.state, reservationId, launched, ctx.accountId);
};

export function createInterface(ctx: ActionContext, subnet: Subnet, interfaceType: string, description: string): NetworkInterface {
  const privateIpAddress = subnet.addresses.take();
  if (privateIpAddress === undefined) throw insufficientAddresses(subnet);
  const networkInterfaceId = ctx.ids.next('networkInterface');
  const eni: NetworkInterface = {
    networkInterfaceId,
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    availabilityZone: subnet.availabilityZone,
    interfaceType,
    description,
    privateIpAddress,
    privateDnsName: privateDnsName(privateIpAddress, ctx.region),
    macAddress: ctx.ids.mac(),
    tags: new Map(),
  };
  ctx.state.networkInterfaces.set(networkInterfaceId, eni);
  ctx.state.register(networkInterfaceId, ctx.now());
  return eni;
}

/** AWS's internal DNS names: ec2.internal in us-east-1, <region>.compute.internal elsewhere (VPC User Guide). */
function privateDnsName(ip: string, region: string): string {
  const domain = region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
  return `ip-${ip.replace(/\./g, '-')}.${domain}`;
}

function insufficientAddresses(subnet: Subnet): Ec2Error {
  return new Ec2Error(
    'InsufficientFreeAddressesInSubnet',
    `There are not enough free addresses in subnet '${subnet.subnetId}' to satisfy the request.`,
  );
}

/**
 * How many of the requested instances the subnets have addresses for: AWS launches MaxCount if it can and at
 * least MinCount, or refuses the whole call.
 */
function launchableCount(plans: InterfacePlan[], minCount: number, maxCount: number): number {
  const newPerSubnet = new Map<Subnet, number>();
  for (const plan of plans) if (!plan.existing) newPerSubnet.set(plan.subnet, (newPerSubnet.get(plan.subnet) ?? 0) + 1);
  let count = maxCount;
  for (const [subnet, perInstance] of newPerSubnet) {
    count = Math.min(count, Math.floor(subnet.addresses.available / perInstance));
    if (count < minCount) throw insufficientAddresses(subnet);
  }
  return count;
}

export function interfaceType(params: Params, name: string): string {
  const value = params[name] ?? 'interface';
  if (!INTERFACE_TYPES.includes(value)) throw invalidValue(name, value);
  return value;
}

function requiredCount(params: Params, name: string): number {
  if (params[name] === undefined) throw missingParameter(name);
  return optionalInt(params, name, 1, 1000) as number;
}

/** The subnet from SubnetId and/or Placement.AvailabilityZone; the zone's default subnet; else the first zone's. */
function subnetFor(ctx: ActionContext, subnetId: string | undefined, zone: string | undefined): Subnet {
  if (subnetId !== undefined) {
    const subnet = resolve(ctx, 'subnet', subnetId);
    if (zone !== undefined && subnet.availabilityZone !== zone) {
      throw invalidCombination(`The subnet '${subnetId}' is not in availability zone '${zone}'`);
    }
    return subnet;
  }
  const defaults = [...ctx.state.subnets.values()].filter((s) => s.defaultForAz);
  if (zone === undefined) return defaults[0] as Subnet;
  const inZone = defaults.find((s) => s.availabilityZone === zone);
  if (!inZone) throw new Ec2Error('InvalidParameterValue', `Invalid availability zone: [${zone}]`);
  return inZone;
}

function planInterfaces(ctx: ActionContext, params: Params, count: number): InterfacePlan[] {
  const zone = params['Placement.AvailabilityZone'];
  const specs = structList(params, 'NetworkInterface');
  if (specs.length === 0) {
    const subnet = subnetFor(ctx, params.SubnetId, zone);
    return [{ deviceIndex: 0, subnet, deleteOnTermination: true, interfaceType: 'interface', description: '' }];
  }
  if (params.SubnetId !== undefined) {
    throw invalidCombination('Network interfaces and an instance-level subnet ID may not be specified on the same request');
  }
  const plans = specs.map((spec, n) => {
    const name = `NetworkInterface.${n + 1}`;
    const deviceIndex = optionalInt(spec, 'DeviceIndex', 0, 31);
    if (deviceIndex === undefined) throw missingParameter(`${name}.DeviceIndex`);
    if (spec.NetworkInterfaceId !== undefined) {
      if (count > 1) throw invalidCombination('An existing network interface can only be attached to a single instance');
      const existing = resolve(ctx, 'networkInterface', spec.NetworkInterfaceId);
      if (existing.attachment) throw interfaceInUse(existing.networkInterfaceId);
      const subnet = resolve(ctx, 'subnet', existing.subnetId);
      return {
        deviceIndex,
        subnet,
        existing,
        deleteOnTermination: optionalBool(spec, 'DeleteOnTermination') ?? false,
        interfaceType: existing.interfaceType,
        description: existing.description,
      };
    }
    return {
      deviceIndex,
      subnet: subnetFor(ctx, spec.SubnetId, zone),
      deleteOnTermination: optionalBool(spec, 'DeleteOnTermination') ?? true,
      interfaceType: interfaceType(spec, 'InterfaceType'),
      description: spec.Description ?? '',
    };
  });
  plans.sort((a, b) => a.deviceIndex - b.deviceIndex);
  if (plans[0]?.deviceIndex !== 0) throw new Ec2Error('InvalidParameterValue', 'A network interface with device index 0 is required');
  if (new Set(plans.map((p) => p.deviceIndex)).size !== plans.length) {
    throw new Ec2Error('InvalidParameterValue', 'Each network interface requires a unique device index');
  }
  if (new Set(plans.map((p) => p.subnet.availabilityZone)).size > 1) {
    throw invalidCombination('All network interfaces of an instance must be in the same availability zone');
  }
  return plans;
}

export function interfaceInUse(networkInterfaceId: string): Ec2Error {
  return new Ec2Error('InvalidNetworkInterface.InUse', `Interface: [${networkInterfaceId}] in use.`);
}

type Transition = (ctx: ActionContext, instance: Instance) => void;

/** Validates every instance first (all or nothing), then applies, answering previous and current states. */
function stateChangeAction(allowed: InstanceStateName[], noop: InstanceStateName[], verb: string, apply: Transition): ActionHandler {
  return (ctx, params) => {
    const ids = list(params, 'InstanceId');
    if (ids.length === 0) throw missingParameter('InstanceId');
    const instances = resolveAll(ctx, 'instance', ids);
    for (const instance of instances) {
      if (!allowed.includes(instance.state) && !noop.includes(instance.state)) {
        throw new Ec2Error(
          'IncorrectInstanceState',
          `The instance '${instance.instanceId}' is not in a state from which it can be ${verb}.`,
        );
      }
    }
    const changes = instances.map((instance) => {
      const previousState = stateXml(instance.state);
      if (allowed.includes(instance.state)) apply(ctx, instance);
      return { instanceId: instance.instanceId, currentState: stateXml(instance.state), previousState };
    });
    return { instancesSet: changes };
  };
}

export const startInstances = stateChangeAction(['stopped'], ['pending', 'running'], 'started', (ctx, i) => ctx.lifecycle.start(i));
export const stopInstances = stateChangeAction(['running'], ['stopping', 'stopped'], 'stopped', (ctx, i) => ctx.lifecycle.stop(i));
export const terminateInstances = stateChangeAction(
  ['pending', 'running', 'stopping', 'stopped'],
  ['shutting-down', 'terminated'],
  'terminated',
  (ctx, i) => ctx.lifecycle.terminate(i),
);

export const describeInstances: ActionHandler = (ctx, params) => {
  const ids = list(params, 'InstanceId');
  // Without ids, the candidates are every visible instance in creation order: pages are cut by binary search.
  const all = ctx.state.instancesInOrder;
  const found =
    ids.length > 0 ? resolveAll(ctx, 'instance', ids) : ctx.consistencyWindowMs > 0 ? all.filter((i) => isVisible(ctx, i.instanceId)) : all;
  // While reads lag, each instance is filtered and shown with its state and tags of one window ago.
  const now = ctx.now();
  const candidates = ctx.consistencyWindowMs > 0 ? found.map((i) => ctx.state.laggingInstances.viewOf(i, now)) : found;
  const fields: FilterFields<Instance> = {
    'instance-id': (i) => i.instanceId,
    'instance-state-name': (i) => i.state,
    'instance-state-code': (i) => STATE_CODES[i.state],
    'instance-type': (i) => i.instanceType,
    'availability-zone': (i) => i.availabilityZone,
    'subnet-id': (i) => i.subnetId,
    'vpc-id': (i) => i.vpcId,
    'image-id': (i) => i.imageId,
    'reservation-id': (i) => i.reservationId,
    'private-ip-address': (i) => i.privateIpAddress,
    'owner-id': () => ctx.accountId,
    'client-token': (i) => i.clientToken,
    'launch-index': (i) => i.amiLaunchIndex,
    'network-interface.network-interface-id': (i) => ctx.state.interfacesOfInstance(i.instanceId).map((e) => e.networkInterfaceId),
    'network-interface.subnet-id': (i) => ctx.state.interfacesOfInstance(i.instanceId).map((e) => e.subnetId),
    'network-interface.attachment.device-index': (i) => ctx.state.interfacesOfInstance(i.instanceId).map((e) => e.attachment?.deviceIndex),
  };
  const matches = filterMatcher(params, fields, (i) => i.tags);
  const { page, nextToken } = paginate(candidates, params, {
    matches,
    action: 'DescribeInstances',
    min: 5,
    max: 1000,
    idCount: ids.length,
    exclusiveWithIds: true,
    inCursorOrder: ids.length === 0,
    cursorOf: (i) => ctx.state.orderOf(i.instanceId),
  });
  const byReservation = new Map<string, Instance[]>();
  for (const instance of page) {
    byReservation.set(instance.reservationId, [...(byReservation.get(instance.reservationId) ?? []), instance]);
  }
  return {
    reservationSet: [...byReservation.entries()].map(([reservationId, instances]) =>
      reservationXml(ctx.state, reservationId, instances, ctx.accountId),
    ),
    nextToken,
  };
};
