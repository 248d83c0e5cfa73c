/**
 * The scheduled sweep: converge every instance that is tagged for mirroring, named by one of our sessions, holding
 * the ENI of one of our sessions, or remembered by the ledger; then detach our sessions on ENIs that EC2 shows
 * detached (orphan-sessions.ts): by session as well as by instance, whatever the ledger remembers. Catches missed events, manual deletions, ENIs that vanished with their instance,
 * reservations a crash left behind (read-and-plan resolves them after SLOT_GRACE_MS: session exists -> active,
 * else released with its target source), and target sources no slot accounts for (the audit below).
 *
 * Bounded: at most `maxInstancesPerRun` instances per run, in steps of `batchSize`, and no step starts when less
 * than `timeReserveMs` of the Lambda timeout is left (the first step always runs). Order: instances to clean up first
 * (named by our sessions but no longer tagged: they bill for nothing, and drop out once cleaned), then every other
 * tracked instance, tagged or only remembered by the ledger (hand-made sessions), round-robin from a cursor kept in
 * the ledger and saved after every step: each is visited within ceil(tracked / per-run budget) runs whatever its
 * kind, and a run cut short still moves the cursor. Paced: our mutating EC2 calls go through a token bucket,
 * leaving EC2's per-account budget to the event handlers.
 */

import { configuredTargetIds } from '../config/config';
import { DEFAULT_SWEEP_SETTINGS, type SweepSettings } from '../config/sweep-settings';
import { coverageOf } from '../domain/coverage';
import { PermanentError } from '../domain/errors';
import { ACCOUNT_SESSION_QUOTA } from '../domain/mirroring-limits';
import type { SessionFacts, TargetFacts } from '../domain/types';
import { type Pacer, TokenBucket } from '../util/token-bucket';
import {
  applyPlans,
  ConvergeError,
  type ConvergeSummary,
  type ConvergeTrigger,
  converge,
  type DecisionRecord,
  type RunWide,
} from './converge';
import { GOVERNANCE_METRICS, recordCount, recordPercent } from './governance-metrics';
import { findSessionOwners, planOrphanDetaches } from './orphan-sessions';
import { flushOutbox, SWEEP_FLUSH_LIMIT } from './outbox';
import type { ConvergeDeps, Ec2Port } from './ports';
import { SLOT_GRACE_MS } from './read-and-plan';
import type { SlotHoldersByTarget, SweepLedgerPort, TargetSources } from './sweep-ports';
import { logTargetLoads } from './target-load';
import { restoreUncountedSources } from './target-recount';
import { type UnmanagedWatch, watchUnmanagedSessions } from './unmanaged-sessions';

export interface SweepScope {
  /** Instances carrying the opt-in tag (any state). */
  readonly tagged: readonly string[];
  /** Named by our sessions (or holding the ENI of one), and not tagged: mirroring must end there, first. */
  readonly cleanup: readonly string[];
  /** Remembered by the ledger only (not tagged, no session of ours): visited in turn with the tagged ones. */
  readonly remembered: readonly string[];
}

export interface SweepContext {
  /** Cursor and target audit; without it every run starts from the beginning and the audit is skipped. */
  readonly ledger?: SweepLedgerPort;
  readonly settings?: SweepSettings;
  /** Pacing of our mutating calls; one per container, so back-to-back runs share it. */
  readonly bucket?: TokenBucket;
  /** Time left before the Lambda timeout (context.getRemainingTimeInMillis). */
  readonly remainingTimeMs?: () => number;
  /** Inventory of sessions not ours, and where announcements are remembered; without it they are not watched. */
  readonly unmanaged?: UnmanagedWatch;
  /**
   * The shared targets' owner's view of sessions (an organization's hub: its own account in the scope's Region,
   * which sees every account's sessions on the targets it shares). The target audit keeps a source either view
   * shows a session for. Absent: the scope's own view only (one account owns its targets and sessions).
   */
  readonly targetOwnerView?: Pick<Ec2Port, 'describeSessionsOnInterfaces'>;
  /**
   * The account's session quota (default AWS's, which no quota request raises): a run that finds the account holding
   * this many sessions refuses its attaches without a create. A local world whose simulator lowers it passes its own.
   */
  readonly accountSessionQuota?: number;
}

export interface SweepSummary extends ConvergeSummary {
  /** Instances in scope this run (tagged + cleanup). */
  readonly listed: number;
  readonly converged: number;
  /** In scope but left for the next run (per-run bound or time reserve). */
  readonly deferred: number;
  readonly targetSourcesReleased: number;
  /** Outcome events earlier runs could not send, sent by this run. */
  readonly outboxFlushed: number;
  readonly mutations: number;
  /** Total time our mutating calls waited for the token bucket. */
  readonly pacedMs: number;
  /** Unknown unmanaged sessions seen, and announced by this run (absent when not watched). */
  readonly unmanagedSessions?: number;
  readonly unmanagedAnnounced?: number;
}

interface SweepReading {
  readonly scope: SweepScope;
  /** Every session the account holds, ours or not. */
  readonly accountSessions: number;
  /** Our sessions on ENIs EC2 shows detached: no instance explains them. */
  readonly orphans: readonly SessionFacts[];
  /** Sessions not ours, from the same read of the account's sessions: what the unmanaged watch looks at. */
  readonly notOurs: readonly SessionFacts[];
}

async function readSweepScope(deps: ConvergeDeps): Promise<SweepReading> {
  const [tagged, sessions, remembered] = await Promise.all([
    deps.ec2.listTaggedInstanceIds(deps.config.tagKey, deps.config.tagValue),
    deps.ec2.listAccountSessions(),
    deps.ledger.listInstanceIds(),
  ]);
  const managed = sessions.filter((session) => session.managed);
  const { holders, orphans } = await findSessionOwners(deps.ec2, managed);
  const taggedSet = new Set(tagged);
  const named = managed.flatMap((session) => (session.instanceId ? [session.instanceId] : []));
  const cleanup = new Set([...named, ...holders].filter((id) => !taggedSet.has(id)));
  return {
    scope: {
      tagged: [...taggedSet].sort(),
      cleanup: [...cleanup].sort(),
      remembered: [...new Set(remembered)].filter((id) => !taggedSet.has(id) && !cleanup.has(id)).sort(),
    },
    accountSessions: sessions.length,
    orphans,
    notOurs: sessions.filter((session) => !session.managed),
  };
}

/** Every instance the sweep looks at (the CLI's default scope). */
export async function sweepInstanceIds(deps: ConvergeDeps): Promise<string[]> {
  const { scope } = await readSweepScope(deps);
  return [...scope.tagged, ...scope.cleanup, ...scope.remembered].sort();
}

/** The instances visited in turn (tagged and remembered), in cursor order. */
export function rotation(scope: SweepScope): string[] {
  return [...scope.tagged, ...scope.remembered].sort();
}

/** Cleanup first, then the rotation (tagged and remembered) starting after `cursor` and wrapping around. */
export function orderForRun(scope: SweepScope, cursor: string | undefined): string[] {
  const turn = rotation(scope);
  const start = cursor === undefined ? 0 : turn.findIndex((id) => id > cursor);
  const from = start < 0 ? 0 : start;
  return [...scope.cleanup, ...turn.slice(from), ...turn.slice(0, from)];
}

/** The same port with createSession/deleteSession held back by the bucket. */
export function pacedEc2(ec2: Ec2Port, bucket: Pacer): Ec2Port {
  return {
    ...ec2,
    createSession: async (request) => {
      await bucket.take();
      return ec2.createSession(request);
    },
    deleteSession: async (sessionId) => {
      await bucket.take();
      return ec2.deleteSession(sessionId);
    },
  };
}

function emptySummary(): ConvergeSummary {
  return { attached: 0, detached: 0, refused: 0, skipped: 0, kept: 0, failed: 0, decisions: [] };
}

function add(a: ConvergeSummary, b: ConvergeSummary): ConvergeSummary {
  return {
    attached: a.attached + b.attached,
    detached: a.detached + b.detached,
    refused: a.refused + b.refused,
    skipped: a.skipped + b.skipped,
    kept: a.kept + b.kept,
    failed: a.failed + b.failed,
    decisions: [...a.decisions, ...b.decisions],
  };
}

/**
 * Target sources that neither a ledger slot nor an EC2 session to that target accounts for, taken longer than
 * SLOT_GRACE_MS ago (an attach between its two reservations is never older than that: the handlers time out after
 * 60 s). Each source is judged by its own reservation time, so a busy target, whose item never stays untouched for
 * that long, still gets back a source a crashed attach left; a source an older version took has no time of its own
 * and is judged by the item's. Released with a condition on the source not having been taken again since it was
 * read. The targets audited are the configured ones and those a sweep counted before they left the pool, until they
 * count none.
 */
async function auditTargetSources(
  trigger: ConvergeTrigger,
  deps: ConvergeDeps,
  ledger: SweepLedgerPort,
  targetOwnerView: SweepContext['targetOwnerView'],
  described: readonly TargetFacts[],
): Promise<DecisionRecord[]> {
  const configured = configuredTargetIds(deps.config);
  const countedBefore = await ledger.countedTargets.read();
  // Taken out of the pool since a sweep counted them: audited until the ledger counts nothing on them.
  const retired = countedBefore.filter((targetId) => !configured.includes(targetId));
  const targetIds = [...configured, ...retired];
  const now = deps.clock.now().getTime();
  const released: DecisionRecord[] = [];
  const all = await ledger.readTargetSources(targetIds);
  const retiredItems = all.filter((target) => retired.includes(target.targetId));
  // A retired target is not described: a load balancer's item is the one with a count and no list of sources.
  const loadBalancers = new Set([
    ...described.flatMap((target) => (target.sourceLimit === null ? [target.targetId] : [])),
    ...retiredItems.flatMap((target) => (target.sources.length === 0 ? [target.targetId] : [])),
  ]);
  // Every scope's slots: a shared target's sources are ENIs of every account (one scan serves both directions).
  const holders = await ledger.readManagedSlotHolders();
  await countLoadBalancerTargets(ledger, loadBalancers, all, holders);
  const targets = all.filter((target) => !loadBalancers.has(target.targetId));
  const limited = targetIds.filter((targetId) => !loadBalancers.has(targetId));
  await restoreUncountedSources(trigger, deps, holders, targets, limited);
  for (const target of targets) {
    const held = new Set(holders.get(target.targetId) ?? []);
    // Each source by its own age: one taken within the grace may be an attach between its two reservations.
    const sinceOf = (eniId: string) => target.sourceSince.get(eniId) ?? target.updatedAt;
    const unaccounted = target.sources.filter((eniId) => !held.has(eniId) && now - Date.parse(sinceOf(eniId)) > SLOT_GRACE_MS);
    if (unaccounted.length === 0) continue;
    // Two reads that do not depend on each other, and neither is paced: together.
    const [own, owners] = await Promise.all([
      deps.ec2.describeSessionsOnInterfaces(unaccounted),
      targetOwnerView ? targetOwnerView.describeSessionsOnInterfaces(unaccounted) : [],
    ]);
    const sessions = [...own, ...owners];
    const orphans = unaccounted.filter((eniId) => !sessions.some((s) => s.eniId === eniId && s.targetId === target.targetId));
    const eniLedgers = await deps.ledger.readEniLedgers(orphans);
    let itemUpdatedAt: string | undefined = target.updatedAt;
    for (const eniId of orphans) {
      const since = target.sourceSince.get(eniId);
      const seen = since !== undefined ? { since } : itemUpdatedAt !== undefined ? { itemUpdatedAt } : undefined;
      if (seen === undefined) continue;
      // A source without its own time (an older item) is judged by the item's: chained on our own writes, and
      // ended by anyone else's.
      const releasedAt = await ledger.releaseSourceIfUnchanged(target.targetId, eniId, seen);
      itemUpdatedAt = releasedAt;
      if (releasedAt === undefined) continue;
      const record: DecisionRecord = {
        action: 'release',
        instanceId: eniLedgers.get(eniId)?.instanceId ?? 'unknown',
        eniId,
        targetId: target.targetId,
        reason: 'target-source-orphaned',
        detail: `${eniId} was counted against ${target.targetId} with no slot and no session: released`,
        triggerEventId: trigger.eventId,
      };
      deps.logger.info('decision', { ...record });
      released.push(record);
    }
  }
  // Written when it changes only; a retired target is dropped once a sweep finds nothing counted on it.
  const stillCounted = retiredItems.flatMap((target) => (target.sourceCount > 0 || target.sources.length > 0 ? [target.targetId] : []));
  const counted = [...new Set([...configured, ...stillCounted])].sort();
  if (counted.join(',') !== countedBefore.join(',')) await ledger.countedTargets.write(counted);
  return released;
}

/**
 * A load balancer target's count, which attaches do not keep (no limit to enforce): the managed slots on it, written
 * only when it changed or when an older version's source list is still on the item.
 */
async function countLoadBalancerTargets(
  ledger: SweepLedgerPort,
  loadBalancers: ReadonlySet<string>,
  targets: readonly TargetSources[],
  holders: SlotHoldersByTarget,
): Promise<void> {
  for (const targetId of loadBalancers) {
    const target = targets.find((candidate) => candidate.targetId === targetId);
    const held = holders.get(targetId)?.length ?? 0;
    if (target === undefined || target.sourceCount !== held || target.sources.length > 0) {
      await ledger.setLoadBalancerCount(targetId, held);
    }
  }
}

/** One bounded step of the tracked-ENI index's backfill (a few Scan pages), logged until it is done. */
async function backfillTrackedIndex(trigger: ConvergeTrigger, deps: ConvergeDeps, ledger: SweepLedgerPort): Promise<void> {
  const step = await ledger.trackedIndex.step();
  if (step.pages === 0) return;
  deps.logger.info('tracked index backfill', { triggerEventId: trigger.eventId, ...step });
}

function outOfTime(context: SweepContext, settings: SweepSettings): boolean {
  const remaining = context.remainingTimeMs?.();
  return remaining !== undefined && remaining < settings.timeReserveMs;
}

export async function sweep(trigger: ConvergeTrigger, deps: ConvergeDeps, context: SweepContext = {}): Promise<SweepSummary> {
  const settings = context.settings ?? DEFAULT_SWEEP_SETTINGS;
  const bucket = context.bucket ?? new TokenBucket({ capacity: settings.mutationBurst, refillPerSecond: settings.mutationsPerSecond });
  const before = bucket.stats();
  const paced: ConvergeDeps = { ...deps, ec2: pacedEc2(deps.ec2, bucket) };

  // First: a table the index already covers, new or just backfilled, is read through it in this very run.
  if (context.ledger) await backfillTrackedIndex(trigger, deps, context.ledger);
  const { scope, accountSessions, orphans, notOurs } = await readSweepScope(deps);
  const cursor = await context.ledger?.cursor.read();
  const chosen = orderForRun(scope, cursor).slice(0, settings.maxInstancesPerRun);
  const inRotation = new Set(rotation(scope));

  let summary = emptySummary();
  const failures: unknown[] = [];
  let converged = 0;
  // One account quota for the whole run: once a create is refused at it, no later step calls EC2 to hear it again.
  // An account the run's read of sessions shows at its quota refuses from the start: a steady fleet beyond it (its
  // refused instances come round every pass) then spends no create on hearing it again.
  const quota = context.accountSessionQuota ?? ACCOUNT_SESSION_QUOTA;
  const runWide: RunWide =
    accountSessions >= quota ? { accountQuotaRefusal: `the account holds ${accountSessions} sessions, its quota of ${quota}` } : {};
  for (let index = 0; index < chosen.length; index += settings.batchSize) {
    // The first step always runs, so every run makes progress whatever the timeout.
    const remaining = index > 0 ? context.remainingTimeMs?.() : undefined;
    if (remaining !== undefined && remaining < settings.timeReserveMs) {
      deps.logger.warn('sweep stopped early', {
        triggerEventId: trigger.eventId,
        remainingMs: remaining,
        reserveMs: settings.timeReserveMs,
      });
      break;
    }
    const batch = chosen.slice(index, index + settings.batchSize);
    try {
      summary = add(summary, await converge(batch, trigger, paced, { rememberedEnis: 'always', runWide }));
    } catch (error) {
      failures.push(error);
      if (error instanceof ConvergeError) summary = add(summary, error.summary);
    }
    converged += batch.length;
    const last = batch.filter((id) => inRotation.has(id)).at(-1);
    // Saved as it goes: a run that times out after this step still starts the next one further on.
    if (last !== undefined && context.ledger) await context.ledger.cursor.write(last);
  }

  if (converged === chosen.length && !outOfTime(context, settings)) {
    // Converging an instance may already have detached an orphan (a stray the ledger remembered): not twice.
    const handled = new Set(summary.decisions.flatMap((decision) => (decision.sessionId ? [decision.sessionId] : [])));
    const pending = orphans.filter((session) => !handled.has(session.sessionId)).slice(0, settings.maxInstancesPerRun);
    try {
      summary = add(summary, await applyPlans(planOrphanDetaches(pending), trigger, paced, runWide));
    } catch (error) {
      failures.push(error);
      if (error instanceof ConvergeError) summary = add(summary, error.summary);
    }
  }

  const described = await deps.ec2.describeTargets(configuredTargetIds(deps.config));
  const released =
    context.ledger && converged === chosen.length
      ? await auditTargetSources(trigger, deps, context.ledger, context.targetOwnerView, described)
      : [];
  await logTargetLoads(trigger, deps, described);
  // Converging never touches a session not ours: the sessions read at the start are still what the watch needs.
  const unmanaged = context.unmanaged ? await watchUnmanagedSessions(trigger, deps, context.unmanaged, notOurs) : undefined;
  const coverage = coverageOf(summary.decisions);
  recordCount(deps.metrics, GOVERNANCE_METRICS.eligibleEnis, coverage.eligibleEnis);
  recordCount(deps.metrics, GOVERNANCE_METRICS.mirroredEnis, coverage.mirroredEnis);
  recordPercent(deps.metrics, GOVERNANCE_METRICS.coveragePercent, coverage.percent);
  let outboxFlushed = 0;
  try {
    outboxFlushed = await flushOutbox(deps, SWEEP_FLUSH_LIMIT);
  } catch (error) {
    failures.push(error);
  }
  const after = bucket.stats();
  const result: SweepSummary = {
    ...summary,
    decisions: [...summary.decisions, ...released],
    listed: scope.tagged.length + scope.cleanup.length + scope.remembered.length,
    converged,
    deferred: scope.tagged.length + scope.cleanup.length + scope.remembered.length - converged,
    targetSourcesReleased: released.length,
    outboxFlushed,
    mutations: after.taken - before.taken,
    pacedMs: after.waitedMs - before.waitedMs,
    ...(unmanaged ? { unmanagedSessions: unmanaged.unknown.length, unmanagedAnnounced: unmanaged.announced.length } : {}),
  };
  if (failures.length === 0) return result;
  // Never swallowed: the run fails (Lambda retries it; the sweep is idempotent), after every batch had its turn.
  if (failures.every((failure) => failure instanceof PermanentError)) throw failures[0];
  throw new ConvergeError(
    result,
    failures.flatMap((failure) => (failure instanceof ConvergeError ? failure.failures : [failure])),
  );
}
