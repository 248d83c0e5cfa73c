/**
 * Lines up an EC2 client's mutating calls while they are throttled (throttle-line.ts), one line per action, as EC2
 * meters each action apart. AWS counts Describe*, Get*, List* and Search* as non-mutating ("Request throttling for
 * the Amazon EC2 API"): those pass untouched, and keep the retry strategy's own throttling retries (ec2-retry.ts).
 *
 * A middleware rather than a wrapper at the port: every EC2 client of the product is made in one place
 * (clients.ts), so each gets its lines there, for whatever adapter sends through it, and the application knows
 * nothing of it. It runs inside the SDK's retry loop, before signing: each of its tries is signed anew, its tries
 * pass the throttle counter (throttle-counter.ts), and every other error keeps the SDK's standard attempts.
 */
import type { EC2Client, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-ec2';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { ThrottleLine, type ThrottleLineOptions } from './throttle-line';

const MIDDLEWARE_NAME = 'lineUpMutatingCalls';
const NON_MUTATING = /^(Describe|Get|List|Search)/;

/** `action` as EC2 names it (CreateTrafficMirrorSession), not the SDK's command class. */
export function isMutatingAction(action: string): boolean {
  return !NON_MUTATING.test(action);
}

/** How one client sends a call: a mutating action through its line, made when the action is first sent. */
export type CallRouter = <T>(commandName: string | undefined, send: () => Promise<T>) => Promise<T>;

export function mutatingCallsRouter(options: ThrottleLineOptions = {}): CallRouter {
  const lines = new Map<string, ThrottleLine>();
  return (commandName, send) => {
    const action = (commandName ?? '').replace(/Command$/, '');
    if (!isMutatingAction(action)) return send();
    let line = lines.get(action);
    if (line === undefined) {
      line = new ThrottleLine(options);
      lines.set(action, line);
    }
    return line.send(send);
  };
}

/** Adds the lines to `client`, once. */
export function lineUpMutatingCalls(client: EC2Client): void {
  if (client.middlewareStack.identify().some((entry) => entry.startsWith(MIDDLEWARE_NAME))) return;
  const route = mutatingCallsRouter();
  const middleware: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => (args) =>
    route(context.commandName, () => next(args));
  client.middlewareStack.addRelativeTo(middleware, {
    relation: 'before',
    toMiddleware: 'httpSigningMiddleware',
    name: MIDDLEWARE_NAME,
  });
}
