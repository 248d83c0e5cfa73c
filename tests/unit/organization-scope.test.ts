import { CONVERGE_REQUEST_DETAIL_TYPE, CONVERGE_REQUEST_SOURCE } from '../../shared/domain/events';
import { scopeOfEvent } from '../../shared/lambda/organization-batch';
import { firstScopeIndex } from '../../shared/lambda/organization-sweep';
import { scopeOfPayload } from '../../shared/lambda/organization-window-end';
import { stateChangeEvent } from '../support/trigger-events';

describe('scopeOfEvent', () => {
  it("reads the account and Region of the EventBridge envelope (the member's, as its spoke forwards it)", () => {
    const event = { ...stateChangeEvent('i-0123456789abcdef0', 'running'), account: '444455556666', region: 'us-east-1' };

    expect(scopeOfEvent(event)).toEqual({ accountId: '444455556666', region: 'us-east-1' });
  });

  it("reads a split part's scope from its detail: its own envelope is the hub's", () => {
    const part = {
      ...stateChangeEvent('i-0123456789abcdef0', 'running'),
      source: CONVERGE_REQUEST_SOURCE,
      'detail-type': CONVERGE_REQUEST_DETAIL_TYPE,
      detail: {
        parentEventId: 'e-1',
        part: 1,
        parts: 2,
        instanceIds: ['i-0123456789abcdef0'],
        accountId: '777788889999',
        region: 'eu-central-1',
      },
    };

    expect(scopeOfEvent(part)).toEqual({ accountId: '777788889999', region: 'eu-central-1' });
  });

  it.each([
    ['no envelope fields', { id: 'x' }],
    ['an account that is not 12 digits', { account: '4444', region: 'us-east-1' }],
    ['a Region that is not one', { account: '444455556666', region: 'Ireland' }],
    ['not an object', 'running'],
  ])('has no scope for %s', (_, event) => {
    expect(scopeOfEvent(event)).toBeUndefined();
  });
});

describe('firstScopeIndex', () => {
  it('starts the sweep at a scope chosen by the run, the same for the same run, every scope in turn over runs', () => {
    const starts = Array.from({ length: 200 }, (_, run) => firstScopeIndex(`sweep-run-${run}`, 6));

    expect(firstScopeIndex('sweep-run-7', 6)).toBe(starts[7]);
    expect(new Set(starts)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    expect(firstScopeIndex('any', 0)).toBe(0);
  });
});

describe("the window-end tick's payload", () => {
  it('names one scope to act in', () => {
    expect(scopeOfPayload({ accountId: '444455556666', region: 'eu-west-1' })).toEqual({ accountId: '444455556666', region: 'eu-west-1' });
  });

  it('names none in a plain tick (every scope of the document)', () => {
    expect(scopeOfPayload({})).toBeUndefined();
    expect(scopeOfPayload(undefined)).toBeUndefined();
    expect(scopeOfPayload({ 'detail-type': 'Scheduled Event' })).toBeUndefined();
  });

  it('is refused when it names a scope badly, rather than acting everywhere', () => {
    expect(() => scopeOfPayload({ accountId: '4444', region: 'eu-west-1' })).toThrow('accountId "4444"');
    expect(() => scopeOfPayload({ accountId: '444455556666' })).toThrow('region undefined');
  });
});
