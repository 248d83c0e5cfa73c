/**
 * What `reconcile` cannot fix: configuration problems (a target or filter that does not exist or cannot be used) and
 * instances named with --instance that nobody knows. Both plan and status report them, with exit code 3.
 */
import type { InstancePlan } from '../../shared/converge';
import type { ScopeFields, ScopeProblem } from '../across-scopes';
import { scopeProblemsExitCode } from '../across-scopes';
import type { ConfigurationProblem } from '../checks/configuration';
import { ExitCode } from '../exit-codes';
import type { Scope } from '../scope';

export interface Findings {
  /** Where the ids were looked for. */
  readonly region: string;
  /** With an organization, each names the account and Region it was found in. */
  readonly configuration: ReadonlyArray<ConfigurationProblem & ScopeFields>;
  /** Named instances EC2 does not know and nothing (ledger, session) remembers (in any scope, for an organization). */
  readonly notFound: readonly string[];
  /** Organization: the accounts and Regions that could not be read (spoke role missing or denied), so not shown. */
  readonly scopes?: readonly ScopeProblem[];
}

/** A named instance is "not found" when EC2 does not know it and converge would have nothing at all to do for it. */
export function notFoundInstances(plans: readonly InstancePlan[], scope: Scope): string[] {
  if (scope.source !== 'instances') return [];
  return plans.filter(knowsNothingOf).map((plan) => plan.instanceId);
}

/** EC2 does not know the instance here, and neither the ledger nor a session of ours gives converge anything to do. */
export function knowsNothingOf(plan: InstancePlan): boolean {
  return (
    plan.input.instance === undefined &&
    plan.staleSlots.length === 0 &&
    plan.unrecordedSessions.length === 0 &&
    plan.decisions.every((decision) => decision.action === 'skip')
  );
}

export function findingsExitCode(findings: Findings): ExitCode {
  if (findings.configuration.length > 0 || findings.notFound.length > 0) return ExitCode.configuration;
  return scopeProblemsExitCode(findings.scopes ?? []);
}

/** What every scope found, as one: a named instance is "not found" only when no scope that was read knows it. */
export function mergeFindings(each: readonly Findings[], problems: readonly ScopeProblem[], where: string): Findings {
  const [first, ...rest] = each;
  const notFound = (first?.notFound ?? []).filter((instanceId) => rest.every((findings) => findings.notFound.includes(instanceId)));
  return { region: where, configuration: each.flatMap((findings) => findings.configuration), notFound, scopes: problems };
}
