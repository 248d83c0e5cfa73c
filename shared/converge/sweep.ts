/**
 * The scheduled sweep: converge every instance that is tagged for mirroring, named by one of our sessions, or
 * remembered by the ledger. Catches missed events, manual deletions and ENIs that vanished with their instance.
 */
import { converge, type ConvergeSummary, type ConvergeTrigger } from './converge';
import type { ConvergeDeps } from './ports';

export async function sweepInstanceIds(deps: ConvergeDeps): Promise<string[]> {
  const [tagged, managed, remembered] = await Promise.all([
    deps.ec2.listTaggedInstanceIds(deps.config.tagKey, deps.config.tagValue),
    deps.ec2.listManagedSessions(),
    deps.ledger.listInstanceIds(),
  ]);
  const named = managed.flatMap((session) => (session.instanceId ? [session.instanceId] : []));
  return [...new Set([...tagged, ...named, ...remembered])].sort();
}

export async function sweep(trigger: ConvergeTrigger, deps: ConvergeDeps): Promise<ConvergeSummary> {
  return converge(await sweepInstanceIds(deps), trigger, deps);
}
