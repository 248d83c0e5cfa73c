import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { EventBridgeEvent } from 'aws-lambda';
import { type Harness, launch, startHarness } from './sim-harness';

type AnyEvent = EventBridgeEvent<string, Record<string, unknown>>;

/** AWS's own event shapes (EventBridge samples), kept with the package so that it needs nothing of the product. */
const FIXTURES = join(__dirname, 'fixtures');
const fixture = (name: string): AnyEvent => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as AnyEvent;
const keysOf = (value: object) => Object.keys(value).sort();

describe('events', () => {
  let h: Harness;
  let events: AnyEvent[];

  beforeAll(async () => {
    h = await startHarness({ cloudTrailEvents: true, accountId: '444455556666' });
    h.sim.onEvent((event) => events.push(event as AnyEvent));
  });
  beforeEach(() => {
    events = [];
  });
  afterAll(() => h.close());

  const ofInstance = (instanceId: string, detailType: string) =>
    events.filter((e) => e['detail-type'] === detailType && e.resources.some((r) => r.endsWith(instanceId)));

  it('emits a state-change event per transition, in the fixture shape', async () => {
    const { instanceId } = await launch(h, 'm5.large');
    await h.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await h.sim.settle();
    await h.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await h.sim.settle();

    const stateChanges = ofInstance(instanceId, 'EC2 Instance State-change Notification');
    expect(stateChanges.map((e) => e.detail.state)).toEqual(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']);
    const sample = fixture('state-change-running.json');
    for (const event of stateChanges) {
      expect(keysOf(event)).toEqual(keysOf(sample));
      expect(keysOf(event.detail)).toEqual(keysOf(sample.detail));
      expect(event).toMatchObject({
        version: '0',
        source: 'aws.ec2',
        account: '444455556666',
        region: 'eu-west-1',
        resources: [`arn:aws:ec2:eu-west-1:444455556666:instance/${instanceId}`],
        detail: { 'instance-id': instanceId },
      });
      expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    expect(new Set(stateChanges.map((e) => e.id)).size).toBe(stateChanges.length);
  });

  it('emits Tag Change on Resource with the changed keys, the full tag set after the change and a rising version', async () => {
    const { instanceId } = await launch(h, 'm5.large', {
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web-1' }] }],
    });
    await h.ec2.send(
      new CreateTagsCommand({
        Resources: [instanceId],
        Tags: [
          { Key: 'traffic-mirror', Value: 'true' },
          { Key: 'team', Value: 'payments' },
        ],
      }),
    );
    await h.ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'traffic-mirror' }] }));
    await h.ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'absent' }] }));
    await h.sim.settle();

    const tagChanges = ofInstance(instanceId, 'Tag Change on Resource');
    expect(tagChanges.map((e) => e.detail)).toEqual([
      { 'changed-tag-keys': ['Name'], service: 'ec2', 'resource-type': 'instance', version: 1, tags: { Name: 'web-1' } },
      {
        'changed-tag-keys': ['traffic-mirror', 'team'],
        service: 'ec2',
        'resource-type': 'instance',
        version: 2,
        tags: { Name: 'web-1', 'traffic-mirror': 'true', team: 'payments' },
      },
      {
        'changed-tag-keys': ['traffic-mirror'],
        service: 'ec2',
        'resource-type': 'instance',
        version: 3,
        tags: { Name: 'web-1', team: 'payments' },
      },
    ]);
    const sample = fixture('tag-change-removed.json');
    for (const event of tagChanges) {
      expect(keysOf(event)).toEqual(keysOf(sample));
      expect(event.source).toBe('aws.tag');
    }
  });

  it("emits CloudTrail's record of AttachNetworkInterface when enabled, naming the interface and the instance", async () => {
    const { instanceId } = await launch(h, 'm5.large', { Placement: { AvailabilityZone: 'eu-west-1a' } });
    const subnetId = h.sim.snapshot().subnets.find((subnet) => subnet.availabilityZone === 'eu-west-1a')?.subnetId;
    const created = await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
    const eniId = created.NetworkInterface?.NetworkInterfaceId as string;
    const attached = await h.ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: instanceId, DeviceIndex: 1 }),
    );
    await h.sim.settle();

    const trail = events.filter((e) => e['detail-type'] === 'AWS API Call via CloudTrail');
    expect(trail.map((e) => e.detail.eventName)).toEqual(['AttachNetworkInterface']);
    expect(trail[0]?.detail).toMatchObject({
      eventSource: 'ec2.amazonaws.com',
      requestParameters: { networkInterfaceId: eniId, instanceId, deviceIndex: 1 },
      responseElements: { attachmentId: attached.AttachmentId },
    });
  });

  it('emits CloudTrail events for CreateTags and DeleteTags when enabled', async () => {
    const { instanceId } = await launch(h, 'm5.large');
    await h.ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'traffic-mirror', Value: 'true' }] }));
    await h.ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'traffic-mirror' }] }));
    await h.sim.settle();

    const trail = events.filter((e) => e['detail-type'] === 'AWS API Call via CloudTrail');
    expect(trail.map((e) => e.detail.eventName)).toEqual(['CreateTags', 'DeleteTags']);
    const sample = fixture('cloudtrail-create-tags.json');
    expect(keysOf(trail[0] as AnyEvent)).toEqual(keysOf(sample));
    expect(trail[0]?.detail).toMatchObject({
      eventSource: 'ec2.amazonaws.com',
      awsRegion: 'eu-west-1',
      eventType: 'AwsApiCall',
      requestParameters: {
        resourcesSet: { items: [{ resourceId: instanceId }] },
        tagSet: { items: [{ key: 'traffic-mirror', value: 'true' }] },
      },
      responseElements: { _return: true },
    });
    expect(trail[0]?.source).toBe('aws.ec2');
  });

  it('keeps serving EC2 when a listener throws', async () => {
    const failuresBefore = h.sim.eventDeliveryFailures();
    const unsubscribe = h.sim.onEvent(() => {
      throw new Error('listener bug');
    });
    try {
      await expect(launch(h, 'm5.large')).resolves.toBeDefined();
      await h.sim.settle();
      expect(h.sim.eventDeliveryFailures()).toBeGreaterThan(failuresBefore);
    } finally {
      unsubscribe();
    }
  });
});

describe('event forwarding by PutEvents', () => {
  let receiver: Server;
  let received: Array<{ target: string; body: { Entries: Array<Record<string, unknown>> } }>;

  beforeAll(async () => {
    received = [];
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: Array<Record<string, unknown>> };
        received.push({ target: String(req.headers['x-amz-target']), body });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: body.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('sends each event as a PutEvents entry the receiver can rebuild the envelope from', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const h = await startHarness({ eventBridgeEndpoint: `http://127.0.0.1:${port}`, eventBusName: 'local-bus' });
    try {
      const { instanceId } = await launch(h, 'm5.large');
      await h.sim.settle();

      const entries = received.flatMap((r) => r.body.Entries);
      expect(received.every((r) => r.target === 'AWSEvents.PutEvents')).toBe(true);
      expect(entries.map((e) => [e.Source, e.DetailType, JSON.parse(String(e.Detail)).state])).toEqual([
        ['aws.ec2', 'EC2 Instance State-change Notification', 'pending'],
        ['aws.ec2', 'EC2 Instance State-change Notification', 'running'],
      ]);
      expect(entries[0]).toMatchObject({
        EventBusName: 'local-bus',
        Resources: [`arn:aws:ec2:eu-west-1:111122223333:instance/${instanceId}`],
      });
      expect(typeof entries[0]?.Time).toBe('number');
    } finally {
      await h.close();
    }
  });

  it("batches at most 10 entries per PutEvents and keeps each instance's events in order", async () => {
    received = [];
    const port = (receiver.address() as AddressInfo).port;
    const h = await startHarness({ eventBridgeEndpoint: `http://127.0.0.1:${port}` });
    try {
      await h.ec2.send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 12, MaxCount: 12, InstanceType: 'm5.large' }));
      await h.sim.settle();

      expect(received.every((r) => r.body.Entries.length >= 1 && r.body.Entries.length <= 10)).toBe(true);
      const states = received
        .flatMap((r) => r.body.Entries)
        .map((e) => JSON.parse(String(e.Detail)) as { 'instance-id': string; state: string });
      expect(states).toHaveLength(24);
      const byInstance = new Map<string, string[]>();
      for (const { 'instance-id': id, state } of states) byInstance.set(id, [...(byInstance.get(id) ?? []), state]);
      expect([...byInstance.values()].every((sequence) => sequence.join() === 'pending,running')).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('never fails an EC2 request when the bus is unreachable', async () => {
    const h = await startHarness({ eventBridgeEndpoint: 'http://127.0.0.1:9' });
    try {
      await expect(launch(h, 'm5.large')).resolves.toBeDefined();
      await h.sim.settle();
      expect(h.sim.eventDeliveryFailures()).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });
});
