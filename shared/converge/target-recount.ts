/**
 * The audit's other direction: a target item must count every ENI that holds a managed slot on it. A source can be
 * missing when a session was learned into a slot and the run died before counting it on its target (or an older
 * version learned sessions without counting them); the ledger would then let the target take one source too many
 * for ever. Each missing source is added back; one added for a slot removed meanwhile is an orphan the other
 * direction of the audit releases later.
 */
import type { ConvergeTrigger } from './converge';
import type { ConvergeDeps } from './ports';
import type { SlotHoldersByTarget, TargetSources } from './sweep-ports';

/** `holders`: every scope's managed slots by target (SlotHolderPort.readManagedSlotHolders). */
export async function restoreUncountedSources(
  trigger: ConvergeTrigger,
  deps: ConvergeDeps,
  holders: SlotHoldersByTarget,
  targets: readonly TargetSources[],
  targetIds: readonly string[],
): Promise<number> {
  let restored = 0;
  for (const targetId of targetIds) {
    const counted = new Set(targets.find((target) => target.targetId === targetId)?.sources ?? []);
    for (const eniId of holders.get(targetId) ?? []) {
      if (counted.has(eniId)) continue;
      if ((await deps.ledger.reserveTargetSource(targetId, eniId, null, 'existing-session')) !== 'reserved') continue;
      restored += 1;
      deps.logger.warn('target source restored', {
        triggerEventId: trigger.eventId,
        targetId,
        eniId,
        detail: `${eniId} holds a slot on ${targetId} that the target did not count`,
      });
    }
  }
  return restored;
}
