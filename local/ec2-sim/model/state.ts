/** The simulator's resources: plain records in maps, mutated only by the action handlers and the lifecycle. */
export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export const STATE_CODES: Readonly<Record<InstanceStateName, number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export type Tags = Map<string, string>;

export interface Subnet {
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly availabilityZoneId: string;
  readonly cidrBlock: string;
  nextHost: number;
  readonly tags: Tags;
}

export interface Attachment {
  readonly attachmentId: string;
  readonly instanceId: string;
  readonly deviceIndex: number;
  readonly deleteOnTermination: boolean;
  readonly attachTime: Date;
}

export interface NetworkInterface {
  readonly networkInterfaceId: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly interfaceType: string;
  readonly description: string;
  readonly privateIpAddress: string;
  readonly macAddress: string;
  attachment?: Attachment;
  readonly tags: Tags;
}

export interface Instance {
  readonly instanceId: string;
  readonly reservationId: string;
  readonly instanceType: string;
  readonly imageId: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly privateIpAddress: string;
  readonly launchTime: Date;
  readonly amiLaunchIndex: number;
  readonly clientToken?: string;
  state: InstanceStateName;
  stateTransitionReason: string;
  /** When it reached `terminated`: it stays describable for a while, then is forgotten. */
  terminatedAt?: number;
  readonly tags: Tags;
  /** Incremented on every tag change: the `version` of Tag Change on Resource events. */
  tagVersion: number;
}

export type TargetType = 'network-interface' | 'network-load-balancer' | 'gateway-load-balancer-endpoint';

export interface TrafficMirrorTarget {
  readonly trafficMirrorTargetId: string;
  readonly type: TargetType;
  readonly networkInterfaceId?: string;
  readonly networkLoadBalancerArn?: string;
  readonly gatewayLoadBalancerEndpointId?: string;
  readonly description?: string;
  readonly ownerId: string;
  readonly tags: Tags;
}

export interface TrafficMirrorFilter {
  readonly trafficMirrorFilterId: string;
  readonly description?: string;
  readonly networkServices: string[];
  readonly tags: Tags;
}

export interface TrafficMirrorSession {
  readonly trafficMirrorSessionId: string;
  readonly networkInterfaceId: string;
  readonly ownerId: string;
  trafficMirrorTargetId: string;
  trafficMirrorFilterId: string;
  sessionNumber: number;
  virtualNetworkId: number;
  packetLength?: number;
  description?: string;
  readonly tags: Tags;
}

export class SimState {
  readonly subnets = new Map<string, Subnet>();
  readonly instances = new Map<string, Instance>();
  readonly networkInterfaces = new Map<string, NetworkInterface>();
  readonly targets = new Map<string, TrafficMirrorTarget>();
  readonly filters = new Map<string, TrafficMirrorFilter>();
  readonly sessions = new Map<string, TrafficMirrorSession>();
  /** Creation time of every resource, for the eventual-consistency window. */
  readonly createdAt = new Map<string, number>();

  sessionsOnInterface(networkInterfaceId: string): TrafficMirrorSession[] {
    return [...this.sessions.values()].filter((s) => s.networkInterfaceId === networkInterfaceId);
  }

  /** Distinct source ENIs the target serves. */
  sourcesOfTarget(trafficMirrorTargetId: string): Set<string> {
    const sources = new Set<string>();
    for (const session of this.sessions.values()) {
      if (session.trafficMirrorTargetId === trafficMirrorTargetId) sources.add(session.networkInterfaceId);
    }
    return sources;
  }

  targetOfInterface(networkInterfaceId: string): TrafficMirrorTarget | undefined {
    return [...this.targets.values()].find((t) => t.networkInterfaceId === networkInterfaceId);
  }

  /** Deleting an ENI deletes its sessions, as AWS does. */
  interfacesOfInstance(instanceId: string): NetworkInterface[] {
    return [...this.networkInterfaces.values()]
      .filter((eni) => eni.attachment?.instanceId === instanceId)
      .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0));
  }

  deleteNetworkInterface(networkInterfaceId: string): void {
    for (const session of this.sessionsOnInterface(networkInterfaceId)) this.sessions.delete(session.trafficMirrorSessionId);
    this.networkInterfaces.delete(networkInterfaceId);
  }

  allocateIp(subnet: Subnet): string {
    const base = subnet.cidrBlock.split('/')[0]?.split('.').map(Number) ?? [10, 0, 0, 0];
    const host = subnet.nextHost++;
    return `${base[0]}.${base[1]}.${(base[2] ?? 0) + Math.floor(host / 256)}.${host % 256}`;
  }
}

export function tagList(tags: Tags): Array<{ key: string; value: string }> {
  return [...tags.entries()].map(([key, value]) => ({ key, value }));
}

/** The fixed default VPC: one default subnet per zone (a, b, c) of the region. */
export function createDefaultSubnets(state: SimState, region: string): void {
  ['a', 'b', 'c'].forEach((letter, index) => {
    const subnetId = `subnet-${String(index + 1).padStart(17, '0')}`;
    state.subnets.set(subnetId, {
      subnetId,
      vpcId: 'vpc-00000000000000001',
      availabilityZone: `${region}${letter}`,
      availabilityZoneId: `${regionShort(region)}-az${index + 1}`,
      cidrBlock: `172.31.${index * 16}.0/20`,
      nextHost: 4,
      tags: new Map(),
    });
  });
}

function regionShort(region: string): string {
  const [area = 'xx', direction = 'x', number = '0'] = region.split('-');
  return `${area}${direction[0]}${number}`;
}
