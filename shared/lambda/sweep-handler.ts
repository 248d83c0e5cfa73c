/** What the sweep function does per invocation: read the Scheduled Event, sweep, log one summary line. */

import { GOVERNANCE_METRICS, recordMilliseconds } from '../converge/governance-metrics';
import type { ConvergeDeps } from '../converge/ports';
import { type SweepContext, type SweepSummary, sweep } from '../converge/sweep';
import { readTrigger } from './handle-trigger';

export async function handleScheduledSweep(event: unknown, deps: ConvergeDeps, context: SweepContext): Promise<SweepSummary> {
  // The schedule's tick is no event anything waited on: timing the sweep's repairs from it would put the sweep's
  // own run time into the event-to-session latency (the dashboard's one series for the service).
  const { eventTime: _tick, ...trigger } = readTrigger(event, deps);
  const started = Date.now();
  const summary = await sweep(trigger, deps, context);
  recordMilliseconds(deps.metrics, GOVERNANCE_METRICS.sweepDurationMs, Date.now() - started);
  const { decisions, ...counts } = summary;
  deps.logger.info('swept', { triggerEventId: trigger.eventId, kind: trigger.kind, ...counts });
  return summary;
}
