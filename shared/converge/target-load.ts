/**
 * Each configured target's load against its source limit, from the ledger and EC2's description. The sweep logs it
 * once per run (`target load` lines, read by the dashboard) and mirrorctl report shows it.
 */
import { configuredTargetIds } from '../config/config';
import type { TargetFacts, TargetKind } from '../domain/types';
import type { ConvergeTrigger } from './converge';
import type { ConvergeDeps } from './ports';

export interface TargetLoad {
  readonly targetId: string;
  /** undefined: EC2 does not know the target (deleted, or not shared with this account). */
  readonly kind?: TargetKind;
  /** Sources the ledger counts; a load balancer target's as the sweep last counted them (attaches do not). */
  readonly sources: number;
  /** null: no limit (load balancers); undefined: the target could not be described. */
  readonly sourceLimit?: number | null;
}

/** `described`: the targets as EC2 describes them, when the caller has them already. */
export async function readTargetLoads(deps: ConvergeDeps, described?: readonly TargetFacts[]): Promise<TargetLoad[]> {
  const targetIds = configuredTargetIds(deps.config);
  const [targets, loads] = await Promise.all([described ?? deps.ec2.describeTargets(targetIds), deps.ledger.readTargetLoads(targetIds)]);
  return targetIds.map((targetId): TargetLoad => {
    const target = targets.find((candidate) => candidate.targetId === targetId);
    const sources = loads.get(targetId) ?? 0;
    return target === undefined ? { targetId, sources } : { targetId, kind: target.kind, sources, sourceLimit: target.sourceLimit };
  });
}

export async function logTargetLoads(
  trigger: ConvergeTrigger,
  deps: ConvergeDeps,
  described?: readonly TargetFacts[],
): Promise<TargetLoad[]> {
  const loads = await readTargetLoads(deps, described);
  for (const load of loads) {
    deps.logger.info('target load', {
      triggerEventId: trigger.eventId,
      ...load,
      sourceLimit: load.sourceLimit === undefined ? 'unknown' : (load.sourceLimit ?? 'unlimited'),
    });
  }
  return loads;
}
