/**
 * Runs a command's work in each (account, Region) it covers, one after the other. For a single-account deployment
 * there is one scope and errors end the command as they always did. With an organization, a scope the hub may not
 * enter (spoke role missing, untrusted or denied) or that fails is a problem naming its account and Region, and the
 * other scopes still run.
 */
import type { Scope } from '../shared/config/organization';
import { ExitCode } from './exit-codes';
import { describeFailure } from './failures';
import type { CliSession, ScopeSession } from './session';

export type ScopeProblemKind = 'spoke-access-denied' | 'scope-failed';

/** A scope whose rows are missing from the report, and why. */
export interface ScopeProblem {
  readonly accountId: string;
  readonly region: string;
  readonly kind: ScopeProblemKind;
  readonly detail: string;
  /** 3 for access (fix the spoke role), else what the failure deserves (1 for AWS out of reach). */
  readonly exitCode: ExitCode;
}

/** Where a row is: the account and Region, for an organization; nothing for a single account. */
export interface ScopeFields {
  readonly accountId?: string;
  readonly region?: string;
}

export function scopeFieldsOf(scope: Scope | undefined): ScopeFields {
  return scope === undefined ? {} : { accountId: scope.accountId, region: scope.region };
}

export interface AcrossScopes<T> {
  readonly results: ReadonlyArray<{ readonly scoped: ScopeSession; readonly value: T }>;
  readonly problems: readonly ScopeProblem[];
}

export async function acrossScopes<T>(session: CliSession, work: (scoped: ScopeSession) => Promise<T>): Promise<AcrossScopes<T>> {
  const results: Array<{ scoped: ScopeSession; value: T }> = [];
  const problems: ScopeProblem[] = [];
  for (const entry of session.scopes) {
    const { organization } = session;
    if (organization === undefined || entry.scope === undefined) {
      const scoped = await entry.open();
      if (scoped !== undefined) results.push({ scoped, value: await work(scoped) });
      continue;
    }
    const { accountId, region } = entry.scope;
    try {
      const scoped = await entry.open();
      if (scoped !== undefined) results.push({ scoped, value: await work(scoped) });
    } catch (error) {
      if (organization.isAccessDenied(error)) {
        const detail = error instanceof Error ? error.message : String(error);
        problems.push({ accountId, region, kind: 'spoke-access-denied', detail, exitCode: ExitCode.configuration });
        continue;
      }
      const failure = describeFailure(error, { region, ...(process.env.AWS_PROFILE ? { profile: process.env.AWS_PROFILE } : {}) });
      problems.push({ accountId, region, kind: 'scope-failed', detail: failure.message, exitCode: failure.exitCode });
    }
  }
  return { results, problems };
}

export function scopeProblemsExitCode(problems: readonly ScopeProblem[]): ExitCode {
  if (problems.some((problem) => problem.exitCode === ExitCode.configuration)) return ExitCode.configuration;
  return problems.length > 0 ? ExitCode.findings : ExitCode.ok;
}
