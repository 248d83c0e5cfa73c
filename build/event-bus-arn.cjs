'use strict';
/**
 * Package-time helper for serverless.yml: the IAM resource that lets the functions call events:PutEvents on the bus
 * EVENT_BUS_NAME (the eventBusName parameter) names. EventBridge takes either a bus name (a bus of the deploying
 * account and Region) or a bus ARN (any bus, such as a central security account's); IAM always needs the ARN.
 * CloudFormation's condition functions cannot test a prefix, so the choice is made here, when `sls package` resolves
 * `${file(./build/event-bus-arn.cjs):putEventsResource}`.
 *
 * The two patterns are also those of shared/config/config.ts (tests/unit/event-bus-arn.test.ts checks they agree):
 * a bus name is 1..256 of A-Z a-z 0-9 . _ - / (EventBridge's CreateEventBus); an ARN is
 * arn:<partition>:events:<region>:<12-digit account>:event-bus/<name>.
 */
const EVENT_BUS_NAME = /^[/._A-Za-z0-9-]{1,256}$/;
const EVENT_BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[/._A-Za-z0-9-]{1,256}$/;

/** A bus name or ARN -> the IAM Resource for it; blank means the default bus, as at run time. */
function eventBusResource(value) {
  const bus = String(value ?? '').trim() || 'default';
  if (EVENT_BUS_ARN.test(bus)) return bus;
  if (EVENT_BUS_NAME.test(bus)) return { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${bus}` };
  throw new Error(
    `eventBusName (EVENT_BUS_NAME): must be an event bus name or an event bus ARN (arn:<partition>:events:<region>:<account>:event-bus/<name>), got ${JSON.stringify(bus)}`,
  );
}

module.exports = {
  EVENT_BUS_NAME,
  EVENT_BUS_ARN,
  eventBusResource,
  putEventsResource: async ({ resolveVariable }) => eventBusResource(await resolveVariable('param:eventBusName')),
};
