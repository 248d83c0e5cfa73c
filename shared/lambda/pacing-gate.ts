/**
 * The organization's gate between planning a batch and applying it: the batch claims, in one request, the tokens its
 * plans will spend from its account's share (shared/aws/ledger/pacing.ts), and is applied only when the first is due
 * within ADMIT_WITHIN_MS. Otherwise its records go back on their queue until about then (a new message each, so the
 * queue's maxReceiveCount is kept for failures) and the container is free for another account's records.
 *
 * Why: a burst's events reach the one queue clustered by account. Waiting for the tokens inside the invocation held
 * every container asleep on the first account's share while the other accounts' events waited behind them, so the
 * accounts converged one after another instead of in parallel (docs/PERFORMANCE.md, the organization burst).
 * A record deferred MAX_DEFERRALS times is applied, waiting for its tokens like before: deferral is never endless.
 */
import { GOVERNANCE_METRICS, recordScopedCount } from '../converge/governance-metrics';
import { deferralsOf, type RecordDeferral, type ScopedDeps } from '../converge/organization-ports';
import type { ApplyGate } from './batch';

/** A batch whose first token is due within this is applied: its container then waits at most this, plus its own tokens. */
export const ADMIT_WITHIN_MS = 3_000;
export const MAX_DEFERRALS = 10;
/** SQS's largest DelaySeconds. */
const MAX_DELAY_SECONDS = 900;
/** Spreads the deferred batches of one account, so that they do not all come back in the same second. */
const JITTER_MS = 1_000;

export function pacingGate(scoped: ScopedDeps, deferral: RecordDeferral): ApplyGate {
  const { accountId, region } = scoped.scope;
  return async (plans, records) => {
    const mutations = plans.reduce(
      (sum, plan) => sum + plan.decisions.filter((decision) => decision.action === 'attach' || decision.action === 'detach').length,
      0,
    );
    if (mutations === 0 || records.length === 0) return 'apply';
    const deferrals = Math.max(...records.map((record) => deferralsOf(record, 'paced')));
    if (deferrals >= MAX_DEFERRALS) {
      scoped.logger.warn('deferred too often: applying now', { accountId, region, records: records.length, deferrals });
      return 'apply';
    }
    const claim = await scoped.pacing.bucket.claim(mutations, ADMIT_WITHIN_MS);
    if (claim.granted) return 'apply';
    const delaySeconds = Math.min(
      MAX_DELAY_SECONDS,
      Math.max(1, Math.ceil((claim.dueInMs - ADMIT_WITHIN_MS + Math.random() * JITTER_MS) / 1000)),
    );
    let deferred: ReadonlySet<string>;
    try {
      deferred = await deferral.defer(records, delaySeconds, 'paced');
    } catch (error) {
      scoped.logger.warn('deferral failed: applying now', { accountId, region, records: records.length, error: error as Error });
      return 'apply';
    }
    if (deferred.size < records.length) {
      // The copies that were sent converge to nothing new when they come back.
      scoped.logger.warn('deferral partly failed: applying now', { accountId, region, records: records.length, deferred: deferred.size });
      return 'apply';
    }
    scoped.logger.info('records deferred', {
      accountId,
      region,
      reason: 'account-budget-busy',
      records: records.length,
      mutations,
      dueInMs: Math.round(claim.dueInMs),
      delaySeconds,
      deferrals: deferrals + 1,
      messageIds: records.map((record) => record.messageId),
    });
    recordScopedCount(scoped.metrics, GOVERNANCE_METRICS.recordsDeferred, { AccountId: accountId, Region: region }, records.length);
    return 'deferred';
  };
}
