import { readBehindEvent } from '../../shared/domain/event-claims';
import { parseTrigger } from '../../shared/domain/events';
import type { InstanceFacts } from '../../shared/domain/types';
import { cloudTrailCreateTagsEvent, stateChangeEvent, tagChangeEvent } from '../support/trigger-events';

const options = { tagKey: 'traffic-mirror', overrideTagKeys: ['traffic-mirror-target'] };
const INSTANCE = 'i-0a1b2c3d4e5f60718';

function instance(overrides: Partial<InstanceFacts> = {}): InstanceFacts {
  return {
    instanceId: INSTANCE,
    state: 'running',
    instanceType: 'm5.large',
    availabilityZone: 'eu-west-1a',
    tags: {},
    networkInterfaces: [],
    ...overrides,
  };
}

describe('what an event claims about its instances', () => {
  it('a state change claims its state, running or past it; pending claims nothing', () => {
    expect(parseTrigger(stateChangeEvent(INSTANCE, 'running'), options).claims).toEqual({ state: 'running' });
    expect(parseTrigger(stateChangeEvent(INSTANCE, 'stopped'), options).claims).toEqual({ state: 'stopped' });
    expect(parseTrigger(stateChangeEvent(INSTANCE, 'shutting-down'), options).claims).toEqual({ state: 'shutting-down' });
    expect(parseTrigger(stateChangeEvent(INSTANCE, 'pending'), options).claims).toBeUndefined();
  });

  it('a tag change claims the values of our changed keys after the change (null: removed)', () => {
    const added = tagChangeEvent(INSTANCE, ['traffic-mirror', 'Name'], { Name: 'web-1', 'traffic-mirror': 'true' });
    const removed = tagChangeEvent(INSTANCE, ['traffic-mirror'], { Name: 'web-1' });

    expect(parseTrigger(added, options).claims).toEqual({ tags: { 'traffic-mirror': 'true' } });
    expect(parseTrigger(removed, options).claims).toEqual({ tags: { 'traffic-mirror': null } });
  });

  it('a CloudTrail CreateTags claims the values it set on our keys', () => {
    const event = cloudTrailCreateTagsEvent([INSTANCE], { 'traffic-mirror': 'true', team: 'payments' });

    expect(parseTrigger(event, options).claims).toEqual({ tags: { 'traffic-mirror': 'true' } });
  });
});

describe('readBehindEvent', () => {
  it('is behind when a running event meets no instance or a pending one', () => {
    expect(readBehindEvent({ state: 'running' }, undefined)).toContain('does not list the instance yet');
    expect(readBehindEvent({ state: 'running' }, instance({ state: 'pending' }))).toContain('still shows pending');
    expect(readBehindEvent({ state: 'running' }, instance())).toBeUndefined();
  });

  it('is behind when a stop or terminate meets an instance Describe still shows running or pending', () => {
    expect(readBehindEvent({ state: 'stopping' }, instance())).toBe('the event says stopping; DescribeInstances still shows running');
    expect(readBehindEvent({ state: 'terminated' }, instance({ state: 'pending' }))).toContain('still shows pending');
    expect(readBehindEvent({ state: 'stopped' }, instance({ state: 'stopping' }))).toBeUndefined();
    expect(readBehindEvent({ state: 'terminated' }, undefined)).toBeUndefined();
  });

  it('is behind when Describe does not show the tag values the event claims', () => {
    expect(readBehindEvent({ tags: { 'traffic-mirror': 'true' } }, instance())).toContain('shows null');
    expect(readBehindEvent({ tags: { 'traffic-mirror': null } }, instance({ tags: { 'traffic-mirror': 'true' } }))).toContain('"true"');
    expect(readBehindEvent({ tags: { 'traffic-mirror': 'true' } }, instance({ tags: { 'traffic-mirror': 'true' } }))).toBeUndefined();
  });

  it('is never behind for an event that claims nothing', () => {
    expect(readBehindEvent(undefined, undefined)).toBeUndefined();
  });
});
