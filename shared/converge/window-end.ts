/**
 * Ending mirroring on time: a tick every minute (an EventBridge Scheduler schedule, serverless.yml) finds the
 * instances whose end-time tag falls before the next tick, waits until each end time, and converges them; planning
 * then detaches their sessions with reason mirror-window-ended. So sessions go within seconds of the end time, not
 * at the next sweep. Instances whose window ended a little earlier (a failed tick) are converged at once.
 */
import { dueWindows } from '../domain/mirror-window';
import { type ConvergeSummary, type ConvergeTrigger, converge } from './converge';
import { GOVERNANCE_METRICS, recordCount } from './governance-metrics';
import type { InventoryPort } from './governance-ports';
import type { ConvergeDeps } from './ports';

export interface WindowEndSettings {
  /** How far ahead a tick looks: the schedule's period, so every end time falls in exactly one tick. */
  readonly lookAheadMs: number;
  /** How long after its end a window is still this function's (a retried tick); older ones are the sweep's. */
  readonly graceMs: number;
}

export const WINDOW_END_SETTINGS: WindowEndSettings = { lookAheadMs: 60_000, graceMs: 5 * 60_000 };

export interface WindowEndSummary {
  /** Instances converged because their window ended, in end-time order. */
  readonly instanceIds: readonly string[];
  /** Sessions detached with reason mirror-window-ended. */
  readonly detached: number;
  readonly summaries: readonly ConvergeSummary[];
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function endDueWindows(
  trigger: ConvergeTrigger,
  deps: ConvergeDeps,
  inventory: InventoryPort,
  settings: WindowEndSettings = WINDOW_END_SETTINGS,
  sleep: (ms: number) => Promise<void> = realSleep,
): Promise<WindowEndSummary> {
  const tagKey = deps.config.untilTagKey;
  if (tagKey === undefined) return { instanceIds: [], detached: 0, summaries: [] };
  const due = dueWindows(await inventory.listInstanceTagValues(tagKey), deps.clock.now(), settings.lookAheadMs, settings.graceMs);
  const summaries: ConvergeSummary[] = [];
  for (const endsAt of [...new Set(due.map((window) => window.endsAt.getTime()))]) {
    const wait = endsAt - deps.clock.now().getTime();
    if (wait > 0) await sleep(wait);
    const ids = due.filter((window) => window.endsAt.getTime() === endsAt).map((window) => window.instanceId);
    summaries.push(await converge(ids, trigger, deps));
  }
  const detached = summaries
    .flatMap((summary) => summary.decisions)
    .filter((record) => record.action === 'detach' && record.reason === 'mirror-window-ended').length;
  recordCount(deps.metrics, GOVERNANCE_METRICS.windowsEnded, detached);
  return { instanceIds: due.map((window) => window.instanceId), detached, summaries };
}
