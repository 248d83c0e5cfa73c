/**
 * What `reconcile` cannot fix: configuration problems (a target or filter that does not exist or cannot be used) and
 * instances named with --instance that nobody knows. Both plan and status report them, with exit code 3.
 */
import type { InstancePlan } from '../../shared/converge';
import type { ConfigurationProblem } from '../checks/configuration';
import { ExitCode } from '../exit-codes';
import type { Scope } from '../scope';

export interface Findings {
  /** Where the ids were looked for. */
  readonly region: string;
  readonly configuration: readonly ConfigurationProblem[];
  /** Named instances EC2 does not know and nothing (ledger, session) remembers. */
  readonly notFound: readonly string[];
}

/** A named instance is "not found" when EC2 does not know it and converge would have nothing at all to do for it. */
export function notFoundInstances(plans: readonly InstancePlan[], scope: Scope): string[] {
  if (scope.source !== 'instances') return [];
  return plans
    .filter(
      (plan) =>
        plan.input.instance === undefined &&
        plan.staleSlots.length === 0 &&
        plan.unrecordedSessions.length === 0 &&
        plan.decisions.every((decision) => decision.action === 'skip'),
    )
    .map((plan) => plan.instanceId);
}

export function findingsExitCode(findings: Findings): ExitCode {
  return findings.configuration.length > 0 || findings.notFound.length > 0 ? ExitCode.configuration : ExitCode.ok;
}
