/** The EC2 adapter against the simulator over HTTP: what the reads turn into. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Adapter } from '../../shared/aws/ec2';
import type { Ec2Port } from '../../shared/converge';
import { Ec2Seeder, startTestCloud, type TestCloud } from '../support/test-cloud';

let cloud: TestCloud;
let seed: Ec2Seeder;
let client: EC2Client;
let adapter: Ec2Port;

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  client = new EC2Client({ endpoint: cloud.sim.url, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  adapter = createEc2Adapter({ client, ownerId: 'vpc-mirror-orchestrator' });
});

afterAll(async () => {
  client?.destroy();
  await cloud?.stop();
});

describe('the EC2 adapter', () => {
  it('describes targets with kind, zone and source limit: 10, 100 on a full-host size, none for an NLB', async () => {
    const small = await seed.interfaceTarget('eu-west-1b', 'c5.large');
    const large = await seed.interfaceTarget('eu-west-1a', 'c5n.18xlarge');
    const nlb = await seed.loadBalancerTarget();

    const targets = await adapter.describeTargets([small, large, nlb, 'tmt-00000000000000000']);

    expect(targets).toEqual([
      expect.objectContaining({ targetId: small, kind: 'network-interface', availabilityZone: 'eu-west-1b', sourceLimit: 10 }),
      expect.objectContaining({ targetId: large, kind: 'network-interface', availabilityZone: 'eu-west-1a', sourceLimit: 100 }),
      { targetId: nlb, kind: 'network-load-balancer', sourceLimit: null },
    ]);
  });

  it('describes a batch with an id EC2 does not know without failing it', async () => {
    const known = await seed.launch({ type: 'm5.large', interfaces: 2, tags: { Name: 'web-1' } });

    const instances = await adapter.describeInstances(['i-0bbbbbbbbbbbbbbbb', known.instanceId]);

    expect([...instances.keys()]).toEqual([known.instanceId]);
    expect(instances.get(known.instanceId)).toMatchObject({
      state: 'running',
      instanceType: 'm5.large',
      tags: { Name: 'web-1' },
      networkInterfaces: [
        expect.objectContaining({ eniId: known.eniIds[0], deviceIndex: 0, interfaceType: 'interface' }),
        expect.objectContaining({ eniId: known.eniIds[1], deviceIndex: 1 }),
      ],
    });
  });

  it('reads a batch of instances in one call however many instances the account holds', async () => {
    // A filter on instance-id would page through the whole account: with pages of 5, one call per 5 instances.
    const paging = createEc2Adapter({ client, ownerId: 'vpc-mirror-orchestrator', pageSize: 5 });
    const fleet = [];
    for (let index = 0; index < 12; index += 1) fleet.push(await seed.launch({ type: 'm5.large' }));
    const asked = [fleet[3]?.instanceId, fleet[10]?.instanceId] as string[];
    const describeCalls = () => cloud.sim.calls().DescribeInstances?.total ?? 0;
    const before = describeCalls();

    const described = await paging.describeInstances(asked);

    expect([...described.keys()].sort()).toEqual([...asked].sort());
    expect(describeCalls() - before).toBe(1);
  });

  it('asks again without the ids EC2 does not know, and only once', async () => {
    const known = await seed.launch({ type: 'm5.large' });
    const describeCalls = () => cloud.sim.calls().DescribeInstances?.total ?? 0;
    const before = describeCalls();

    const described = await adapter.describeInstances(['i-0bbbbbbbbbbbbbbbb', known.instanceId, 'i-0cccccccccccccccc']);

    expect([...described.keys()]).toEqual([known.instanceId]);
    expect(describeCalls() - before).toBe(2);
  });

  it('reads every page of instances, sessions and targets', async () => {
    const paging = createEc2Adapter({ client, ownerId: 'vpc-mirror-orchestrator', pageSize: 5 });
    const filter = await seed.filter();
    const targets = [];
    for (let index = 0; index < 6; index += 1) targets.push(await seed.loadBalancerTarget(`paged-${index}`));
    const instances = [];
    for (let index = 0; index < 7; index += 1) instances.push(await seed.launch({ type: 'm5.large' }));
    const eniIds = instances.map((instance) => instance.eniIds[0] as string);
    for (const [index, eniId] of eniIds.entries()) await seed.handMadeSession(eniId, targets[index % targets.length] as string, filter, 1);

    const [described, sessions, found] = await Promise.all([
      paging.describeInstances(instances.map((instance) => instance.instanceId)),
      paging.describeSessionsOnInterfaces(eniIds),
      paging.describeTargets(targets),
    ]);

    expect(described.size).toBe(7);
    expect(new Set(sessions.map((session) => session.eniId))).toEqual(new Set(eniIds));
    expect(found.map((target) => target.targetId)).toEqual(targets);
  });

  it('tells our sessions from hand-made ones by the owner tag', async () => {
    const instance = await seed.launch({ type: 'm5.large' });
    const eniId = instance.eniIds[0] as string;
    const [target, filter] = [await seed.loadBalancerTarget('other'), await seed.filter()];
    const handMade = await seed.handMadeSession(eniId, target, filter, 1);
    const { sessionId: ours } = await adapter.createSession({
      instanceId: instance.instanceId,
      eniId,
      targetId: target,
      filterId: filter,
      sessionNumber: 2,
      reservationId: 'r-adapter-test',
    });

    const sessions = await adapter.describeSessionsOnInterfaces([eniId]);

    expect(sessions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sessionId: handMade, managed: false, sessionNumber: 1 }),
        expect.objectContaining({
          sessionId: ours,
          managed: true,
          sessionNumber: 2,
          instanceId: instance.instanceId,
          reservationId: 'r-adapter-test',
        }),
      ]),
    );
    const account = await adapter.listAccountSessions();
    expect(account.filter((s) => s.managed).map((s) => s.sessionId)).toEqual([ours]);
    expect(account).toContainEqual(expect.objectContaining({ sessionId: handMade, managed: false, ownerAccountId: cloud.sim.accountId }));
    expect(await adapter.deleteSession(ours)).toBe('deleted');
    expect(await adapter.deleteSession(ours)).toBe('already-gone');
  });

  it('reuses the session for a repeated ClientToken instead of creating a second one', async () => {
    const instance = await seed.launch({ type: 'm5.large' });
    const [target, filter] = [await seed.loadBalancerTarget('again'), await seed.filter()];
    const request = {
      instanceId: instance.instanceId,
      eniId: instance.eniIds[0] as string,
      targetId: target,
      filterId: filter,
      sessionNumber: 1,
      reservationId: 'r-same-token',
    };

    const first = await adapter.createSession(request);
    const second = await adapter.createSession(request);

    expect(second).toEqual(first);
  });
});
