/**
 * Waits until the local cloud is quiet: the simulator settled, no delivery pending, no invocation or batch running,
 * and nothing new received, invoked or sent for two rounds in a row. False when that did not happen in time.
 */
import type { Simulator } from '@vpc-mirror-orchestrator/ec2-sim';
import type { LocalEventBus, LocalLambda, LocalQueue, QueueEventSource } from '@vpc-mirror-orchestrator/local-lambda';
import { withTimeout } from './stoppers';

export interface CloudParts {
  readonly simulator: Simulator | undefined;
  readonly bus: LocalEventBus;
  readonly lambdas: Readonly<Record<string, LocalLambda>>;
  readonly queues: Readonly<Record<string, LocalQueue>>;
  readonly eventSources: Readonly<Record<string, QueueEventSource>>;
}

export async function settleCloud(parts: CloudParts, timeoutMs: number): Promise<boolean> {
  const { simulator, bus, lambdas, queues, eventSources } = parts;
  const deadline = Date.now() + timeoutMs;
  let quietRounds = 0;
  let lastFingerprint = '';
  while (Date.now() < deadline) {
    const remaining = () => Math.max(1, deadline - Date.now());
    if (simulator) await withTimeout(simulator.settle(), remaining(), 'simulator settle').catch(() => undefined);
    await bus.drain(remaining());
    for (const lambda of Object.values(lambdas)) await lambda.drain(remaining());
    const fingerprint = JSON.stringify([
      bus.stats().received,
      ...Object.values(lambdas).map((lambda) => lambda.stats().invocations),
      ...Object.values(queues).map((queue) => queue.stats().sent),
    ]);
    const busy =
      bus.stats().pending > 0 ||
      Object.values(lambdas).some((lambda) => lambda.stats().inFlight > 0) ||
      Object.values(eventSources).some((source) => source.busy());
    quietRounds = !busy && fingerprint === lastFingerprint ? quietRounds + 1 : 0;
    lastFingerprint = fingerprint;
    if (quietRounds >= 2) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}
