/**
 * The scheduled sweep of an organization: every (account, Region) of the document, one after the other, each with
 * its own cursor (the ledger's per-scope keys) and a fair share of the run: of the time left, the scopes still to
 * visit get equal slices (time a scope does not use goes to those after it), and each may converge at most its share
 * of SWEEP_MAX_INSTANCES. The first scope changes from run to run (by the scheduled event's id), so no scope is
 * always the one left with the least. A denied scope is reported (spoke-access.ts) and skipped; any other failure
 * of a scope is logged and the next scope is swept.
 */
import { createHash } from 'node:crypto';
import { type Scope, scopeKey } from '../config/organization';
import type { SweepSettings } from '../config/sweep-settings';
import type { ScopedDeps } from '../converge/organization-ports';
import type { SweepSummary } from '../converge/sweep';
import { TokenBucket } from '../util/token-bucket';
import type { OrganizationHandlerDeps } from './organization-batch';
import { eventIdOf, reportSpokeAccessDenied } from './spoke-access';
import { handleScheduledSweep } from './sweep-handler';

export interface OrganizationSweepContext {
  readonly settings: SweepSettings;
  readonly remainingTimeMs: () => number;
  /** The sweep's own pacing per scope, kept by the container between runs (on top of the hub's per-account share). */
  readonly buckets: Map<string, TokenBucket>;
}

export interface ScopeSweep {
  readonly accountId: string;
  readonly region: string;
  readonly outcome: 'swept' | 'access-denied' | 'failed' | 'not-reached';
  readonly summary?: Omit<SweepSummary, 'decisions'>;
}

export interface OrganizationSweepSummary {
  readonly scopes: readonly ScopeSweep[];
}

/** Where this run starts in the list of scopes: spread over the runs by the scheduled event's id. */
export function firstScopeIndex(eventId: string, scopes: number): number {
  if (scopes === 0) return 0;
  return createHash('sha1').update(eventId).digest().readUInt32BE(0) % scopes;
}

export async function sweepOrganization(
  event: unknown,
  deps: OrganizationHandlerDeps,
  context: OrganizationSweepContext,
): Promise<OrganizationSweepSummary> {
  const all = await deps.organization.scopes();
  const first = firstScopeIndex(eventIdOf(event), all.length);
  const ordered = [...all.slice(first), ...all.slice(0, first)];
  const reserve = context.settings.timeReserveMs;
  const perScope = { ...context.settings, maxInstancesPerRun: Math.ceil(context.settings.maxInstancesPerRun / Math.max(1, all.length)) };
  const results: ScopeSweep[] = [];

  for (const [index, scope] of ordered.entries()) {
    const leftAtStart = context.remainingTimeMs();
    if (index > 0 && leftAtStart < reserve) {
      results.push({ ...scope, outcome: 'not-reached' });
      continue;
    }
    const scoped = await deps.organization.depsFor(scope);
    if (scoped === undefined) continue;
    // The scope's slice: it sees its own time running out when it has used (time left) / (scopes left).
    const slice = (leftAtStart - reserve) / (ordered.length - index);
    const remainingTimeMs = () => context.remainingTimeMs() - (leftAtStart - slice) + reserve;
    results.push(await sweepScope(event, scope, scoped, { ...context, settings: perScope, remainingTimeMs }, deps));
  }
  deps.logger.info('swept organization', {
    triggerEventId: eventIdOf(event),
    scopes: results.length,
    denied: results.filter((result) => result.outcome === 'access-denied').map((result) => scopeKey(result)),
    failed: results.filter((result) => result.outcome === 'failed').map((result) => scopeKey(result)),
    notReached: results.filter((result) => result.outcome === 'not-reached').map((result) => scopeKey(result)),
  });
  return { scopes: results };
}

async function sweepScope(
  event: unknown,
  scope: Scope,
  scoped: ScopedDeps,
  context: OrganizationSweepContext,
  deps: OrganizationHandlerDeps,
): Promise<ScopeSweep> {
  const key = scopeKey(scope);
  let bucket = context.buckets.get(key);
  if (bucket === undefined) {
    bucket = new TokenBucket({ capacity: context.settings.mutationBurst, refillPerSecond: context.settings.mutationsPerSecond });
    context.buckets.set(key, bucket);
  }
  try {
    const { decisions, ...summary } = await handleScheduledSweep(event, scoped, {
      ledger: scoped.sweepLedger,
      settings: context.settings,
      bucket,
      unmanaged: scoped.unmanaged,
      targetOwnerView: scoped.targetOwnerView,
      remainingTimeMs: context.remainingTimeMs,
    });
    return { ...scope, outcome: 'swept', summary };
  } catch (error) {
    if (deps.organization.isAccessDenied(error)) {
      await reportSpokeAccessDenied(scoped, error, [], eventIdOf(event));
      return { ...scope, outcome: 'access-denied' };
    }
    scoped.logger.error('scope not swept', { accountId: scope.accountId, region: scope.region, error: error as Error });
    return { ...scope, outcome: 'failed' };
  }
}
