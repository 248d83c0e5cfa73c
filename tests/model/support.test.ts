/**
 * The model's own machinery, checked on its own: events reach the queue serverless.yml's rules route them to (or
 * none), a message that keeps failing ends in the dead-letter queue after the queue's maxReceiveCount, and a killed
 * invocation does nothing more through its ports.
 */

import { freezable, Invocation } from './support/crash';
import { EventQueues } from './support/event-queues';

function stateChange(instanceId: string, state: string): Record<string, unknown> {
  return {
    version: '0',
    id: `event-${state}`,
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '111122223333',
    time: '2026-12-04T21:00:00Z',
    region: 'eu-west-1',
    resources: [`arn:aws:ec2:eu-west-1:111122223333:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, state },
  };
}

describe('the model event queues', () => {
  it('route a running event to the instance events queue and drop a pending one, as the stack rules do', () => {
    const queues = new EventQueues();

    queues.publish(stateChange('i-0a1b2c3d4e5f60718', 'pending'));
    queues.publish(stateChange('i-0a1b2c3d4e5f60718', 'running'));

    expect(queues.waiting).toHaveLength(1);
    expect(queues.waiting[0]).toMatchObject({ queue: 'InstanceEventsQueue', instanceIds: ['i-0a1b2c3d4e5f60718'] });
  });

  it('move a message that failed on every receive to the dead-letter queue after the queue allows no more', () => {
    const queues = new EventQueues();
    queues.publish(stateChange('i-0a1b2c3d4e5f60718', 'running'));

    let receives = 0;
    while (queues.waiting.length > 0 && receives < 10) {
      const [message] = queues.take(10, 'oldest');
      const event = queues.receive(message ? [message] : []);
      receives += 1;
      expect(event.Records[0]?.attributes.ApproximateReceiveCount).toBe(String(receives));
      if (message) queues.giveBack(message);
    }

    expect(receives).toBeGreaterThan(1);
    expect(receives).toBeLessThan(10);
    expect(queues.deadLetters).toHaveLength(1);
  });
});

describe('a killed invocation', () => {
  it('dies at its armed call and makes no call through its ports afterwards', async () => {
    const invocation = new Invocation({ action: 'CreateTrafficMirrorSession', phase: 'after', nth: 2 });
    const calls: string[] = [];
    const port = freezable({ write: async (what: string) => void calls.push(what) }, () => invocation.isDead());

    await port.write('before the crash');
    const first = invocation.reaches('CreateTrafficMirrorSession', 'after');
    const second = invocation.reaches('CreateTrafficMirrorSession', 'after');
    const afterCrash = port.write('after the crash');
    const outcome = await Promise.race([afterCrash.then(() => 'returned'), invocation.crashed]);

    expect([first, second]).toEqual([false, true]);
    expect(outcome).toBe('crashed');
    expect(calls).toEqual(['before the crash']);
  });
});
