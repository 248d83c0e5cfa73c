/**
 * A run's last decisions: "action:reason" by ENI id ('-': the instance), kept in the ledger per instance. The next
 * run writes its own only when they differ, and history only for a decision that changed: history grows with
 * changes, not with runs.
 */
export type LastDecisions = Readonly<Record<string, string>>;

/**
 * The last decision recorded for an ENI the run attached: what the next converge decides for it, so that the
 * second event of a launch, converged after the first, finds nothing changed and writes nothing.
 */
export const MIRRORED = 'keep:already-mirrored';

/**
 * The reason the instance is left with no session, when every decision says so for one reason: a detach of its
 * sessions for it, or a skip of the instance (or an ENI) for it. A stop's first run detaches (`detach:not-running`
 * on each ENI); the next finds nothing left (`skip:not-running` on the instance): the same state, not a change.
 */
function unmirroredBecause(decisions: LastDecisions): string | undefined {
  const reasons = new Set(
    Object.values(decisions).map((decision) => {
      const [action, reason] = decision.split(':');
      return action === 'detach' || action === 'skip' ? reason : undefined;
    }),
  );
  const [reason, ...others] = [...reasons];
  return others.length === 0 ? reason : undefined;
}

export function sameDecisions(a: LastDecisions, b: LastDecisions): boolean {
  const entries = (record: LastDecisions) => JSON.stringify(Object.entries(record).sort(([x], [y]) => x.localeCompare(y)));
  if (entries(a) === entries(b)) return true;
  const reason = unmirroredBecause(a);
  return reason !== undefined && reason === unmirroredBecause(b);
}

/**
 * Whether a skip or refusal (keyed by its ENI, '-' for the instance) repeats what the last decisions already say:
 * the same decision, or, for the instance's skip, the detaches that left it with no session for the same reason.
 */
export function repeatsLastDecision(last: LastDecisions, key: string, action: string, reason: string): boolean {
  if (action !== 'skip' && action !== 'refuse') return false;
  if (last[key] === `${action}:${reason}`) return true;
  return action === 'skip' && key === '-' && unmirroredBecause(last) === reason;
}
