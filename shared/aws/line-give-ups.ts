/**
 * Throttling errors a throttle line gave up on (throttle-line.ts), marked so that the retry strategy does not retry
 * them again (ec2-retry.ts) and the error mapping can tell a call given up at its invocation's deadline.
 */

const givenUp = new WeakSet<object>();
const givenUpAtDeadline = new WeakSet<object>();

export function markGivenUp(error: object, atDeadline: boolean): void {
  givenUp.add(error);
  if (atDeadline) givenUpAtDeadline.add(error);
}

/** True for a throttling error thrown by a call that waited its bound in line. */
export function waitedOutInLine(error: unknown): boolean {
  return typeof error === 'object' && error !== null && givenUp.has(error);
}

/** True for a throttling error thrown by a call still throttled at its invocation's deadline. */
export function throttledPastDeadline(error: unknown): boolean {
  return typeof error === 'object' && error !== null && givenUpAtDeadline.has(error);
}
