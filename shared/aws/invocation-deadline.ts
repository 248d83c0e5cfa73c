/**
 * The time by which the current invocation must stop waiting on AWS and wrap up (epoch ms), carried by Node's
 * AsyncLocalStorage through every call the invocation makes: the EC2 throttle lines give up there (throttle-line.ts)
 * instead of holding the invocation until Lambda kills it, with nothing recorded. Absent outside an invocation (the
 * CLI, most tests): nothing gives up early.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const deadlines = new AsyncLocalStorage<number>();

export function withDeadline<T>(deadlineMs: number, work: () => Promise<T>): Promise<T> {
  return deadlines.run(deadlineMs, work);
}

export function pastDeadline(now: number): boolean {
  const deadline = deadlines.getStore();
  return deadline !== undefined && now >= deadline;
}
