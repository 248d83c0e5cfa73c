/**
 * The window-end tick of an organization: each (account, Region) of the document looks for the windows ending
 * before the next tick in its own account (the scope's EC2 client: the spoke role, or the hub's own credentials)
 * and ends them there, every scope at once, each waiting for its own end times. A tick whose payload names a scope
 * (`{ "accountId": "...", "region": "..." }`, e.g. a schedule of its own or a manual invocation) acts in that scope
 * only. A denied scope is reported (spoke-access.ts); another failure is logged and the other scopes go on: what a
 * scope misses, its next tick (within the 5-minute grace) or its sweep ends.
 */
import { type Scope, scopeKey, scopeOf } from '../config/organization';
import type { ConvergeTrigger } from '../converge/converge';
import { endDueWindows } from '../converge/window-end';
import type { OrganizationHandlerDeps } from './organization-batch';
import { reportSpokeAccessDenied } from './spoke-access';

export interface ScopeWindowEnd {
  readonly accountId: string;
  readonly region: string;
  readonly outcome: 'ended' | 'access-denied' | 'failed' | 'not-in-document';
  readonly instanceIds: readonly string[];
  readonly detached: number;
}

/** The scope a tick's payload names, or undefined: a plain tick, for every scope of the document. */
export function scopeOfPayload(payload: unknown): Scope | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const { accountId, region } = payload as { accountId?: unknown; region?: unknown };
  if (accountId === undefined && region === undefined) return undefined;
  const scope = scopeOf(accountId, region);
  if (scope === undefined) {
    throw new Error(`the tick's payload names no valid scope: accountId ${JSON.stringify(accountId)}, region ${JSON.stringify(region)}`);
  }
  return scope;
}

export async function endOrganizationWindows(
  payload: unknown,
  trigger: ConvergeTrigger,
  deps: OrganizationHandlerDeps,
): Promise<readonly ScopeWindowEnd[]> {
  const named = scopeOfPayload(payload);
  const scopes = named !== undefined ? [named] : await deps.organization.scopes();
  const results = await Promise.all(scopes.map((scope) => endScopeWindows(scope, trigger, deps)));
  deps.logger.info('windows ended', {
    triggerEventId: trigger.eventId,
    scopes: results.length,
    instances: results.reduce((sum, result) => sum + result.instanceIds.length, 0),
    detached: results.reduce((sum, result) => sum + result.detached, 0),
    denied: results.filter((result) => result.outcome === 'access-denied').map((result) => scopeKey(result)),
    failed: results.filter((result) => result.outcome === 'failed').map((result) => scopeKey(result)),
  });
  return results;
}

async function endScopeWindows(scope: Scope, trigger: ConvergeTrigger, deps: OrganizationHandlerDeps): Promise<ScopeWindowEnd> {
  const nothing = { ...scope, instanceIds: [], detached: 0 };
  const scoped = await deps.organization.depsFor(scope);
  if (scoped === undefined) {
    deps.logger.warn('scope not mirrored by the organization document', { ...scope, triggerEventId: trigger.eventId });
    return { ...nothing, outcome: 'not-in-document' };
  }
  try {
    const { instanceIds, detached } = await endDueWindows(trigger, scoped, scoped.unmanaged.inventory);
    return { ...scope, outcome: 'ended', instanceIds, detached };
  } catch (error) {
    if (deps.organization.isAccessDenied(error)) {
      await reportSpokeAccessDenied(scoped, error, [], trigger.eventId);
      return { ...nothing, outcome: 'access-denied' };
    }
    scoped.logger.error('windows not ended', { ...scope, triggerEventId: trigger.eventId, error: error as Error });
    return { ...nothing, outcome: 'failed' };
  }
}
