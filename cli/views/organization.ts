/** What an organization-wide report says about each (account, Region) it covered: read, or why not. */
import type { Scope } from '../../shared/config/organization';
import type { ScopeProblem, ScopeProblemKind } from '../across-scopes';

export interface ScopeOutcome {
  readonly accountId: string;
  readonly region: string;
  readonly outcome: 'read' | ScopeProblemKind;
  readonly detail?: string;
}

/** In the document's order: the scopes read, and those that could not be, each with its reason. */
export function scopeOutcomes(covered: readonly Scope[], read: readonly Scope[], problems: readonly ScopeProblem[]): ScopeOutcome[] {
  return covered.flatMap((scope): ScopeOutcome[] => {
    if (read.some((done) => done.accountId === scope.accountId && done.region === scope.region)) {
      return [{ accountId: scope.accountId, region: scope.region, outcome: 'read' }];
    }
    const problem = problems.find((candidate) => candidate.accountId === scope.accountId && candidate.region === scope.region);
    return problem === undefined ? [] : [{ ...scope, outcome: problem.kind, detail: problem.detail }];
  });
}

/** How an organization's messages name where an instance was looked for. */
export const EVERY_SCOPE = 'any account and Region covered';
