/**
 * Events that say more than EC2's Describe shows yet (a `running` event while Describe shows nothing or `pending`,
 * a tag change whose tags Describe does not show yet): EC2's reads are eventually consistent, typically for a second
 * or two. Such instances are read again after a delay, a bounded number of times (CATCH_UP_DELAYS_MS, 7.5 s in all,
 * well inside the 60 s function timeout), so a new or newly tagged instance is mirrored within seconds instead of
 * waiting for the sweep. Past the bound the plan of the last read is applied (it is what EC2 shows: harmless), the
 * instance is logged with the reason, the record is acknowledged, and the sweep owns the rest.
 *
 * Why inside the invocation rather than a batchItemFailure: a failed record comes back only after the queue's
 * VisibilityTimeout (420 s: Lambda requires at least the function timeout), and making it come back sooner
 * (ChangeMessageVisibility) needs an SQS client the functions do not bundle. Waiting here costs seconds of the
 * invocation, and only when a read is behind.
 */

import type { ConvergeDeps } from '../converge/ports';
import { type InstancePlan, readAndPlan } from '../converge/read-and-plan';
import { readBehindEvent } from '../domain/event-claims';
import type { EventClaims } from '../domain/events';

export const CATCH_UP_DELAYS_MS: readonly number[] = [500, 1000, 2000, 4000];

export interface BehindRead {
  readonly instanceId: string;
  readonly reason: string;
}

export interface CaughtUp {
  /** The last read of each lagging instance, planned. */
  readonly plans: readonly InstancePlan[];
  /** Still behind after the bound: logged and left to the sweep. */
  readonly behind: readonly BehindRead[];
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Splits plans into those whose read shows what their event claims and those whose read is behind it. */
export function partitionByClaims(plans: readonly InstancePlan[], claimsOf: (instanceId: string) => EventClaims | undefined) {
  const ready: InstancePlan[] = [];
  const lagging: BehindRead[] = [];
  for (const plan of plans) {
    const reason = readBehindEvent(claimsOf(plan.instanceId), plan.input.instance);
    if (reason === undefined) ready.push(plan);
    else lagging.push({ instanceId: plan.instanceId, reason });
  }
  return { ready, lagging };
}

/** Reads the lagging instances again after each delay until their reads show what the events said, or the bound. */
export async function catchUp(
  lagging: readonly BehindRead[],
  claimsOf: (instanceId: string) => EventClaims | undefined,
  deps: ConvergeDeps,
  sleep: (ms: number) => Promise<void> = defaultSleep,
): Promise<CaughtUp> {
  const settled: InstancePlan[] = [];
  let pending = lagging;
  let lastPlans: InstancePlan[] = [];
  for (const delayMs of CATCH_UP_DELAYS_MS) {
    if (pending.length === 0) break;
    deps.logger.info('read behind event: reading again', { instances: pending, delayMs });
    await sleep(delayMs);
    lastPlans = await readAndPlan(
      pending.map((item) => item.instanceId),
      deps,
    );
    const { ready, lagging: still } = partitionByClaims(lastPlans, claimsOf);
    settled.push(...ready);
    pending = still;
  }
  const stillBehind = new Set(pending.map((item) => item.instanceId));
  return { plans: [...settled, ...lastPlans.filter((plan) => stillBehind.has(plan.instanceId))], behind: pending };
}

/** The acknowledged-anyway line: the record is done, the sweep will converge the instance once EC2 shows it. */
export function logLeftToSweep(
  behind: readonly BehindRead[],
  eventIdOf: (instanceId: string) => string | undefined,
  deps: ConvergeDeps,
): void {
  const waitedMs = CATCH_UP_DELAYS_MS.reduce((sum, ms) => sum + ms, 0);
  for (const { instanceId, reason } of behind) {
    deps.logger.warn('read behind event: left to the sweep', { instanceId, triggerEventId: eventIdOf(instanceId), reason, waitedMs });
  }
}
