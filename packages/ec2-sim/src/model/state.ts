/** The simulator's resources: plain records in maps, mutated only by the action handlers and the lifecycle. */
import { SubnetAddresses } from './addresses';
import { LaggingInstances } from './lagging-instances';
import { type ConsistencyWindow, RecentDeletions } from './recent-deletions';

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

export interface Vpc {
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly isDefault: boolean;
  readonly tags: Tags;
}

export interface Subnet {
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly availabilityZoneId: string;
  readonly cidrBlock: string;
  /** The default subnet of its zone: where RunInstances goes when it names a zone but no subnet. */
  readonly defaultForAz: boolean;
  readonly addresses: SubnetAddresses;
  readonly tags: Tags;
}

export interface Attachment {
  readonly attachmentId: string;
  readonly instanceId: string;
  readonly deviceIndex: number;
  readonly deleteOnTermination: boolean;
  readonly attachTime: Date;
  status: 'attaching' | 'attached' | 'detaching';
}

export interface NetworkInterface {
  readonly networkInterfaceId: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly interfaceType: string;
  readonly description: string;
  readonly privateIpAddress: string;
  readonly privateDnsName: string;
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
  readonly privateDnsName: string;
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

/** Counts per key, for the indexes below. */
class Counter<K> {
  private readonly counts = new Map<K, number>();
  add(key: K): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  remove(key: K): void {
    const left = (this.counts.get(key) ?? 0) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }
  has(key: K): boolean {
    return this.counts.has(key);
  }
}

/** A counter of creations, shared by the states of one simulator. */
export class CreationOrder {
  private readonly order = new Map<string, number>();
  private next = 0;
  record(id: string): void {
    this.order.set(id, this.next++);
  }
  of(id: string): number {
    return this.order.get(id) ?? -1;
  }
}

/**
 * All resources, with indexes so that the per-request rule checks stay cheap at benchmark scale (thousands of
 * instances and sessions). Attachments, targets and sessions change only through the methods here.
 */
export class SimState {
  readonly vpcs = new Map<string, Vpc>();
  readonly subnets = new Map<string, Subnet>();
  readonly instances = new Map<string, Instance>();
  readonly networkInterfaces = new Map<string, NetworkInterface>();
  readonly filters = new Map<string, TrafficMirrorFilter>();
  /** Creation time of every resource, for the eventual-consistency window. */
  readonly createdAt = new Map<string, number>();
  /** Sessions, ENIs, targets and filters deleted within the eventual-consistency window: listings still show them. */
  readonly recentlyDeleted: RecentDeletions;
  /** Instances as DescribeInstances shows them while the window is on: their state and tags of one window ago. */
  readonly laggingInstances: LaggingInstances;
  /**
   * Creation order of every resource: the pagination cursor, stable when earlier items are deleted. One order for
   * every account and Region of a simulator, so a listing that mixes accounts (a shared target's sessions) pages.
   */
  constructor(
    private readonly creationOrder: CreationOrder = new CreationOrder(),
    consistencyWindow: ConsistencyWindow = { ms: 0 },
  ) {
    this.recentlyDeleted = new RecentDeletions(consistencyWindow);
    this.laggingInstances = new LaggingInstances(consistencyWindow);
  }
  /** Terminated instances, until they are forgotten. */
  readonly terminated = new Set<string>();

  /** The instances in creation order: a DescribeInstances page is a slice of it, found by binary search. */
  private readonly instanceList: Instance[] = [];
  private readonly targetsById = new Map<string, TrafficMirrorTarget>();
  private readonly sessionsById = new Map<string, TrafficMirrorSession>();
  private readonly eniIdsByInstance = new Map<string, Set<string>>();
  private readonly targetIdByEni = new Map<string, string>();
  private readonly sessionIdsByEni = new Map<string, Set<string>>();
  /** Per target: source ENI -> number of its sessions on that target. */
  private readonly sourcesByTarget = new Map<string, Map<string, number>>();
  private readonly filtersInUse = new Counter<string>();
  private readonly vnisInUse = new Counter<number>();

  get targets(): ReadonlyMap<string, TrafficMirrorTarget> {
    return this.targetsById;
  }

  get sessions(): ReadonlyMap<string, TrafficMirrorSession> {
    return this.sessionsById;
  }

  /** Records a new resource's creation (time and order). */
  register(id: string, now: number): void {
    this.createdAt.set(id, now);
    this.creationOrder.record(id);
  }

  orderOf(id: string): number {
    return this.creationOrder.of(id);
  }

  attach(eni: NetworkInterface, attachment: Attachment): void {
    this.detach(eni);
    eni.attachment = attachment;
    const ids = this.eniIdsByInstance.get(attachment.instanceId) ?? new Set<string>();
    ids.add(eni.networkInterfaceId);
    this.eniIdsByInstance.set(attachment.instanceId, ids);
  }

  detach(eni: NetworkInterface): void {
    if (!eni.attachment) return;
    this.eniIdsByInstance.get(eni.attachment.instanceId)?.delete(eni.networkInterfaceId);
    delete eni.attachment;
  }

  interfacesOfInstance(instanceId: string): NetworkInterface[] {
    return [...(this.eniIdsByInstance.get(instanceId) ?? [])]
      .map((id) => this.networkInterfaces.get(id) as NetworkInterface)
      .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0));
  }

  /** Deleting an ENI deletes its sessions, as AWS does, and gives its address back to the subnet. */
  deleteNetworkInterface(networkInterfaceId: string, now: number): void {
    for (const session of this.sessionsOnInterface(networkInterfaceId)) this.removeSession(session.trafficMirrorSessionId, now);
    const eni = this.networkInterfaces.get(networkInterfaceId);
    if (eni) {
      // Listed as it was last seen, still attached, until the window passes.
      this.recentlyDeleted.record('networkInterface', networkInterfaceId, { ...eni }, now);
      this.detach(eni);
      this.subnets.get(eni.subnetId)?.addresses.release(eni.privateIpAddress);
    }
    this.networkInterfaces.delete(networkInterfaceId);
  }

  /** A launched instance: after every earlier one in the creation order. */
  addInstance(instance: Instance, now: number): void {
    this.instances.set(instance.instanceId, instance);
    this.instanceList.push(instance);
    this.register(instance.instanceId, now);
  }

  /** Every instance, oldest first (the order of the pagination cursor). */
  get instancesInOrder(): readonly Instance[] {
    return this.instanceList;
  }

  forgetInstance(instanceId: string): void {
    const index = this.instanceList.findIndex((instance) => instance.instanceId === instanceId);
    if (index >= 0) this.instanceList.splice(index, 1);
    this.instances.delete(instanceId);
    this.terminated.delete(instanceId);
    this.eniIdsByInstance.delete(instanceId);
  }

  addTarget(target: TrafficMirrorTarget): void {
    this.targetsById.set(target.trafficMirrorTargetId, target);
    if (target.networkInterfaceId) this.targetIdByEni.set(target.networkInterfaceId, target.trafficMirrorTargetId);
  }

  removeTarget(targetId: string, now: number): void {
    const target = this.targetsById.get(targetId);
    if (!target) return;
    if (target.networkInterfaceId) this.targetIdByEni.delete(target.networkInterfaceId);
    this.targetsById.delete(targetId);
    this.recentlyDeleted.record('trafficMirrorTarget', targetId, target, now);
  }

  removeFilter(filterId: string, now: number): void {
    const filter = this.filters.get(filterId);
    if (!filter) return;
    this.filters.delete(filterId);
    this.recentlyDeleted.record('trafficMirrorFilter', filterId, filter, now);
  }

  targetOfInterface(networkInterfaceId: string): TrafficMirrorTarget | undefined {
    const targetId = this.targetIdByEni.get(networkInterfaceId);
    return targetId === undefined ? undefined : this.targetsById.get(targetId);
  }

  addSession(session: TrafficMirrorSession): void {
    this.sessionsById.set(session.trafficMirrorSessionId, session);
    this.index(session);
  }

  removeSession(sessionId: string, now: number): void {
    const session = this.sessionsById.get(sessionId);
    if (!session) return;
    this.unindex(session);
    this.sessionsById.delete(sessionId);
    this.recentlyDeleted.record('trafficMirrorSession', sessionId, session, now);
  }

  /** Changes a session's target, filter or VNI with the indexes kept right. */
  updateSession(session: TrafficMirrorSession, change: (session: TrafficMirrorSession) => void): void {
    this.unindex(session);
    change(session);
    this.index(session);
  }

  sessionsOnInterface(networkInterfaceId: string): TrafficMirrorSession[] {
    return [...(this.sessionIdsByEni.get(networkInterfaceId) ?? [])].map((id) => this.sessionsById.get(id) as TrafficMirrorSession);
  }

  /** Distinct source ENIs the target serves. */
  sourceCountOfTarget(trafficMirrorTargetId: string): number {
    return this.sourcesByTarget.get(trafficMirrorTargetId)?.size ?? 0;
  }

  targetServes(trafficMirrorTargetId: string, networkInterfaceId: string): boolean {
    return this.sourcesByTarget.get(trafficMirrorTargetId)?.has(networkInterfaceId) ?? false;
  }

  filterInUse(trafficMirrorFilterId: string): boolean {
    return this.filtersInUse.has(trafficMirrorFilterId);
  }

  vniInUse(vni: number): boolean {
    return this.vnisInUse.has(vni);
  }

  private index(session: TrafficMirrorSession): void {
    const onEni = this.sessionIdsByEni.get(session.networkInterfaceId) ?? new Set<string>();
    onEni.add(session.trafficMirrorSessionId);
    this.sessionIdsByEni.set(session.networkInterfaceId, onEni);
    const sources = this.sourcesByTarget.get(session.trafficMirrorTargetId) ?? new Map<string, number>();
    sources.set(session.networkInterfaceId, (sources.get(session.networkInterfaceId) ?? 0) + 1);
    this.sourcesByTarget.set(session.trafficMirrorTargetId, sources);
    this.filtersInUse.add(session.trafficMirrorFilterId);
    this.vnisInUse.add(session.virtualNetworkId);
  }

  private unindex(session: TrafficMirrorSession): void {
    const onEni = this.sessionIdsByEni.get(session.networkInterfaceId);
    onEni?.delete(session.trafficMirrorSessionId);
    if (onEni?.size === 0) this.sessionIdsByEni.delete(session.networkInterfaceId);
    const sources = this.sourcesByTarget.get(session.trafficMirrorTargetId);
    const left = (sources?.get(session.networkInterfaceId) ?? 0) - 1;
    if (left > 0) sources?.set(session.networkInterfaceId, left);
    else sources?.delete(session.networkInterfaceId);
    if (sources?.size === 0) this.sourcesByTarget.delete(session.trafficMirrorTargetId);
    this.filtersInUse.remove(session.trafficMirrorFilterId);
    this.vnisInUse.remove(session.virtualNetworkId);
  }
}

export function tagList(tags: Tags): Array<{ key: string; value: string }> {
  return [...tags.entries()].map(([key, value]) => ({ key, value }));
}

/**
 * The default VPC as AWS makes it: 172.31.0.0/16 with one /20 default subnet per zone (a, b, c here), 4,091 usable
 * addresses each (VPC User Guide, "Default VPCs"). More subnets come from CreateSubnet.
 */
export const DEFAULT_VPC = { vpcId: 'vpc-00000000000000001', cidrBlock: '172.31.0.0/16' } as const;

export function createDefaultSubnets(state: SimState, region: string): void {
  state.vpcs.set(DEFAULT_VPC.vpcId, { ...DEFAULT_VPC, isDefault: true, tags: new Map() });
  state.register(DEFAULT_VPC.vpcId, 0);
  ['a', 'b', 'c'].forEach((letter, index) => {
    const subnetId = `subnet-${String(index + 1).padStart(17, '0')}`;
    const cidrBlock = `172.31.${index * 16}.0/20`;
    state.register(subnetId, 0);
    state.subnets.set(subnetId, {
      subnetId,
      vpcId: DEFAULT_VPC.vpcId,
      availabilityZone: `${region}${letter}`,
      availabilityZoneId: `${regionShort(region)}-az${index + 1}`,
      cidrBlock,
      defaultForAz: true,
      addresses: new SubnetAddresses(cidrBlock),
      tags: new Map(),
    });
  });
}

function regionShort(region: string): string {
  const [area = 'xx', direction = 'x', number = '0'] = region.split('-');
  return `${area}${direction[0]}${number}`;
}
