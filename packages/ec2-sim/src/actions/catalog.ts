/** DescribeInstanceTypes (from the catalogue) and DescribeSubnets (the default subnets and those CreateSubnet made). */

import type { Subnet } from '../model/state';
import { Ec2Error } from '../protocol/errors';
import { list } from '../protocol/query';
import { allInstanceTypes, type InstanceTypeInfo, lookupInstanceType } from '../rules/catalogue';
import type { ActionHandler } from './context';
import { type FilterFields, filterMatcher, paginate } from './describe';
import { resolveAll } from './lookup';
import { instanceTypeXml, subnetXml } from './serialize';

const CATALOGUE_ORDER = new Map(allInstanceTypes().map((t, index) => [t.instanceType, index]));

export const describeInstanceTypes: ActionHandler = (_ctx, params) => {
  const names = list(params, 'InstanceType');
  const unknown = names.filter((name) => !lookupInstanceType(name));
  if (unknown.length > 0) {
    throw new Ec2Error('InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
  }
  const candidates = names.length > 0 ? names.map((name) => lookupInstanceType(name) as InstanceTypeInfo) : allInstanceTypes();
  const fields: FilterFields<InstanceTypeInfo> = {
    'instance-type': (t) => t.instanceType,
    hypervisor: (t) => t.hypervisor,
    'bare-metal': (t) => t.bareMetal,
    'current-generation': () => true,
    'vcpu-info.default-vcpus': (t) => t.vcpus,
    'memory-info.size-in-mib': (t) => t.memoryMiB,
  };
  const matches = filterMatcher(params, fields);
  const { page, nextToken } = paginate(candidates, params, {
    matches,
    action: 'DescribeInstanceTypes',
    min: 5,
    max: 100,
    defaultPageSize: 100,
    idCount: names.length,
    cursorOf: (t) => CATALOGUE_ORDER.get(t.instanceType) ?? -1,
  });
  return { instanceTypeSet: page.map(instanceTypeXml), nextToken };
};

export const describeSubnets: ActionHandler = (ctx, params) => {
  const ids = list(params, 'SubnetId');
  const candidates = ids.length > 0 ? resolveAll(ctx, 'subnet', ids) : [...ctx.state.subnets.values()];
  const fields: FilterFields<Subnet> = {
    'subnet-id': (s) => s.subnetId,
    'availability-zone': (s) => s.availabilityZone,
    'availability-zone-id': (s) => s.availabilityZoneId,
    'vpc-id': (s) => s.vpcId,
    'cidr-block': (s) => s.cidrBlock,
    'default-for-az': (s) => s.defaultForAz,
    state: () => 'available',
    'owner-id': () => ctx.accountId,
  };
  const matches = filterMatcher(params, fields, (s) => s.tags);
  const { page, nextToken } = paginate(candidates, params, {
    matches,
    action: 'DescribeSubnets',
    min: 5,
    max: 1000,
    idCount: ids.length,
    cursorOf: (s) => ctx.state.orderOf(s.subnetId),
  });
  return { subnetSet: page.map((s) => subnetXml(s, ctx.accountId, ctx.region)), nextToken };
};
