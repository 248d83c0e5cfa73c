/**
 * reconcile = the Lambdas' converge (readAndPlan, then applyPlans), fed in slices so a large fleet shows progress and
 * a failing instance is reported on its own line instead of hiding the others' results.
 */
import {
  applyPlans,
  type ConvergeDeps,
  ConvergeError,
  type DecisionRecord,
  failureRecord,
  INSTANCE_CONCURRENCY,
  readAndPlan,
} from '../shared/converge';
import { mapWithConcurrency } from '../shared/util/concurrency';
import type { ScopeFields } from './across-scopes';
import { failureReason } from './failures';
import type { UndeliveredEvents } from './outcome-delivery';
import type { Scope } from './scope';
import { knowsNothingOf, notFoundInstances } from './views/findings';

/** Instances read per batch: large enough to keep DescribeInstances batched, small enough for a moving progress bar. */
const READ_BATCH = 50;

/** A failure as the user reads it: the AWS error code (never one of our class names), then the message. */
function userFacingFailure(record: DecisionRecord, error: unknown): DecisionRecord {
  return { ...record, detail: `${failureReason(error)}: ${error instanceof Error ? error.message : String(error)}` };
}

/**
 * What one instance's converge reported when it threw. Converge names a failure by our error class; the user sees
 * the AWS error code instead. A failure that is only the delivery of outcome events is no failure of the instance:
 * its changes were made, and its events are reported as pending.
 */
function recordsOfFailure(error: ConvergeError, delivery: UndeliveredEvents): DecisionRecord[] {
  const failures = error.failures.filter((failure) => !delivery.isDeliveryFailure(failure));
  const [cause] = failures;
  return error.summary.decisions.flatMap((record) => {
    if (record.action !== 'fail') return [record];
    return cause === undefined ? [] : [userFacingFailure(record, cause)];
  });
}

export interface ReconcileOutcome {
  /** With an organization, each names its account and Region. */
  readonly records: ReadonlyArray<DecisionRecord & ScopeFields>;
  /** Named instances nobody knows: left alone, not even a history entry. */
  readonly notFound: readonly string[];
}

/**
 * Converges every instance in scope; returns every decision record, failures included as 'fail' records. Throws only
 * when a read fails (EC2 or the ledger unreachable, no credentials): then nothing of that batch was changed. `deps`
 * must publish through `delivery.publisher`. `organization`: leave alone the instances this scope knows nothing of.
 */
export async function reconcileInstances(
  scope: Scope,
  triggerEventId: string,
  deps: ConvergeDeps,
  delivery: UndeliveredEvents,
  onInstanceDone: () => void,
  organization = false,
): Promise<ReconcileOutcome> {
  const records: DecisionRecord[] = [];
  const notFound: string[] = [];
  const { instanceIds } = scope;
  for (let start = 0; start < instanceIds.length; start += READ_BATCH) {
    const read = await readAndPlan(instanceIds.slice(start, start + READ_BATCH), deps, { rememberedEnis: 'always' });
    notFound.push(...notFoundInstances(read, scope));
    // In an organization, instances of other scopes show up too (the owner of shared targets sees their sessions):
    // converging them here would only record "gone" skips under the wrong scope.
    const unknown = new Set(organization ? read.filter(knowsNothingOf).map((plan) => plan.instanceId) : notFoundInstances(read, scope));
    for (let done = 0; done < unknown.size; done += 1) onInstanceDone();
    const plans = read.filter((plan) => !unknown.has(plan.instanceId));
    const perInstance = await mapWithConcurrency(plans, INSTANCE_CONCURRENCY, async (plan) => {
      try {
        return (await applyPlans([plan], { eventId: triggerEventId }, deps)).decisions;
      } catch (error) {
        // applyPlans reports what was done before the failure in ConvergeError.summary; other errors carry no summary.
        return error instanceof ConvergeError
          ? recordsOfFailure(error, delivery)
          : [userFacingFailure(failureRecord(plan.instanceId, triggerEventId, error), error)];
      } finally {
        onInstanceDone();
      }
    });
    records.push(...perInstance.flat());
  }
  return { records, notFound };
}
