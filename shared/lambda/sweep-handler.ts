/** What the sweep function does per invocation: read the Scheduled Event, sweep, log one summary line. */
import { readTrigger } from './handle-trigger';
import { sweep, type SweepContext, type SweepSummary } from '../converge/sweep';
import type { ConvergeDeps } from '../converge/ports';

export async function handleScheduledSweep(event: unknown, deps: ConvergeDeps, context: SweepContext): Promise<SweepSummary> {
  const trigger = readTrigger(event, deps);
  const summary = await sweep(trigger, deps, context);
  const { decisions, ...counts } = summary;
  deps.logger.info('swept', { triggerEventId: trigger.eventId, kind: trigger.kind, ...counts });
  return summary;
}
