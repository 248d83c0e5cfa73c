/**
 * The part every command shares when it runs across an organization: each scope's own instance listing, the named
 * instances a scope does not know left to the scope that does, and the scopes that could not be read.
 */

import type { Scope as AccountRegion } from '../../shared/config/organization';
import type { InstancePlan } from '../../shared/converge';
import type { AcrossScopes } from '../across-scopes';
import type { Scope } from '../scope';
import type { CliSession } from '../session';
import { type Findings, knowsNothingOf, mergeFindings } from '../views/findings';
import { EVERY_SCOPE, type ScopeOutcome, scopeOutcomes } from '../views/organization';

/**
 * With an organization, an instance lives in one scope: the others do not know it, and their "gone" plan for it
 * would be noise. That happens to instances named with --instance, and in the sweep's listing of the account that
 * owns shared targets, which sees the members' sessions on them (AWS shows sessions to the target's owner). A single
 * account keeps every plan (the not-found finding says the rest).
 */
export function plansOfThisScope(session: CliSession, plans: readonly InstancePlan[]): InstancePlan[] {
  if (session.organization === undefined) return [...plans];
  return plans.filter((plan) => !knowsNothingOf(plan));
}

/** The instances the whole command covered: what was named, or every scope's sweep listing together. */
export function coveredInstances(named: readonly string[], scopes: readonly Scope[]): Scope {
  if (named.length > 0) return { source: 'instances', instanceIds: [...named] };
  return { source: 'sweep', instanceIds: scopes.flatMap((scope) => scope.instanceIds) };
}

/** Each scope covered, read or why not (organization only). */
export function outcomesOf<T>(session: CliSession, done: AcrossScopes<T>): ScopeOutcome[] {
  const covered = session.scopes.flatMap((entry) => (entry.scope === undefined ? [] : [entry.scope]));
  const read = done.results.flatMap((result): AccountRegion[] => (result.scoped.scope === undefined ? [] : [result.scoped.scope]));
  return scopeOutcomes(covered, read, done.problems);
}

/**
 * The command's one report: a single account's own, or every scope's combined (`combine`: the command's view) with
 * the instances they covered, their findings and the scopes that could not be read.
 */
export function reportOfRun<R extends { readonly findings: Findings }>(
  session: CliSession,
  named: readonly string[],
  done: AcrossScopes<{ readonly scope: Scope; readonly report: R }>,
  combine: (reports: readonly R[], scope: Scope, findings: Findings, scopes: readonly ScopeOutcome[]) => R,
): R {
  const [single] = done.results;
  if (session.organization === undefined && single !== undefined) return single.value.report;
  return combine(
    done.results.map((result) => result.value.report),
    coveredInstances(
      named,
      done.results.map((result) => result.value.scope),
    ),
    mergeFindings(
      done.results.map((result) => result.value.report.findings),
      done.problems,
      EVERY_SCOPE,
    ),
    outcomesOf(session, done),
  );
}
