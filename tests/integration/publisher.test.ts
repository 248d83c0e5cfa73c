/** Outcome events over the real SDK to a loopback EventBridge endpoint: batching, schema, failed entries. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createPublisher } from '../../shared/aws/publisher';
import type { OutcomeEvent } from '../../shared/converge';
import { RetryableError } from '../../shared/domain/errors';
import { type CapturingEventBus, startCapturingEventBus } from '../support/event-bus';

const AT = new Date('2026-10-02T14:05:11.000Z');

let bus: CapturingEventBus;
let client: EventBridgeClient;

const outcome = (n: number): OutcomeEvent => ({
  outcomeId: `outcome-${n}`,
  at: AT.toISOString(),
  action: 'attach',
  reason: 'eligible',
  instanceId: 'i-0123456789abcdef0',
  eniId: `eni-${String(n).padStart(17, '0')}`,
  sessionId: `tms-${String(n).padStart(17, '0')}`,
  targetId: 'tmt-0123456789abcdef0',
  sessionNumber: 1,
  triggerEventId: 'evt-1',
});

beforeAll(async () => {
  bus = await startCapturingEventBus();
  client = new EventBridgeClient({
    endpoint: bus.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  client?.destroy();
  await bus?.stop();
});

beforeEach(() => bus.clear());

describe('the outcome publisher', () => {
  const publisher = () => createPublisher({ client, eventBusName: 'outcomes', ownerId: 'owner-1' });

  it('sends 23 events in batches of at most 10, in the pinned schema', async () => {
    const before = bus.requests();

    await publisher().publish(Array.from({ length: 23 }, (_, n) => outcome(n)));

    expect(bus.requests() - before).toBe(3);
    expect(bus.events).toHaveLength(23);
    expect(bus.events[0]).toEqual({
      source: 'vpc-mirror-orchestrator',
      detailType: 'Mirror Session Attached',
      eventBusName: 'outcomes',
      detail: { schemaVersion: 1, ...outcome(0), ownerId: 'owner-1' },
    });
  });

  it('sends again only the entries EventBridge failed', async () => {
    bus.failNextEntries(2);

    await publisher().publish([outcome(1), outcome(2), outcome(3)]);

    expect(bus.events.map((e) => e.detail.eniId).sort()).toEqual([outcome(1).eniId, outcome(2).eniId, outcome(3).eniId].sort());
  });

  it('gives up with a RetryableError when entries keep failing', async () => {
    bus.failNextEntries(100);

    await expect(publisher().publish([outcome(1)])).rejects.toBeInstanceOf(RetryableError);

    bus.failNextEntries(0);
  });
});
