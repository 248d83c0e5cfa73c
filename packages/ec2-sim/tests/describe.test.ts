import {
  CreateTagsCommand,
  CreateTrafficMirrorSessionCommand,
  DeleteTrafficMirrorFilterCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeTrafficMirrorTargetsCommand,
  paginateDescribeInstances,
  paginateDescribeInstanceTypes,
  paginateDescribeNetworkInterfaces,
  paginateDescribeSubnets,
  paginateDescribeTrafficMirrorFilters,
  paginateDescribeTrafficMirrorSessions,
  paginateDescribeTrafficMirrorTargets,
  RunInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { allInstanceTypes } from '../src';
import { errorCodeOf, type Harness, launch, mirrorFilter, nlbTarget, startHarness } from './sim-harness';

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

describe('Describe* filters and pagination', () => {
  let h: Harness;
  let tagged: string[];
  let stoppedId: string;
  let filterIds: string[];
  let targetIds: string[];
  let sessionIds: string[];

  beforeAll(async () => {
    h = await startHarness();
    const fleet = await h.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 12,
        MaxCount: 12,
        InstanceType: 'c5.large',
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'traffic-mirror', Value: 'true' },
              { Key: 'team', Value: 'pay' },
            ],
          },
        ],
      }),
    );
    tagged = (fleet.Instances ?? []).map((i) => i.InstanceId as string);
    await launch(h, 't2.micro');
    stoppedId = (await launch(h, 'm5.large', { Placement: { AvailabilityZone: 'eu-west-1c' } })).instanceId;
    await h.ec2.send(new StopInstancesCommand({ InstanceIds: [stoppedId] }));
    await h.sim.settle();

    filterIds = [];
    for (let i = 0; i < 6; i++) filterIds.push(await mirrorFilter(h));
    targetIds = [];
    for (let i = 0; i < 7; i++) targetIds.push(await nlbTarget(h, `lb-${i}`));
    sessionIds = [];
    const enis = (fleet.Instances ?? []).map((i) => i.NetworkInterfaces?.[0]?.NetworkInterfaceId as string);
    for (const [index, eni] of enis.entries()) {
      const created = await h.ec2.send(
        new CreateTrafficMirrorSessionCommand({
          NetworkInterfaceId: eni,
          TrafficMirrorTargetId: targetIds[index % 2],
          TrafficMirrorFilterId: filterIds[0],
          SessionNumber: 1 + (index % 3),
          TagSpecifications: [{ ResourceType: 'traffic-mirror-session', Tags: [{ Key: 'managed', Value: index < 4 ? 'yes' : 'no' }] }],
        }),
      );
      sessionIds.push(created.TrafficMirrorSession?.TrafficMirrorSessionId as string);
    }
  });
  afterAll(() => h.close());

  const instanceIdsOf = (result: { Reservations?: Array<{ Instances?: Array<{ InstanceId?: string }> }> }) =>
    (result.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId as string));

  describe('DescribeInstances', () => {
    it('filters by tag, tag-key, state, type, zone and ENI (AND across filters, OR within one)', async () => {
      const byTag = await h.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:traffic-mirror', Values: ['true'] }] }));
      expect(instanceIdsOf(byTag).sort()).toEqual([...tagged].sort());

      const byKeyAndState = await h.ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'tag-key', Values: ['team'] },
            { Name: 'instance-state-name', Values: ['stopped', 'running'] },
          ],
        }),
      );
      expect(instanceIdsOf(byKeyAndState)).toHaveLength(12);

      const stopped = await h.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-code', Values: ['80'] }] }));
      expect(instanceIdsOf(stopped)).toEqual([stoppedId]);

      const byTypeWildcard = await h.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-type', Values: ['t2.*'] }] }));
      expect(instanceIdsOf(byTypeWildcard)).toHaveLength(1);

      const byZone = await h.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'availability-zone', Values: ['eu-west-1c'] }] }));
      expect(instanceIdsOf(byZone)).toEqual([stoppedId]);

      const first = await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [tagged[0] as string] }));
      const eni = first.Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.[0]?.NetworkInterfaceId as string;
      const byEni = await h.ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: 'network-interface.network-interface-id', Values: [eni] }] }),
      );
      expect(instanceIdsOf(byEni)).toEqual([tagged[0]]);
      const byInstanceId = await h.ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [tagged[1] as string] }] }),
      );
      expect(instanceIdsOf(byInstanceId)).toEqual([tagged[1]]);
    });

    it('matches a filter that mixes plain values and wildcards when either matches', async () => {
      const all = await h.ec2.send(new DescribeInstancesCommand({}));
      const types = (all.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceType as string));
      const expected = types.filter((type) => type.startsWith('t2.') || type === 'm5.large').length;

      const mixed = await h.ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: 'instance-type', Values: ['t2.*', 'm5.large', 'no-such.type'] }] }),
      );

      expect(expected).toBeGreaterThan(1);
      expect(instanceIdsOf(mixed)).toHaveLength(expected);
    });

    it('pages with MaxResults and NextToken, each instance once', async () => {
      const pages = await collect(paginateDescribeInstances({ client: h.ec2, pageSize: 5 }, {}));
      expect(pages.length).toBe(3);
      const ids = pages.flatMap(instanceIdsOf);
      expect(ids).toHaveLength(14);
      expect(new Set(ids).size).toBe(14);
      expect(pages.at(-1)?.NextToken).toBeUndefined();
    });

    it('refuses MaxResults outside 5..1000 and MaxResults together with InstanceIds', async () => {
      expect(await errorCodeOf(h.ec2.send(new DescribeInstancesCommand({ MaxResults: 4 })))).toBe('InvalidParameterValue');
      expect(await errorCodeOf(h.ec2.send(new DescribeInstancesCommand({ MaxResults: 1001 })))).toBe('InvalidParameterValue');
      expect(await errorCodeOf(h.ec2.send(new DescribeInstancesCommand({ MaxResults: 5, InstanceIds: tagged.slice(0, 1) })))).toBe(
        'InvalidParameterCombination',
      );
    });

    it('names every unknown id in one NotFound error', async () => {
      const call = h.ec2.send(
        new DescribeInstancesCommand({ InstanceIds: [tagged[0] as string, 'i-0000000000000000a', 'i-0000000000000000b'] }),
      );
      expect(await errorCodeOf(call)).toBe('InvalidInstanceID.NotFound');
    });
  });

  describe('DescribeNetworkInterfaces', () => {
    it('filters by attachment.instance-id, interface-type, status and tags, and pages', async () => {
      const one = await h.ec2.send(
        new DescribeNetworkInterfacesCommand({
          Filters: [
            { Name: 'attachment.instance-id', Values: [tagged[0] as string] },
            { Name: 'interface-type', Values: ['interface'] },
            { Name: 'status', Values: ['in-use'] },
          ],
        }),
      );
      expect(one.NetworkInterfaces?.map((e) => e.Attachment?.InstanceId)).toEqual([tagged[0]]);
      const pages = await collect(paginateDescribeNetworkInterfaces({ client: h.ec2, pageSize: 5 }, {}));
      expect(pages.flatMap((p) => p.NetworkInterfaces ?? [])).toHaveLength(14);
      await h.ec2.send(
        new CreateTagsCommand({ Resources: [one.NetworkInterfaces?.[0]?.NetworkInterfaceId as string], Tags: [{ Key: 'x', Value: '1' }] }),
      );
      const byTag = await h.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'tag:x', Values: ['1'] }] }));
      expect(byTag.NetworkInterfaces).toHaveLength(1);
    });
  });

  describe('DescribeTrafficMirrorSessions', () => {
    it('filters by target, ENI, session number and tag', async () => {
      const byTarget = await h.ec2.send(
        new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'traffic-mirror-target-id', Values: [targetIds[0] as string] }] }),
      );
      expect(byTarget.TrafficMirrorSessions).toHaveLength(6);
      const byNumber = await h.ec2.send(new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'session-number', Values: ['1'] }] }));
      expect(byNumber.TrafficMirrorSessions).toHaveLength(4);
      const byTag = await h.ec2.send(new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'tag:managed', Values: ['yes'] }] }));
      expect(byTag.TrafficMirrorSessions).toHaveLength(4);
      const eni = byTag.TrafficMirrorSessions?.[0]?.NetworkInterfaceId as string;
      const byEni = await h.ec2.send(
        new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'network-interface-id', Values: [eni] }] }),
      );
      expect(byEni.TrafficMirrorSessions?.map((s) => s.NetworkInterfaceId)).toEqual([eni]);
      const byIds = await h.ec2.send(new DescribeTrafficMirrorSessionsCommand({ TrafficMirrorSessionIds: sessionIds.slice(0, 2) }));
      expect(byIds.TrafficMirrorSessions?.map((s) => s.TrafficMirrorSessionId)).toEqual(sessionIds.slice(0, 2));
    });

    it('pages with MaxResults 5..1000', async () => {
      const pages = await collect(paginateDescribeTrafficMirrorSessions({ client: h.ec2, pageSize: 5 }, {}));
      expect(pages.map((p) => p.TrafficMirrorSessions?.length)).toEqual([5, 5, 2]);
      expect(await errorCodeOf(h.ec2.send(new DescribeTrafficMirrorSessionsCommand({ MaxResults: 1 })))).toBe('InvalidParameterValue');
    });
  });

  it('skips nothing when items of earlier pages are deleted between pages', async () => {
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await h.ec2.send(new DescribeTrafficMirrorFiltersCommand({ MaxResults: 5, NextToken: nextToken }));
      const ids = (page.TrafficMirrorFilters ?? []).map((f) => f.TrafficMirrorFilterId as string);
      seen.push(...ids);
      for (const id of ids.filter((id) => id !== filterIds[0])) {
        await h.ec2.send(new DeleteTrafficMirrorFilterCommand({ TrafficMirrorFilterId: id }));
      }
      nextToken = page.NextToken;
    } while (nextToken);

    expect(seen).toEqual(filterIds);
    filterIds = [filterIds[0] as string];
  });

  it('filters and pages targets and filters', async () => {
    const targets = await collect(paginateDescribeTrafficMirrorTargets({ client: h.ec2, pageSize: 5 }, {}));
    expect(targets.flatMap((p) => p.TrafficMirrorTargets ?? [])).toHaveLength(7);
    const oneTarget = await h.ec2.send(
      new DescribeTrafficMirrorTargetsCommand({ Filters: [{ Name: 'traffic-mirror-target-id', Values: [targetIds[3] as string] }] }),
    );
    expect(oneTarget.TrafficMirrorTargets?.map((t) => [t.Type, t.NetworkLoadBalancerArn?.includes('lb-3')])).toEqual([
      ['network-load-balancer', true],
    ]);
    const filters = await collect(paginateDescribeTrafficMirrorFilters({ client: h.ec2, pageSize: 5 }, {}));
    expect(filters.flatMap((p) => p.TrafficMirrorFilters ?? []).map((f) => f.TrafficMirrorFilterId)).toEqual(filterIds);
    const byId = await h.ec2.send(new DescribeTrafficMirrorFiltersCommand({ TrafficMirrorFilterIds: [filterIds[0] as string] }));
    expect(byId.TrafficMirrorFilters?.map((f) => f.TrafficMirrorFilterId)).toEqual([filterIds[0]]);
    expect(
      await errorCodeOf(h.ec2.send(new DescribeTrafficMirrorFiltersCommand({ TrafficMirrorFilterIds: ['tmf-0123456789abcdef0'] }))),
    ).toBe('InvalidTrafficMirrorFilterId.NotFound');
  });

  it('describes instance types like AWS: hypervisor, absent on bare metal, and BareMetal', async () => {
    const result = await h.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.metal', 'c5.large', 't2.micro', 'm4.large'] }));
    const byType = Object.fromEntries((result.InstanceTypes ?? []).map((t) => [t.InstanceType, [t.Hypervisor, t.BareMetal]]));
    expect(byType).toEqual({
      'm5.metal': [undefined, true],
      'c5.large': ['nitro', false],
      't2.micro': ['xen', false],
      'm4.large': ['xen', false],
    });
    expect(await errorCodeOf(h.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['q9.huge' as never] })))).toBe(
      'InvalidInstanceType',
    );
    const metal = await h.ec2.send(new DescribeInstanceTypesCommand({ Filters: [{ Name: 'bare-metal', Values: ['true'] }] }));
    expect(metal.InstanceTypes?.every((t) => t.BareMetal && t.Hypervisor === undefined)).toBe(true);
    const pages = await collect(paginateDescribeInstanceTypes({ client: h.ec2, pageSize: 100 }, {}));
    expect(pages.length).toBeGreaterThan(1);
  });

  describe('pages as AWS cuts them', () => {
    it('answers DescribeInstanceTypes at most 100 types a page, with a NextToken, even without MaxResults', async () => {
      const first = await h.ec2.send(new DescribeInstanceTypesCommand({}));

      expect(first.InstanceTypes).toHaveLength(100);
      expect(first.NextToken).toEqual(expect.any(String));
      const pages = await collect(paginateDescribeInstanceTypes({ client: h.ec2 }, {}));
      const names = pages.flatMap((p) => (p.InstanceTypes ?? []).map((t) => t.InstanceType));
      expect(names).toHaveLength(allInstanceTypes().length);
      expect(new Set(names).size).toBe(names.length);
    });

    it('refuses DescribeInstanceTypes MaxResults outside 5..100', async () => {
      expect(await errorCodeOf(h.ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 4 })))).toBe('InvalidParameterValue');
      expect(await errorCodeOf(h.ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 101 })))).toBe('InvalidParameterValue');
      await expect(h.ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 100 }))).resolves.toMatchObject({
        NextToken: expect.any(String),
      });
    });

    it('answers a filtered page short or empty, with a NextToken, so only following NextToken finds everything', async () => {
      const filter = { Filters: [{ Name: 'instance-state-name', Values: ['stopped'] }], MaxResults: 5 };

      const first = await h.ec2.send(new DescribeInstancesCommand(filter));

      expect(instanceIdsOf(first)).toEqual([]);
      expect(first.NextToken).toEqual(expect.any(String));
      const pages = await collect(paginateDescribeInstances({ client: h.ec2 }, filter));
      expect(pages.flatMap(instanceIdsOf)).toEqual([stoppedId]);
    });
  });

  it('describes the default subnets, one per zone, filterable by zone', async () => {
    const all = await h.ec2.send(new DescribeSubnetsCommand({}));
    expect(all.Subnets?.map((s) => [s.SubnetId, s.AvailabilityZone, s.DefaultForAz])).toEqual([
      ['subnet-00000000000000001', 'eu-west-1a', true],
      ['subnet-00000000000000002', 'eu-west-1b', true],
      ['subnet-00000000000000003', 'eu-west-1c', true],
    ]);
    const inB = await h.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['eu-west-1b'] }] }));
    expect(inB.Subnets?.map((s) => s.SubnetId)).toEqual(['subnet-00000000000000002']);
    const pages = await collect(paginateDescribeSubnets({ client: h.ec2, pageSize: 5 }, {}));
    expect(pages.flatMap((p) => p.Subnets ?? [])).toHaveLength(3);
  });
});
