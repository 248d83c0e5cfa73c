import type { Trigger } from '../../shared/domain/events';
import { MAX_INSTANCES_PER_INVOCATION, mustSplit, splitIntoParts } from '../../shared/lambda/split';

const ids = (count: number, from = 0) => Array.from({ length: count }, (_, index) => `i-${(from + index).toString(16).padStart(17, '0')}`);
const trigger = (instanceIds: string[]): Trigger => ({
  eventId: 'ct-1',
  kind: 'cloudtrail-tags',
  instanceIds,
  claims: { tags: { 'traffic-mirror': 'true' } },
});

describe('splitting a trigger too large for one invocation', () => {
  it('cuts it into parts of at most the bound, in order, each carrying the event id, its place and the claims', () => {
    const parts = splitIntoParts(trigger(ids(1000)));

    expect(parts).toHaveLength(Math.ceil(1000 / MAX_INSTANCES_PER_INVOCATION));
    expect(parts.every((part) => part.instanceIds.length <= MAX_INSTANCES_PER_INVOCATION)).toBe(true);
    expect(parts.flatMap((part) => part.instanceIds)).toEqual(ids(1000));
    expect(parts[39]).toMatchObject({ parentEventId: 'ct-1', part: 40, parts: 40, claims: { tags: { 'traffic-mirror': 'true' } } });
  });

  it('splits only what would take the invocation past the bound, counting instances already named once', () => {
    const named = new Set(ids(20));

    expect(mustSplit(trigger(ids(MAX_INSTANCES_PER_INVOCATION)), new Set())).toBe(false);
    expect(mustSplit(trigger(ids(MAX_INSTANCES_PER_INVOCATION + 1)), new Set())).toBe(true);
    expect(mustSplit(trigger(ids(10, 15)), named)).toBe(false);
    expect(mustSplit(trigger(ids(10, 20)), named)).toBe(true);
  });
});
