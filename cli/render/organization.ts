import type { ScopeOutcome } from '../views/organization';

/** The end of a report's first line for an organization: how many accounts and Regions it covered and read. */
export function scopesCovered(scopes: readonly ScopeOutcome[] | undefined): string {
  if (scopes === undefined) return '';
  const accounts = new Set(scopes.map((scope) => scope.accountId)).size;
  const regions = new Set(scopes.map((scope) => scope.region)).size;
  const read = scopes.filter((scope) => scope.outcome === 'read').length;
  return ` in ${accounts} account(s) x ${regions} Region(s) of the organization (${read} of ${scopes.length} read)`;
}
