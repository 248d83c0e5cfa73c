/** Resources -> the XML shapes EC2 answers with (element names as in the EC2 API model). */

import {
  type Instance,
  type InstanceStateName,
  type NetworkInterface,
  type SimState,
  STATE_CODES,
  type Subnet,
  type TrafficMirrorFilter,
  type TrafficMirrorSession,
  type TrafficMirrorTarget,
  tagList,
} from '../model/state';
import type { XmlValue } from '../protocol/xml';
import type { InstanceTypeInfo } from '../rules/catalogue';

type Xml = Record<string, XmlValue>;

const DEFAULT_GROUP = { groupId: 'sg-00000000000000001', groupName: 'default' };

export function stateXml(state: InstanceStateName): Xml {
  return { code: STATE_CODES[state], name: state };
}

function instanceXml(state: SimState, instance: Instance, accountId: string): Xml {
  const interfaces = state.interfacesOfInstance(instance.instanceId);
  return {
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: stateXml(instance.state),
    privateDnsName: instance.state === 'terminated' ? '' : instance.privateDnsName,
    dnsName: '',
    reason: instance.stateTransitionReason,
    amiLaunchIndex: instance.amiLaunchIndex,
    productCodes: [],
    instanceType: instance.instanceType,
    launchTime: instance.launchTime,
    placement: { availabilityZone: instance.availabilityZone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: instance.state === 'terminated' ? undefined : instance.subnetId,
    vpcId: instance.state === 'terminated' ? undefined : instance.vpcId,
    privateIpAddress: instance.state === 'terminated' ? undefined : instance.privateIpAddress,
    sourceDestCheck: true,
    groupSet: instance.state === 'terminated' ? [] : [DEFAULT_GROUP],
    architecture: instance.instanceType.match(/^[a-z]+\d+g/) ? 'arm64' : 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    blockDeviceMapping: [],
    virtualizationType: 'hvm',
    clientToken: instance.clientToken ?? '',
    tagSet: instance.tags.size > 0 ? tagList(instance.tags) : undefined,
    // DescribeInstances' enum is ovm|xen and says xen even for Nitro: DescribeInstanceTypes is the one to ask.
    hypervisor: 'xen',
    networkInterfaceSet: interfaces.map((eni) => instanceInterfaceXml(eni, accountId)),
    ebsOptimized: false,
    enaSupport: true,
  };
}

/** The reservation-grouped answer of RunInstances and DescribeInstances. */
export function reservationXml(state: SimState, reservationId: string, instances: Instance[], accountId: string): Xml {
  return {
    reservationId,
    ownerId: accountId,
    groupSet: [],
    instancesSet: instances.map((instance) => instanceXml(state, instance, accountId)),
  };
}

/** What an ENI looks like in both DescribeInstances' networkInterfaceSet and DescribeNetworkInterfaces. */
function interfaceCommonXml(eni: NetworkInterface, accountId: string): Xml {
  return {
    networkInterfaceId: eni.networkInterfaceId,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    description: eni.description,
    ownerId: accountId,
    macAddress: eni.macAddress,
    privateIpAddress: eni.privateIpAddress,
    privateDnsName: eni.privateDnsName,
    sourceDestCheck: true,
    groupSet: [DEFAULT_GROUP],
    privateIpAddressesSet: [{ privateIpAddress: eni.privateIpAddress, privateDnsName: eni.privateDnsName, primary: true }],
    ipv6AddressesSet: [],
    interfaceType: eni.interfaceType,
  };
}

function attachmentCommonXml(attachment: NonNullable<NetworkInterface['attachment']>): Xml {
  return {
    attachmentId: attachment.attachmentId,
    deviceIndex: attachment.deviceIndex,
    networkCardIndex: 0,
    status: attachment.status,
    attachTime: attachment.attachTime,
    deleteOnTermination: attachment.deleteOnTermination,
  };
}

/** An instance's ENI is attached by definition; EC2 leaves out the instance id (it is the parent) and the tags. */
function instanceInterfaceXml(eni: NetworkInterface, accountId: string): Xml {
  return {
    ...interfaceCommonXml(eni, accountId),
    status: 'in-use',
    attachment: eni.attachment ? attachmentCommonXml(eni.attachment) : undefined,
  };
}

export function networkInterfaceXml(eni: NetworkInterface, accountId: string): Xml {
  return {
    ...interfaceCommonXml(eni, accountId),
    availabilityZone: eni.availabilityZone,
    requesterManaged: false,
    status: eni.attachment ? 'in-use' : 'available',
    attachment: eni.attachment
      ? { ...attachmentCommonXml(eni.attachment), instanceId: eni.attachment.instanceId, instanceOwnerId: accountId }
      : undefined,
    tagSet: tagList(eni.tags),
  };
}

export function targetXml(target: TrafficMirrorTarget): Xml {
  return {
    trafficMirrorTargetId: target.trafficMirrorTargetId,
    networkInterfaceId: target.networkInterfaceId,
    networkLoadBalancerArn: target.networkLoadBalancerArn,
    gatewayLoadBalancerEndpointId: target.gatewayLoadBalancerEndpointId,
    type: target.type,
    description: target.description,
    ownerId: target.ownerId,
    tagSet: tagList(target.tags),
  };
}

export function filterXml(filter: TrafficMirrorFilter): Xml {
  return {
    trafficMirrorFilterId: filter.trafficMirrorFilterId,
    ingressFilterRuleSet: [],
    egressFilterRuleSet: [],
    networkServiceSet: filter.networkServices,
    description: filter.description,
    tagSet: tagList(filter.tags),
  };
}

export function sessionXml(session: TrafficMirrorSession): Xml {
  return {
    trafficMirrorSessionId: session.trafficMirrorSessionId,
    trafficMirrorTargetId: session.trafficMirrorTargetId,
    trafficMirrorFilterId: session.trafficMirrorFilterId,
    networkInterfaceId: session.networkInterfaceId,
    ownerId: session.ownerId,
    packetLength: session.packetLength,
    sessionNumber: session.sessionNumber,
    virtualNetworkId: session.virtualNetworkId,
    description: session.description,
    tagSet: tagList(session.tags),
  };
}

export function subnetXml(subnet: Subnet, accountId: string, region: string): Xml {
  return {
    subnetId: subnet.subnetId,
    subnetArn: `arn:aws:ec2:${region}:${accountId}:subnet/${subnet.subnetId}`,
    state: 'available',
    vpcId: subnet.vpcId,
    ownerId: accountId,
    cidrBlock: subnet.cidrBlock,
    ipv6CidrBlockAssociationSet: [],
    availableIpAddressCount: subnet.addresses.available,
    availabilityZone: subnet.availabilityZone,
    availabilityZoneId: subnet.availabilityZoneId,
    defaultForAz: subnet.defaultForAz,
    mapPublicIpOnLaunch: subnet.defaultForAz,
    assignIpv6AddressOnCreation: false,
    tagSet: tagList(subnet.tags),
  };
}

export function instanceTypeXml(info: InstanceTypeInfo): Xml {
  return {
    instanceType: info.instanceType,
    currentGeneration: true,
    bareMetal: info.bareMetal,
    hypervisor: info.hypervisor,
    supportedUsageClasses: ['on-demand'],
    supportedRootDeviceTypes: ['ebs'],
    supportedVirtualizationTypes: ['hvm'],
    processorInfo: { supportedArchitectures: [/^[a-z]+\d+g/.test(info.instanceType) ? 'arm64' : 'x86_64'] },
    vCpuInfo: { defaultVCpus: info.vcpus },
    memoryInfo: { sizeInMiB: info.memoryMiB },
    networkInfo: { maximumNetworkInterfaces: info.vcpus <= 2 ? 3 : info.vcpus <= 8 ? 4 : 8, ipv6Supported: true },
  };
}
