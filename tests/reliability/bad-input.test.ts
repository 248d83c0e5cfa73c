/**
 * Malformed and hostile events, sent as EventBridge would (async invocations of the real handlers in LocalLambda
 * child processes) in one batch with valid ones: each bad event is logged with its id, retried a bounded number of
 * times (Lambda's 2 retries), then lands in the dead-letter queue with its payload intact; the valid ones in the
 * same batch are converged as if nothing happened.
 */
import type { LambdaLogLine } from '../../local/cloud';
import { type ReliabilityCloud, startReliabilityCloud } from '../support/local-cloud';
import { fixtureEvent } from '../support/test-cloud';

const STATE_CHANGE = 'EC2 Instance State-change Notification';
const envelope = (id: string, detail: unknown, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id,
  'detail-type': STATE_CHANGE,
  source: 'aws.ec2',
  account: '111122223333',
  time: '2026-10-02T15:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
  ...extra,
});

/** Each with the id the log line must name ('unknown' when the event carries no readable id). */
const BAD_EVENTS: Array<{ name: string; functionKey: string; loggedId: string; event: unknown }> = [
  {
    name: 'no detail',
    functionKey: 'instanceEvents',
    loggedId: 'bad-no-detail',
    event: { ...envelope('bad-no-detail', {}), detail: undefined },
  },
  {
    name: 'instance id of the wrong type',
    functionKey: 'instanceEvents',
    loggedId: 'bad-type',
    event: envelope('bad-type', { 'instance-id': 42, state: 'running' }),
  },
  {
    name: 'instance id that is not an id',
    functionKey: 'instanceEvents',
    loggedId: 'bad-id',
    event: envelope('bad-id', { 'instance-id': 'i-../../etc/passwd', state: 'running' }),
  },
  {
    name: 'unknown state',
    functionKey: 'instanceEvents',
    loggedId: 'bad-state',
    event: envelope('bad-state', { 'instance-id': 'i-0123456789abcdef0', state: 'exploded' }),
  },
  {
    name: 'a 300 kB instance id',
    functionKey: 'instanceEvents',
    loggedId: 'bad-huge',
    event: envelope('bad-huge', { 'instance-id': `i-${'a'.repeat(300_000)}`, state: 'running' }),
  },
  {
    name: 'no id at all',
    functionKey: 'instanceEvents',
    loggedId: 'unknown',
    event: { 'detail-type': STATE_CHANGE, source: 'aws.ec2', detail: {} },
  },
  { name: 'not an object', functionKey: 'instanceEvents', loggedId: 'unknown', event: 'rm -rf /' },
  {
    name: 'a tag change naming 1001 resources',
    functionKey: 'instanceEvents',
    loggedId: 'bad-resources',
    event: {
      ...envelope('bad-resources', {
        service: 'ec2',
        'resource-type': 'instance',
        'changed-tag-keys': ['traffic-mirror'],
        version: 2,
        tags: {},
      }),
      'detail-type': 'Tag Change on Resource',
      source: 'aws.tag',
      resources: Array.from(
        { length: 1001 },
        (_, i) => `arn:aws:ec2:eu-west-1:111122223333:instance/i-${i.toString(16).padStart(17, '0')}`,
      ),
    },
  },
];

let rc: ReliabilityCloud;
const logs: LambdaLogLine[] = [];

beforeAll(async () => {
  rc = await startReliabilityCloud({
    simulator: { seed: 41, transitionDelayMs: 2 },
    functions: ['instanceEvents'],
    reservedConcurrency: { instanceEvents: 3 },
    logSink: (line) => logs.push(line),
  });
});

afterAll(async () => {
  await rc?.stop();
});

describe('a batch with malformed and hostile events', () => {
  it('sent directly (async invocations): dead-letters each bad event after bounded retries with a log line naming it, and converges the valid ones', async () => {
    rc.cloud.bus.setChaos({ seed: 1, dropRate: 1 });
    const good = await rc.launch({ count: 2 });
    const lambdas = rc.cloud.lambdas;
    const batch = [
      ...BAD_EVENTS.map((bad) => ({ ...bad, valid: false })),
      ...good.map((instance, index) => ({
        name: `valid ${index}`,
        functionKey: 'instanceEvents',
        loggedId: `good-${index}`,
        event: fixtureEvent('state-change-running', instance.instanceId, `good-${index}`),
        valid: true,
      })),
    ];

    const outcomes = await Promise.all(batch.map((item) => lambdas[item.functionKey]?.invokeAsync(item.event)));

    batch.forEach((item, index) => {
      const outcome = outcomes[index];
      if (item.valid)
        expect({ name: item.name, status: outcome?.status, attempts: outcome?.attempts }).toEqual({
          name: item.name,
          status: 'succeeded',
          attempts: 1,
        });
      else
        expect({ name: item.name, status: outcome?.status, attempts: outcome?.attempts }).toEqual({
          name: item.name,
          status: 'dead-lettered',
          attempts: 3,
        });
    });
    // Nothing lost: one dead letter per bad event, carrying the event exactly as sent.
    const letters = rc.cloud.deadLetters.entries().filter((letter) => letter.kind === 'lambda-on-failure');
    expect(letters).toHaveLength(BAD_EVENTS.length);
    for (const bad of BAD_EVENTS) {
      const letter = letters.find((candidate) => JSON.stringify(candidate.record.requestPayload) === JSON.stringify(bad.event));
      expect({ name: bad.name, found: letter !== undefined }).toEqual({ name: bad.name, found: true });
      expect(letter?.record.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
      expect(letter?.record.responsePayload).toMatchObject({ errorType: 'InvalidEventError' });
    }
    // One clear log line per attempt, naming the event.
    const invalidLines = logs.filter((line) => line.json?.message === 'invalid event');
    for (const bad of BAD_EVENTS) {
      const lines = invalidLines.filter((line) => line.json?.eventId === bad.loggedId);
      expect({ name: bad.name, logged: lines.length >= 3 }).toEqual({ name: bad.name, logged: true });
    }
    expect(invalidLines).toHaveLength(BAD_EVENTS.length * 3);
    for (const instance of good) expect(rc.managedSessionsOn(instance.eniIds)).toHaveLength(1);
    expect(await rc.ledgerProblems()).toEqual([]);
  });
});

/**
 * Bad events EventBridge itself would accept (an object with source, detail-type and detail) and a rule matches
 * (an unknown state never reaches us: the state-change rule lists the states it wants).
 */
const QUEUED_BAD_EVENTS = BAD_EVENTS.filter((bad) => ['bad-type', 'bad-id', 'bad-resources'].includes(bad.loggedId));

describe('a queue batch with malformed events among valid ones', () => {
  it('through the rules and the SQS queues: each bad message is retried up to maxReceiveCount, then redriven to the DLQ intact; the valid ones converge', async () => {
    rc.cloud.bus.setChaos(undefined);
    logs.length = 0;
    const redrivenBefore = rc.cloud.deadLetters.entries().filter((letter) => letter.kind === 'sqs-redrive').length;

    // The launches emit the real running and tag events; the bad ones go onto the bus at the same moment.
    const launching = rc.launch({ count: 3 });
    for (const bad of QUEUED_BAD_EVENTS) rc.cloud.bus.put(bad.event as Parameters<typeof rc.cloud.bus.put>[0]);
    const good = await launching;
    expect(await rc.cloud.settle(60_000)).toBe(true);

    const redriven = rc.cloud.deadLetters
      .entries()
      .filter((letter) => letter.kind === 'sqs-redrive')
      .slice(redrivenBefore);
    expect(redriven).toHaveLength(QUEUED_BAD_EVENTS.length);
    for (const bad of QUEUED_BAD_EVENTS) {
      const letter = redriven.find((candidate) => (candidate.record.requestPayload as { id?: string } | undefined)?.id === bad.loggedId);
      expect({ name: bad.name, payload: letter?.record.requestPayload }).toEqual({ name: bad.name, payload: bad.event });
      const lines = logs.filter((line) => line.json?.message === 'invalid event' && line.json?.eventId === bad.loggedId);
      expect({ name: bad.name, attempts: lines.length }).toEqual({ name: bad.name, attempts: 3 });
    }
    for (const instance of good) expect(rc.managedSessionsOn(instance.eniIds)).toHaveLength(1);
    const sources = Object.values(rc.cloud.eventSources).map((source) => source.stats());
    expect(sources.reduce((sum, stats) => sum + stats.failedBatches, 0)).toBe(0);
    expect(await rc.ledgerProblems()).toEqual([]);
  });
});
