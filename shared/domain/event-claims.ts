/** Whether a read of an instance is behind what an event said about it (pure; see EventClaims). */
import type { EventClaims } from './events';
import type { InstanceFacts } from './types';

/** Why the read is behind the event, or undefined when it shows everything the event claims. */
export function readBehindEvent(claims: EventClaims | undefined, instance: InstanceFacts | undefined): string | undefined {
  if (claims === undefined) return undefined;
  if (claims.state === 'running') {
    if (instance === undefined) return 'the event says running; DescribeInstances does not list the instance yet';
    if (instance.state === 'pending') return 'the event says running; DescribeInstances still shows pending';
  } else if (claims.state !== undefined && (instance?.state === 'running' || instance?.state === 'pending')) {
    // A stop or terminate Describe does not show yet: planned on this read, the sessions would stay and bill.
    return `the event says ${claims.state}; DescribeInstances still shows ${instance.state}`;
  }
  for (const [key, value] of Object.entries(claims.tags ?? {})) {
    if (instance === undefined) return `the event changed tag ${key}; DescribeInstances does not list the instance yet`;
    const shown = instance.tags[key] ?? null;
    if (shown !== value) return `the event says tag ${key} is ${JSON.stringify(value)}; DescribeInstances shows ${JSON.stringify(shown)}`;
  }
  return undefined;
}
