/** A plain-object copy of the simulator's resources, for invariant checks in tests and the sandbox. */
import { type InstanceStateName, type SimState, STATE_CODES, type TargetType, tagList } from './model/state';

export interface SimulatorSnapshot {
  instances: Array<{
    instanceId: string;
    instanceType: string;
    state: InstanceStateName;
    stateCode: number;
    availabilityZone: string;
    subnetId: string;
    tags: Record<string, string>;
    networkInterfaceIds: string[];
  }>;
  networkInterfaces: Array<{
    networkInterfaceId: string;
    interfaceType: string;
    subnetId: string;
    availabilityZone: string;
    instanceId?: string;
    deviceIndex?: number;
    deleteOnTermination?: boolean;
    attachmentStatus?: 'attaching' | 'attached' | 'detaching';
    tags: Record<string, string>;
  }>;
  targets: Array<{
    trafficMirrorTargetId: string;
    type: TargetType;
    networkInterfaceId?: string;
    networkLoadBalancerArn?: string;
    gatewayLoadBalancerEndpointId?: string;
    tags: Record<string, string>;
  }>;
  filters: Array<{ trafficMirrorFilterId: string; description?: string; tags: Record<string, string> }>;
  sessions: Array<{
    trafficMirrorSessionId: string;
    networkInterfaceId: string;
    trafficMirrorTargetId: string;
    trafficMirrorFilterId: string;
    sessionNumber: number;
    virtualNetworkId: number;
    packetLength?: number;
    description?: string;
    tags: Record<string, string>;
  }>;
  subnets: Array<{ subnetId: string; availabilityZone: string; vpcId: string; cidrBlock: string }>;
}

export function snapshotOf(state: SimState): SimulatorSnapshot {
  const tagsOf = (tags: Map<string, string>) => Object.fromEntries(tagList(tags).map((t) => [t.key, t.value]));
  return {
    instances: [...state.instances.values()].map((i) => ({
      instanceId: i.instanceId,
      instanceType: i.instanceType,
      state: i.state,
      stateCode: STATE_CODES[i.state],
      availabilityZone: i.availabilityZone,
      subnetId: i.subnetId,
      tags: tagsOf(i.tags),
      networkInterfaceIds: state.interfacesOfInstance(i.instanceId).map((e) => e.networkInterfaceId),
    })),
    networkInterfaces: [...state.networkInterfaces.values()].map((e) => ({
      networkInterfaceId: e.networkInterfaceId,
      interfaceType: e.interfaceType,
      subnetId: e.subnetId,
      availabilityZone: e.availabilityZone,
      ...(e.attachment
        ? {
            instanceId: e.attachment.instanceId,
            deviceIndex: e.attachment.deviceIndex,
            deleteOnTermination: e.attachment.deleteOnTermination,
            attachmentStatus: e.attachment.status,
          }
        : {}),
      tags: tagsOf(e.tags),
    })),
    targets: [...state.targets.values()].map((t) => ({
      trafficMirrorTargetId: t.trafficMirrorTargetId,
      type: t.type,
      ...(t.networkInterfaceId ? { networkInterfaceId: t.networkInterfaceId } : {}),
      ...(t.networkLoadBalancerArn ? { networkLoadBalancerArn: t.networkLoadBalancerArn } : {}),
      ...(t.gatewayLoadBalancerEndpointId ? { gatewayLoadBalancerEndpointId: t.gatewayLoadBalancerEndpointId } : {}),
      tags: tagsOf(t.tags),
    })),
    filters: [...state.filters.values()].map((f) => ({
      trafficMirrorFilterId: f.trafficMirrorFilterId,
      ...(f.description !== undefined ? { description: f.description } : {}),
      tags: tagsOf(f.tags),
    })),
    sessions: [...state.sessions.values()].map((s) => ({
      trafficMirrorSessionId: s.trafficMirrorSessionId,
      networkInterfaceId: s.networkInterfaceId,
      trafficMirrorTargetId: s.trafficMirrorTargetId,
      trafficMirrorFilterId: s.trafficMirrorFilterId,
      sessionNumber: s.sessionNumber,
      virtualNetworkId: s.virtualNetworkId,
      ...(s.packetLength !== undefined ? { packetLength: s.packetLength } : {}),
      ...(s.description !== undefined ? { description: s.description } : {}),
      tags: tagsOf(s.tags),
    })),
    subnets: [...state.subnets.values()].map((s) => ({
      subnetId: s.subnetId,
      availabilityZone: s.availabilityZone,
      vpcId: s.vpcId,
      cidrBlock: s.cidrBlock,
    })),
  };
}
