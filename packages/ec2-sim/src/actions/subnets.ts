/**
 * CreateSubnet: a subnet in an existing VPC (EC2 API reference, CreateSubnet): its IPv4 block between /28 and /16,
 * inside the VPC's block (it may be the whole of it), overlapping no other subnet of the VPC; AWS reserves the
 * first four and the last address. Not a default subnet: RunInstances goes there only when named by SubnetId.
 */

import { SubnetAddresses } from '../model/addresses';
import { blockContains, blocksOverlap, parseIpv4Block } from '../model/cidr';
import type { Subnet } from '../model/state';
import { Ec2Error } from '../protocol/errors';
import { required } from '../protocol/query';
import type { ActionHandler } from './context';
import { resolve } from './lookup';
import { subnetXml } from './serialize';
import { setTags, tagsByResourceType } from './tagging';

const SMALLEST_PREFIX = 28;
const LARGEST_PREFIX = 16;

export const createSubnet: ActionHandler = (ctx, params) => {
  const vpc = resolve(ctx, 'vpc', required(params, 'VpcId'));
  const cidrBlock = required(params, 'CidrBlock');
  const tags = tagsByResourceType(ctx, params, ['subnet']).get('subnet') ?? [];
  const block = parseIpv4Block(cidrBlock);
  if (!block)
    throw new Ec2Error('InvalidParameterValue', `Value (${cidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  const vpcBlock = parseIpv4Block(vpc.cidrBlock);
  if (block.prefix > SMALLEST_PREFIX || block.prefix < LARGEST_PREFIX || !vpcBlock || !blockContains(vpcBlock, block)) {
    throw new Ec2Error('InvalidSubnet.Range', `The CIDR '${cidrBlock}' is invalid.`);
  }
  const siblings = [...ctx.state.subnets.values()].filter((subnet) => subnet.vpcId === vpc.vpcId);
  const conflict = siblings.find((subnet) => {
    const other = parseIpv4Block(subnet.cidrBlock);
    return other !== undefined && blocksOverlap(other, block);
  });
  if (conflict) throw new Ec2Error('InvalidSubnet.Conflict', `The CIDR '${cidrBlock}' conflicts with another subnet`);
  const zone = zoneFor(ctx.state.subnets.values(), params.AvailabilityZone, params.AvailabilityZoneId);
  const subnet: Subnet = {
    subnetId: ctx.ids.next('subnet'),
    vpcId: vpc.vpcId,
    availabilityZone: zone.availabilityZone,
    availabilityZoneId: zone.availabilityZoneId,
    cidrBlock,
    defaultForAz: false,
    addresses: new SubnetAddresses(cidrBlock),
    tags: new Map(),
  };
  setTags(ctx, subnet.tags, tags);
  ctx.state.subnets.set(subnet.subnetId, subnet);
  ctx.state.register(subnet.subnetId, ctx.now());
  return { subnet: subnetXml(subnet, ctx.accountId, ctx.region) };
};

/** The zone named by AvailabilityZone or AvailabilityZoneId, among the Region's (those of the default subnets). */
function zoneFor(
  subnets: Iterable<Subnet>,
  name: string | undefined,
  id: string | undefined,
): { availabilityZone: string; availabilityZoneId: string } {
  const zones = [...subnets].filter((subnet) => subnet.defaultForAz);
  if (name !== undefined && id !== undefined) {
    throw new Ec2Error('InvalidParameterCombination', 'Only one of AvailabilityZone or AvailabilityZoneId may be specified');
  }
  // Neither: AWS picks a zone; the first one here, so that a seeded run is reproducible.
  const zone =
    name !== undefined
      ? zones.find((subnet) => subnet.availabilityZone === name)
      : id !== undefined
        ? zones.find((subnet) => subnet.availabilityZoneId === id)
        : zones[0];
  if (!zone) throw new Ec2Error('InvalidParameterValue', `Value (${name ?? id}) for parameter availabilityZone is invalid.`);
  return { availabilityZone: zone.availabilityZone, availabilityZoneId: zone.availabilityZoneId };
}
