/** Create/Attach/Detach/Delete/DescribeNetworkInterfaces. */

import type { Attachment, NetworkInterface } from '../model/state';
import { Ec2Error, invalidCombination, missingParameter } from '../protocol/errors';
import { list, optionalInt, required } from '../protocol/query';
import { type ActionHandler, listedNow } from './context';
import { type FilterFields, filterMatcher, paginate } from './describe';
import { createInterface, interfaceInUse, interfaceType } from './instances';
import { resolve, resolveAll } from './lookup';
import { networkInterfaceXml } from './serialize';
import { setTags, tagsByResourceType } from './tagging';

export const createNetworkInterface: ActionHandler = (ctx, params) => {
  const subnet = resolve(ctx, 'subnet', required(params, 'SubnetId'));
  const type = interfaceType(params, 'InterfaceType');
  const tags = tagsByResourceType(ctx, params, ['network-interface']).get('network-interface') ?? [];
  const eni = createInterface(ctx, subnet, type, params.Description ?? '');
  setTags(ctx, eni.tags, tags);
  return { networkInterface: networkInterfaceXml(eni, ctx.accountId), clientToken: params.ClientToken };
};

export const attachNetworkInterface: ActionHandler = (ctx, params) => {
  const eni = resolve(ctx, 'networkInterface', required(params, 'NetworkInterfaceId'));
  const instance = resolve(ctx, 'instance', required(params, 'InstanceId'));
  if (params.DeviceIndex === undefined) throw missingParameter('DeviceIndex');
  const deviceIndex = optionalInt(params, 'DeviceIndex', 0, 31) as number;
  if (instance.state !== 'running' && instance.state !== 'stopped') {
    throw new Ec2Error('IncorrectInstanceState', `The instance '${instance.instanceId}' is not in a valid state for this operation.`);
  }
  if (eni.attachment) throw interfaceInUse(eni.networkInterfaceId);
  if (eni.availabilityZone !== instance.availabilityZone) {
    throw invalidCombination(`The network interface and the instance are in different availability zones`);
  }
  if (ctx.state.interfacesOfInstance(instance.instanceId).some((e) => e.attachment?.deviceIndex === deviceIndex)) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Instance '${instance.instanceId}' already has an interface attached at device index '${deviceIndex}'.`,
    );
  }
  const attachment: Attachment = {
    attachmentId: ctx.ids.next('attachment'),
    instanceId: instance.instanceId,
    deviceIndex,
    deleteOnTermination: false,
    attachTime: new Date(ctx.now()),
    status: 'attaching',
  };
  ctx.state.attach(eni, attachment);
  ctx.lifecycle.attaching(attachment);
  ctx.events.interfaceAttached(eni.networkInterfaceId, instance.instanceId, deviceIndex, attachment.attachmentId, ctx.requestId);
  return { attachmentId: attachment.attachmentId, networkCardIndex: 0 };
};

export const detachNetworkInterface: ActionHandler = (ctx, params) => {
  const attachmentId = required(params, 'AttachmentId');
  if (!/^eni-attach-([0-9a-f]{8}|[0-9a-f]{17})$/.test(attachmentId)) {
    throw new Ec2Error('InvalidNetworkInterfaceAttachmentId.Malformed', `Invalid id: "${attachmentId}"`);
  }
  const eni = [...ctx.state.networkInterfaces.values()].find((e) => e.attachment?.attachmentId === attachmentId);
  if (!eni?.attachment) throw new Ec2Error('InvalidAttachmentID.NotFound', `The attachment ID '${attachmentId}' does not exist`);
  if (eni.attachment.deviceIndex === 0) {
    throw new Ec2Error('OperationNotPermitted', 'The network interface at device index 0 cannot be detached.');
  }
  if (eni.attachment.status !== 'detaching') ctx.lifecycle.detaching(eni);
  return { return: true };
};

export const deleteNetworkInterface: ActionHandler = (ctx, params) => {
  const eni = resolve(ctx, 'networkInterface', required(params, 'NetworkInterfaceId'));
  if (eni.attachment) throw interfaceInUse(eni.networkInterfaceId);
  if (ctx.state.targetOfInterface(eni.networkInterfaceId)) {
    throw new Ec2Error('InterfaceInUseByTrafficMirrorTarget', `Interface ${eni.networkInterfaceId} is a traffic mirror target.`);
  }
  ctx.state.deleteNetworkInterface(eni.networkInterfaceId, ctx.now());
  return { return: true };
};

export const describeNetworkInterfaces: ActionHandler = (ctx, params) => {
  const ids = list(params, 'NetworkInterfaceId');
  const candidates =
    ids.length > 0
      ? resolveAll(ctx, 'networkInterface', ids)
      : listedNow(ctx, 'networkInterface', ctx.state.networkInterfaces.values(), (e) => e.networkInterfaceId);
  const fields: FilterFields<NetworkInterface> = {
    'network-interface-id': (e) => e.networkInterfaceId,
    'attachment.instance-id': (e) => e.attachment?.instanceId,
    'attachment.attachment-id': (e) => e.attachment?.attachmentId,
    'attachment.device-index': (e) => e.attachment?.deviceIndex,
    'attachment.status': (e) => e.attachment?.status,
    'attachment.delete-on-termination': (e) => e.attachment?.deleteOnTermination,
    'attachment.instance-owner-id': (e) => (e.attachment ? ctx.accountId : undefined),
    'availability-zone': (e) => e.availabilityZone,
    'subnet-id': (e) => e.subnetId,
    'vpc-id': (e) => e.vpcId,
    status: (e) => (e.attachment ? 'in-use' : 'available'),
    'interface-type': (e) => e.interfaceType,
    description: (e) => e.description,
    'private-ip-address': (e) => e.privateIpAddress,
    'addresses.private-ip-address': (e) => e.privateIpAddress,
    'mac-address': (e) => e.macAddress,
    'owner-id': () => ctx.accountId,
    'requester-managed': () => false,
    'source-dest-check': () => true,
  };
  const matches = filterMatcher(params, fields, (e) => e.tags);
  const { page, nextToken } = paginate(candidates, params, {
    matches,
    action: 'DescribeNetworkInterfaces',
    min: 5,
    max: 1000,
    idCount: ids.length,
    exclusiveWithIds: true,
    cursorOf: (e) => ctx.state.orderOf(e.networkInterfaceId),
  });
  return { networkInterfaceSet: page.map((eni) => networkInterfaceXml(eni, ctx.accountId)), nextToken };
};
