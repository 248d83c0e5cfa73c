import { InvalidEventError } from '../../shared/domain/errors';
import { parseTrigger } from '../../shared/domain/events';
import { loadEventFixture } from './support/fixtures';

const options = { tagKey: 'traffic-mirror', overrideTagKeys: ['traffic-mirror-target', 'traffic-mirror-filter'] };
const FIXTURE_INSTANCE = 'i-0a1b2c3d4e5f60718';

type Json = Record<string, unknown>;
const withDetail = (event: Json, detail: Json): Json => ({ ...event, detail: { ...(event.detail as Json), ...detail } });

function invalidEvent(event: unknown): InvalidEventError {
  try {
    parseTrigger(event, options);
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('expected an InvalidEventError, got a trigger');
}

describe('parseTrigger', () => {
  describe('EC2 Instance State-change Notification', () => {
    it.each(['state-change-running', 'state-change-stopped', 'state-change-terminated'])('names the instance of %s', (name) => {
      const event = loadEventFixture(name);

      expect(parseTrigger(event, options)).toMatchObject({ eventId: event.id, kind: 'state-change', instanceIds: [FIXTURE_INSTANCE] });
    });

    it('rejects an unknown state, with the event id', () => {
      const error = invalidEvent(withDetail(loadEventFixture('state-change-running'), { state: 'rebooting' }));

      expect(error.eventId).toBe('3f1c2d7e-6b0a-4c39-9a55-0d1e2f3a4b5c');
      expect(error.message).toContain('detail.state');
    });

    it.each([
      ['an uppercase id', 'i-0A1B2C3D4E5F60718'],
      ['a 12-digit id', 'i-0a1b2c3d4e5f'],
      ['an ENI id', 'eni-0a1b2c3d4e5f60718'],
      ['a number', 1234],
    ])('rejects %s as instance id', (_, instanceId) => {
      const error = invalidEvent(withDetail(loadEventFixture('state-change-running'), { 'instance-id': instanceId }));

      expect(error.message).toContain('detail.instance-id');
    });

    it('accepts the short, 8-hex instance ids of older instances', () => {
      const event = withDetail(loadEventFixture('state-change-stopped'), { 'instance-id': 'i-0123abcd' });

      expect(parseTrigger(event, options).instanceIds).toEqual(['i-0123abcd']);
    });
  });

  describe('Tag Change on Resource', () => {
    it.each(['tag-change-added', 'tag-change-removed'])('names the instance of %s', (name) => {
      const event = loadEventFixture(name);

      expect(parseTrigger(event, options)).toMatchObject({ eventId: event.id, kind: 'tag-change', instanceIds: [FIXTURE_INSTANCE] });
    });

    it('is relevant when only an override tag changed', () => {
      const event = withDetail(loadEventFixture('tag-change-added'), { 'changed-tag-keys': ['traffic-mirror-target'] });

      expect(parseTrigger(event, options).instanceIds).toEqual([FIXTURE_INSTANCE]);
    });

    it('ignores a change of other tags', () => {
      const event = withDetail(loadEventFixture('tag-change-added'), { 'changed-tag-keys': ['team', 'Name'] });

      const trigger = parseTrigger(event, options);

      expect(trigger.instanceIds).toEqual([]);
      expect(trigger.ignoredReason).toContain('team, Name');
    });

    it('ignores tag changes on other resource types', () => {
      const event = {
        ...withDetail(loadEventFixture('tag-change-added'), { 'resource-type': 'volume' }),
        resources: ['arn:aws:ec2:eu-west-1:111122223333:volume/vol-0123456789abcdef0'],
      };

      expect(parseTrigger(event, options)).toMatchObject({
        kind: 'tag-change',
        instanceIds: [],
        ignoredReason: expect.stringContaining('volume'),
      });
    });

    it('rejects an instance tag change whose resource is not an instance ARN', () => {
      const event = { ...loadEventFixture('tag-change-added'), resources: ['arn:aws:ec2:eu-west-1:111122223333:instance/i-XYZ'] };

      expect(invalidEvent(event).message).toContain('is not an EC2 instance ARN');
    });

    it('rejects an instance tag change that names no resource', () => {
      const event = { ...loadEventFixture('tag-change-added'), resources: [] };

      expect(invalidEvent(event).eventId).toBe('5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f');
    });

    it('reads instance ARNs of other partitions', () => {
      const event = {
        ...loadEventFixture('tag-change-added'),
        resources: ['arn:aws-us-gov:ec2:us-gov-west-1:111122223333:instance/i-0123abcd'],
      };

      expect(parseTrigger(event, options).instanceIds).toEqual(['i-0123abcd']);
    });
  });

  describe('AWS API Call via CloudTrail', () => {
    const cloudTrail = (requestParameters: unknown, extra: Json = {}): Json =>
      withDetail(loadEventFixture('cloudtrail-create-tags'), { requestParameters, ...extra });

    it('names the tagged instance of CreateTags', () => {
      const event = loadEventFixture('cloudtrail-create-tags');

      expect(parseTrigger(event, options)).toMatchObject({ eventId: event.id, kind: 'cloudtrail-tags', instanceIds: [FIXTURE_INSTANCE] });
    });

    it('keeps only instance ids among the tagged resources, once each', () => {
      const event = cloudTrail({
        resourcesSet: {
          items: [
            { resourceId: 'vol-0123456789abcdef0' },
            { resourceId: 'i-0123abcd' },
            { resourceId: 'i-0123abcd' },
            { resourceId: FIXTURE_INSTANCE },
          ],
        },
        tagSet: { items: [{ key: 'traffic-mirror', value: 'true' }] },
      });

      expect(parseTrigger(event, options).instanceIds).toEqual(['i-0123abcd', FIXTURE_INSTANCE]);
    });

    it('treats DeleteTags without a tag set (every tag deleted) as relevant', () => {
      const event = cloudTrail({ resourcesSet: { items: [{ resourceId: FIXTURE_INSTANCE }] } }, { eventName: 'DeleteTags' });

      expect(parseTrigger(event, options).instanceIds).toEqual([FIXTURE_INSTANCE]);
    });

    it.each([
      ['another API call', { eventName: 'RunInstances' }],
      ['a call that failed', { errorCode: 'Client.UnauthorizedOperation' }],
      [
        'tags we do not read',
        { requestParameters: { resourcesSet: { items: [{ resourceId: FIXTURE_INSTANCE }] }, tagSet: { items: [{ key: 'team' }] } } },
      ],
      [
        'no instance among the resources',
        { requestParameters: { resourcesSet: { items: [{ resourceId: 'sg-0123abcd' }] }, tagSet: { items: [{ key: 'traffic-mirror' }] } } },
      ],
    ])('ignores %s', (_, detail) => {
      const trigger = parseTrigger(withDetail(loadEventFixture('cloudtrail-create-tags'), detail), options);

      expect(trigger).toMatchObject({ kind: 'cloudtrail-tags', instanceIds: [], ignoredReason: expect.any(String) });
    });

    it('rejects a malformed instance id among the resources', () => {
      const event = cloudTrail({ resourcesSet: { items: [{ resourceId: 'i-nothex00' }] }, tagSet: { items: [{ key: 'traffic-mirror' }] } });

      expect(invalidEvent(event).message).toContain('"i-nothex00" is not an instance id');
    });

    it('rejects more resources than any real call names', () => {
      const items = Array.from({ length: 1001 }, () => ({ resourceId: FIXTURE_INSTANCE }));

      expect(invalidEvent(cloudTrail({ resourcesSet: { items }, tagSet: { items: [{ key: 'traffic-mirror' }] } })).message).toContain(
        'resourcesSet',
      );
    });

    it('rejects a missing resource set, with the event id', () => {
      const error = invalidEvent(cloudTrail({ tagSet: { items: [{ key: 'traffic-mirror' }] } }));

      expect(error.eventId).toBe('0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0');
    });
  });

  describe('AWS API Call via CloudTrail: AttachNetworkInterface', () => {
    const attach = (detail: Json = {}): Json => withDetail(loadEventFixture('cloudtrail-attach-network-interface'), detail);

    it('names the instance the interface was attached to, whatever its tags (the read decides)', () => {
      const event = attach();

      expect(parseTrigger(event, options)).toEqual({ eventId: event.id, kind: 'cloudtrail-attach', instanceIds: [FIXTURE_INSTANCE] });
    });

    it('ignores an attach that failed', () => {
      const trigger = parseTrigger(attach({ errorCode: 'Client.InvalidNetworkInterfaceID.NotFound' }), options);

      expect(trigger).toMatchObject({ instanceIds: [], ignoredReason: expect.stringContaining('failed') });
    });

    it('rejects a record without the instance, or with a malformed one, with the event id', () => {
      const missing = invalidEvent(attach({ requestParameters: { networkInterfaceId: 'eni-0f1e2d3c4b5a69788', deviceIndex: 1 } }));
      const malformed = invalidEvent(attach({ requestParameters: { networkInterfaceId: 'eni-0f1e2d3c4b5a69788', instanceId: 'i-zz' } }));

      expect(missing.eventId).toBe('5c4b3a29-1807-4f6e-9d5c-4b3a29180766');
      expect(malformed.message).toContain('instanceId');
    });
  });

  describe('Scheduled Event', () => {
    it('is a sweep trigger naming no instance', () => {
      const event = {
        version: '0',
        id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '111122223333',
        time: '2026-10-02T14:00:00Z',
        region: 'eu-west-1',
        resources: ['arn:aws:events:eu-west-1:111122223333:rule/sweep'],
        detail: {},
      };

      expect(parseTrigger(event, options)).toEqual({ eventId: event.id, kind: 'schedule', instanceIds: [] });
    });
  });

  describe('malformed input', () => {
    it.each([
      ['null', null],
      ['a string', 'running'],
      ['an array', [loadEventFixture('state-change-running')]],
      ['an empty object', {}],
    ])('rejects %s without an event id', (_, event) => {
      expect(invalidEvent(event).eventId).toBeUndefined();
    });

    it('rejects an event of a kind it does not handle, with the event id', () => {
      const event = { ...loadEventFixture('state-change-running'), 'detail-type': 'EBS Volume Notification' };

      const error = invalidEvent(event);

      expect(error.eventId).toBe('3f1c2d7e-6b0a-4c39-9a55-0d1e2f3a4b5c');
      expect(error.message).toContain('EBS Volume Notification');
    });

    it('rejects a state change from a source other than EC2', () => {
      expect(invalidEvent({ ...loadEventFixture('state-change-running'), source: 'custom.app' }).message).toContain('custom.app');
    });

    it('reads the event id even when the rest is broken', () => {
      expect(invalidEvent({ id: 'abc-123', detail: 'nope' }).eventId).toBe('abc-123');
    });
  });

  describe('problem descriptions', () => {
    it.each([
      [
        'a wrong type',
        withDetail(loadEventFixture('state-change-running'), { 'instance-id': 42 }),
        'detail.instance-id: Invalid input: expected string, received number',
      ],
      [
        'an unknown state',
        withDetail(loadEventFixture('state-change-running'), { state: 'rebooting' }),
        'detail.state: Invalid option: expected one of "pending"|"running"|"shutting-down"|"terminated"|"stopping"|"stopped"',
      ],
      [
        'too many resources',
        { ...loadEventFixture('tag-change-added'), resources: Array(1001).fill('x') },
        'event.resources: Too big: expected array to have <=1000 items',
      ],
      [
        'a missing field',
        { ...loadEventFixture('state-change-running'), source: undefined },
        'event.source: Invalid input: expected string, received undefined',
      ],
    ])('say in words what is wrong with %s and where', (_, event, problem) => {
      expect(invalidEvent(event).message).toBe(`malformed event: ${problem}`);
    });
  });
});
