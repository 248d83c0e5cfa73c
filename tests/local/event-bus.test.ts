import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EventBridgeClient, PutEventsCommand, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import {
  type AsyncInvokeOutcome,
  type BusTarget,
  type EventEnvelope,
  LocalEventBus,
  LocalLambda,
} from '@vpc-mirror-orchestrator/local-lambda';
import { EVENT_FIXTURES } from '../support/fixtures-path';

const REPO = path.resolve(__dirname, '../..');
const fixture = (name: string): EventEnvelope => JSON.parse(readFileSync(path.join(EVENT_FIXTURES, name), 'utf8'));

/** Collects what a target was asked to run, without running anything. */
class RecordingTarget implements BusTarget {
  readonly received: unknown[] = [];
  async invokeAsync(event: unknown): Promise<void> {
    this.received.push(event);
  }
}

describe('LocalEventBus over the real EventBridge SDK', () => {
  let bus: LocalEventBus;
  let lambda: LocalLambda;
  let client: EventBridgeClient;
  const outcomes: AsyncInvokeOutcome[] = [];

  beforeAll(async () => {
    lambda = new LocalLambda({
      functionKey: 'stateChange',
      modulePath: path.join(__dirname, 'fixtures/handlers/echo.ts'),
      cwd: REPO,
      timeoutSeconds: 10,
    });
    const target: BusTarget = {
      invokeAsync: async (event) => {
        const outcome = await lambda.invokeAsync(event);
        outcomes.push(outcome);
        return outcome;
      },
    };
    bus = new LocalEventBus({
      region: 'eu-west-1',
      accountId: '111122223333',
      outcomeSources: ['vpc-mirror-orchestrator'],
      rules: [
        { name: 'state-change', pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] }, target },
      ],
    });
    const endpoint = await bus.listen();
    client = new EventBridgeClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  });

  afterAll(async () => {
    client.destroy();
    await bus.stop();
    await lambda.stop();
  });

  it('delivers a PutEvents entry to the matching Lambda as a full EventBridge envelope', async () => {
    const detail = { 'instance-id': 'i-0a1b2c3d4e5f60718', state: 'running' };

    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'aws.ec2',
            DetailType: 'EC2 Instance State-change Notification',
            Detail: JSON.stringify(detail),
            Resources: ['arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f60718'],
            Time: new Date('2026-10-02T14:05:11Z'),
          },
        ],
      }),
    );
    await bus.drain(30_000);

    expect(answer.FailedEntryCount).toBe(0);
    const eventId = answer.Entries?.[0]?.EventId;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({
      status: 'succeeded',
      value: {
        echo: {
          version: '0',
          id: eventId,
          'detail-type': 'EC2 Instance State-change Notification',
          source: 'aws.ec2',
          account: '111122223333',
          time: '2026-10-02T14:05:11Z',
          region: 'eu-west-1',
          resources: ['arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f60718'],
          detail,
        },
      },
    });
  });

  it('records a non-matching event without invoking anything', async () => {
    const before = lambda.stats().invocations;
    const unmatchedBefore = bus.stats().unmatched;

    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'vpc-mirror-orchestrator',
            DetailType: 'Mirror Session Attached',
            Detail: JSON.stringify({ schemaVersion: 1, action: 'attach' }),
            EventBusName: 'default',
          },
        ],
      }),
    );
    await bus.drain(30_000);

    expect(answer.FailedEntryCount).toBe(0);
    expect(lambda.stats().invocations).toBe(before);
    expect(bus.stats().unmatched).toBe(unmatchedBefore + 1);
    expect(bus.outcomes().map((event) => event['detail-type'])).toEqual(['Mirror Session Attached']);
  });

  it('answers TestEventPattern with the same matcher the rules use', async () => {
    const event = JSON.stringify(fixture('tag-change-added.json'));

    const hit = await client.send(
      new TestEventPatternCommand({ Event: event, EventPattern: JSON.stringify({ detail: { 'changed-tag-keys': ['traffic-mirror'] } }) }),
    );
    const miss = await client.send(new TestEventPatternCommand({ Event: event, EventPattern: JSON.stringify({ source: ['aws.ec2'] }) }));

    expect([hit.Result, miss.Result]).toEqual([true, false]);
  });

  it('fails only the malformed entry of a batch', async () => {
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'test', DetailType: 'ok', Detail: '{}' },
          { Source: 'test', DetailType: 'broken', Detail: 'not json' },
          { Source: 'test', Detail: '{}' },
        ],
      }),
    );

    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries?.map((entry) => entry.ErrorCode ?? 'ok')).toEqual(['ok', 'MalformedDetail', 'InvalidArgument']);
  });
});

describe('LocalEventBus routing', () => {
  it('routes each shared fixture only to rules whose pattern matches', () => {
    const stateChange = new RecordingTarget();
    const tagChange = new RecordingTarget();
    const bus = new LocalEventBus({
      rules: [
        { name: 'state', pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] }, target: stateChange },
        { name: 'tags', pattern: { source: ['aws.tag'], detail: { 'changed-tag-keys': ['traffic-mirror'] } }, target: tagChange },
      ],
    });

    bus.put(fixture('state-change-running.json'));
    bus.put(fixture('tag-change-removed.json'));
    bus.put(fixture('cloudtrail-create-tags.json'));

    expect(stateChange.received).toEqual([fixture('state-change-running.json')]);
    expect(tagChange.received).toEqual([fixture('tag-change-removed.json')]);
    expect(bus.stats()).toMatchObject({ received: 3, matched: 2, unmatched: 1, deliveries: 2 });
  });

  it('ignores disabled rules and rules on another bus', () => {
    const target = new RecordingTarget();
    const bus = new LocalEventBus({
      rules: [
        { name: 'off', pattern: { source: ['aws.ec2'] }, target, enabled: false },
        { name: 'elsewhere', pattern: { source: ['aws.ec2'] }, target, eventBusName: 'custom' },
      ],
    });

    bus.put(fixture('state-change-running.json'));
    bus.put(fixture('state-change-stopped.json'), 'arn:aws:events:eu-west-1:111122223333:event-bus/custom');

    expect(target.received).toEqual([fixture('state-change-stopped.json')]);
  });

  it('refuses a rule with an invalid pattern', () => {
    const bus = new LocalEventBus();
    expect(() => bus.addRule({ name: 'bad', pattern: { source: [] }, target: new RecordingTarget() })).toThrow(/must not be empty/);
  });
});

describe('LocalEventBus chaos hooks', () => {
  const tenEvents = () => Array.from({ length: 10 }, (_, index) => ({ ...fixture('state-change-running.json'), id: `event-${index}` }));

  it('drops every delivery at drop rate 1 and counts it', () => {
    const target = new RecordingTarget();
    const bus = new LocalEventBus({ rules: [{ name: 'all', pattern: { source: ['aws.ec2'] }, target }], chaos: { dropRate: 1 } });

    for (const event of tenEvents()) bus.put(event);

    expect(target.received).toEqual([]);
    expect(bus.stats()).toMatchObject({ matched: 10, dropped: 10, deliveries: 0 });
  });

  it('delivers twice at duplicate rate 1', () => {
    const target = new RecordingTarget();
    const bus = new LocalEventBus({ rules: [{ name: 'all', pattern: { source: ['aws.ec2'] }, target }], chaos: { duplicateRate: 1 } });

    bus.put(fixture('state-change-running.json'));

    expect(target.received).toHaveLength(2);
    expect(bus.stats()).toMatchObject({ duplicated: 1, deliveries: 2 });
  });

  it('delays deliveries, delivering every one by the time it drains', async () => {
    const target = new RecordingTarget();
    const bus = new LocalEventBus({
      rules: [{ name: 'all', pattern: { source: ['aws.ec2'] }, target }],
      chaos: { seed: 7, delayRate: 1, maxDelayMs: 50 },
    });

    for (const event of tenEvents()) bus.put(event);
    const delayedAtOnce = target.received.length;
    const drained = await bus.drain(5_000);

    expect(delayedAtOnce).toBe(0);
    expect(drained).toBe(true);
    expect((target.received as EventEnvelope[]).map((event) => event.id).sort()).toEqual(
      tenEvents()
        .map((event) => event.id)
        .sort(),
    );
  });

  it('makes the same choices for the same seed', () => {
    const run = (seed: number) => {
      const target = new RecordingTarget();
      const bus = new LocalEventBus({ rules: [{ name: 'all', pattern: { source: ['aws.ec2'] }, target }], chaos: { seed, dropRate: 0.5 } });
      for (const event of tenEvents()) bus.put(event);
      return (target.received as EventEnvelope[]).map((event) => event.id);
    };

    expect(run(42)).toEqual(run(42));
    expect(run(42).length).toBeGreaterThan(0);
    expect(run(42).length).toBeLessThan(10);
  });
});
