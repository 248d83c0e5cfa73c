/**
 * EVENT_BUS_NAME names the bus outcome events go to, as a name (a bus of this account and Region) or an ARN (any
 * bus). The functions accept exactly what the stack can grant PutEvents on: the configuration at start and
 * build/event-bus-arn.cjs at package time agree on every value.
 */
import { EVENT_BUS_PATTERN, loadConfig } from '../../shared/config/config';
import { ConfigError } from '../../shared/domain/errors';

const { eventBusResource } = require('../../build/event-bus-arn.cjs') as { eventBusResource: (value: string) => unknown };

const minimalEnv = { MIRROR_TARGET_IDS: 'tmt-0123456789abcdef0', MIRROR_FILTER_ID: 'tmf-0123456789abcdef0', LEDGER_TABLE_NAME: 'ledger' };
const BUS_ARN = 'arn:aws:events:eu-west-1:111122223333:event-bus/security-outcomes';

const ACCEPTED = [
  'default',
  'mirror-outcomes',
  'aws.partner/example.com/123/outcomes',
  BUS_ARN,
  'arn:aws-us-gov:events:us-gov-west-1:111122223333:event-bus/x',
];
const REFUSED = [
  'outcomes:prod',
  'arn:aws:events:eu-west-1:111122223333:rule/not-a-bus',
  'arn:aws:events:eu-west-1:1111:event-bus/short-account',
  'arn:aws:sqs:eu-west-1:111122223333:event-bus/x',
  'spaces are not allowed',
  'b'.repeat(257),
];

function startError(value: string): ConfigError | undefined {
  try {
    loadConfig({ ...minimalEnv, EVENT_BUS_NAME: value });
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

describe('EVENT_BUS_NAME', () => {
  it.each(ACCEPTED)('accepts %s, a bus name or a bus ARN', (value) => {
    expect(loadConfig({ ...minimalEnv, EVENT_BUS_NAME: value }).eventBusName).toBe(value);
  });

  it.each(REFUSED.map((value) => [value.length > 60 ? `${value.length} characters` : value, value]))(
    'refuses %s at start, naming the variable',
    (_, value) => {
      const error = startError(value);

      expect(error?.variable).toBe('EVENT_BUS_NAME');
      expect(error?.message).toContain('event bus ARN (arn:<partition>:events:<region>:<account>:event-bus/<name>)');
    },
  );
});

describe('the PutEvents grant of the packaged stack (build/event-bus-arn.cjs)', () => {
  it('names the bus of this account and Region for a bus name', () => {
    expect(eventBusResource('mirror-outcomes')).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/mirror-outcomes',
    });
  });

  it('names the bus itself for a bus ARN, and the default bus for a blank value', () => {
    expect(eventBusResource(BUS_ARN)).toBe(BUS_ARN);
    expect(eventBusResource(' ')).toEqual({ 'Fn::Sub': expect.stringMatching(/:event-bus\/default$/) });
  });

  it('accepts exactly the values the functions accept at start', () => {
    for (const value of [...ACCEPTED, ...REFUSED]) {
      const packages = (() => {
        try {
          eventBusResource(value);
          return true;
        } catch {
          return false;
        }
      })();
      expect({ value, packages }).toEqual({ value, packages: EVENT_BUS_PATTERN.test(value) });
    }
  });
});
