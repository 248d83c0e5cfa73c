/**
 * reconcile = the Lambdas' converge (readAndPlan, then applyPlans), fed in slices so a large fleet shows progress and
 * a failing instance is reported on its own line instead of hiding the others' results.
 */
import { applyPlans, ConvergeError, failureRecord, INSTANCE_CONCURRENCY, readAndPlan, type ConvergeDeps, type DecisionRecord } from '../shared/converge';
import { mapWithConcurrency } from '../shared/util/concurrency';

/** Instances read per batch: large enough to keep DescribeInstances batched, small enough for a moving progress bar. */
const READ_BATCH = 50;

/**
 * Converges every instance; returns every decision record, failures included as 'fail' records. Throws only when a
 * read fails (EC2 or the ledger unreachable, no credentials): then nothing of that batch was changed.
 */
export async function reconcileInstances(
  instanceIds: readonly string[],
  triggerEventId: string,
  deps: ConvergeDeps,
  onInstanceDone: () => void,
): Promise<DecisionRecord[]> {
  const records: DecisionRecord[] = [];
  for (let start = 0; start < instanceIds.length; start += READ_BATCH) {
    const plans = await readAndPlan(instanceIds.slice(start, start + READ_BATCH), deps);
    const perInstance = await mapWithConcurrency(plans, INSTANCE_CONCURRENCY, async (plan) => {
      try {
        return (await applyPlans([plan], { eventId: triggerEventId }, deps)).decisions;
      } catch (error) {
        // applyPlans reports what was done before the failure in ConvergeError.summary; other errors carry no summary.
        return error instanceof ConvergeError ? error.summary.decisions : [failureRecord(plan.instanceId, triggerEventId, error)];
      } finally {
        onInstanceDone();
      }
    });
    records.push(...perInstance.flat());
  }
  return records;
}
