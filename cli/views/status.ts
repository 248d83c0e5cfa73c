/**
 * The fleet as it is: per instance its ENIs, the sessions EC2 shows (ours and hand-made), what the ledger holds, and
 * the drift between them. Drift is whatever `mirrorctl reconcile` (the sweep's converge) would change; refusals are
 * stable answers (unsupported type, pool full), listed but not drift. Also the --json document.
 */
import type { Config } from '../../shared/config/config';
import type { DescribedTarget, EniLedger, InstancePlan, Slot } from '../../shared/converge';
import type { Reason } from '../../shared/domain/types';
import type { ScopeFields } from '../across-scopes';
import type { Scope } from '../scope';
import type { Findings } from './findings';
import { type InstanceSummary, summarizeInstance } from './instance-summary';
import type { ScopeOutcome } from './organization';
import type { ReportUnknownSession } from './report';

export type DriftKind =
  /** A session on EC2 (ours or hand-made) the ledger does not record. */
  | 'session-not-in-ledger'
  /** Our session exists but its ledger slot is still 'reserved' (a crash between create and activate). */
  | 'reservation-not-activated'
  /** A ledger slot (active or releasing) whose session EC2 no longer shows. */
  | 'ledger-slot-without-session'
  /** A reservation that never became a session. */
  | 'stale-reservation'
  /** An ENI that should be mirrored and is not. */
  | 'eligible-eni-unmirrored'
  /** One of our sessions that should go (instance stopped, untagged, gone; ENI detached; settings changed). */
  | 'unwanted-managed-session';

export const DRIFT_KINDS: readonly DriftKind[] = [
  'session-not-in-ledger',
  'reservation-not-activated',
  'ledger-slot-without-session',
  'stale-reservation',
  'eligible-eni-unmirrored',
  'unwanted-managed-session',
];

export interface Drift {
  readonly kind: DriftKind;
  readonly eniId?: string;
  readonly sessionId?: string;
  readonly detail: string;
}

export interface StatusSession {
  readonly sessionId: string;
  readonly sessionNumber: number;
  readonly targetId: string;
  readonly filterId: string;
  readonly owner: 'managed' | 'foreign';
  /** The ledger holds this session (for ours: an active or releasing slot). */
  readonly recorded: boolean;
}

export interface StatusEni {
  readonly eniId: string;
  /** False for an ENI the ledger still remembers for this instance but that is no longer attached to it. */
  readonly attached: boolean;
  readonly deviceIndex?: number;
  readonly interfaceType?: string;
  readonly sessions: readonly StatusSession[];
  readonly ledger: { readonly version: number; readonly slots: readonly Slot[] } | null;
}

export interface StatusInstance extends InstanceSummary, ScopeFields {
  readonly enis: readonly StatusEni[];
  readonly drift: readonly Drift[];
  readonly refusals: ReadonlyArray<{ readonly eniId?: string; readonly reason: Reason; readonly detail: string }>;
}

/** With an organization, a target is listed once per account and Region whose pool names it. */
export interface StatusTarget extends ScopeFields {
  readonly targetId: string;
  /** False when a configured target does not exist on EC2. */
  readonly exists: boolean;
  readonly kind?: string;
  readonly sourceLimit?: number | null;
  /** Distinct source ENIs the ledger counts against this target; a load balancer target's as the sweep last counted them. */
  readonly ledgerSources: number;
}

export interface StatusReport {
  readonly command: 'status';
  readonly scope: Scope;
  readonly instances: readonly StatusInstance[];
  readonly targets: readonly StatusTarget[];
  readonly drift: { readonly total: number; readonly byKind: Readonly<Record<DriftKind, number>> };
  /** What reconcile cannot fix: configuration problems, named instances nobody knows. */
  readonly findings: Findings;
  /** Organization: each (account, Region) covered, read or why not. */
  readonly scopes?: readonly ScopeOutcome[];
}

function slotRecords(slot: Slot, sessionId: string, reservationId: string | undefined): boolean {
  return slot.sessionId === sessionId || (reservationId !== undefined && slot.reservationId === reservationId);
}

function driftOf(plan: InstancePlan, ledgers: ReadonlyMap<string, EniLedger>): Drift[] {
  const drift: Drift[] = [];
  for (const { session, reservationId } of plan.unrecordedSessions) {
    drift.push(
      reservationId === undefined
        ? {
            kind: 'session-not-in-ledger',
            eniId: session.eniId,
            sessionId: session.sessionId,
            detail: `our session #${session.sessionNumber} has no ledger slot`,
          }
        : {
            kind: 'reservation-not-activated',
            eniId: session.eniId,
            sessionId: session.sessionId,
            detail: `ledger slot ${reservationId} is still reserved`,
          },
    );
  }
  // Hand-made sessions count against the ENI's 3; converge records them on the ENIs the instance has now.
  for (const [eniId, sessions] of plan.input.sessionsByEni) {
    const slots = ledgers.get(eniId)?.slots ?? [];
    for (const session of sessions) {
      if (session.managed || slots.some((slot) => slot.sessionId === session.sessionId)) continue;
      drift.push({
        kind: 'session-not-in-ledger',
        eniId,
        sessionId: session.sessionId,
        detail: `hand-made session #${session.sessionNumber} is not in the ledger`,
      });
    }
  }
  // Hand-made sessions the ledger learned and EC2 no longer shows (deleted by hand, or gone with their ENI): their
  // slots still count against the ENI's 3 and block their numbers.
  for (const [eniId, observed] of plan.observedByEni) {
    const ledger = ledgers.get(eniId);
    if (ledger === undefined || (ledger.instanceId !== undefined && ledger.instanceId !== plan.instanceId)) continue;
    for (const slot of ledger.slots) {
      if (slot.owner !== 'foreign' || observed.some((session) => session.sessionId === slot.sessionId)) continue;
      drift.push({
        kind: 'ledger-slot-without-session',
        eniId,
        ...(slot.sessionId !== undefined && { sessionId: slot.sessionId }),
        detail: `ledger slot #${slot.sessionNumber} (hand-made, updated ${slot.updatedAt}) has no session on EC2`,
      });
    }
  }
  for (const { eniId, slot } of plan.staleSlots) {
    drift.push({
      kind: slot.state === 'reserved' ? 'stale-reservation' : 'ledger-slot-without-session',
      eniId,
      ...(slot.sessionId !== undefined && { sessionId: slot.sessionId }),
      detail: `ledger slot #${slot.sessionNumber} (${slot.state}, updated ${slot.updatedAt}) has no session on EC2`,
    });
  }
  for (const decision of plan.decisions) {
    if (decision.action === 'attach') {
      drift.push({
        kind: 'eligible-eni-unmirrored',
        eniId: decision.eniId,
        detail: `eligible, no session (would attach to ${decision.targetCandidates[0] ?? '?'})`,
      });
    } else if (decision.action === 'detach') {
      drift.push({
        kind: 'unwanted-managed-session',
        eniId: decision.eniId,
        sessionId: decision.sessionId,
        detail: `should be removed: ${decision.reason}`,
      });
    }
  }
  return drift;
}

function enisOf(plan: InstancePlan, ledgers: ReadonlyMap<string, EniLedger>): StatusEni[] {
  const current = plan.input.instance?.networkInterfaces ?? [];
  return [...plan.observedByEni.entries()].map(([eniId, observed]) => {
    const facts = current.find((eni) => eni.eniId === eniId);
    const ledger = ledgers.get(eniId);
    const slots = ledger?.slots ?? [];
    return {
      eniId,
      attached: facts !== undefined,
      ...(facts !== undefined && { deviceIndex: facts.deviceIndex, interfaceType: facts.interfaceType }),
      sessions: observed.map((session) => ({
        sessionId: session.sessionId,
        sessionNumber: session.sessionNumber,
        targetId: session.targetId,
        filterId: session.filterId,
        owner: session.managed ? ('managed' as const) : ('foreign' as const),
        recorded: slots.some(
          (slot) => slotRecords(slot, session.sessionId, session.reservationId) && (slot.owner === 'foreign' || slot.state !== 'reserved'),
        ),
      })),
      ledger: ledger === undefined ? null : { version: ledger.version, slots: ledger.slots },
    };
  });
}

export function buildStatusReport(input: {
  readonly plans: readonly InstancePlan[];
  readonly ledgers: ReadonlyMap<string, EniLedger>;
  readonly configuredTargetIds: readonly string[];
  readonly describedTargets: readonly DescribedTarget[];
  readonly targetLoads: ReadonlyMap<string, number>;
  readonly scope: Scope;
  readonly config: Config;
  readonly findings: Findings;
  /** The account and Region of every row, for an organization. */
  readonly where?: ScopeFields;
}): StatusReport {
  const where = input.where ?? {};
  const instances = input.plans.map((plan) => ({
    ...where,
    ...summarizeInstance(plan, input.config),
    enis: enisOf(plan, input.ledgers),
    drift: driftOf(plan, input.ledgers),
    refusals: plan.decisions.flatMap((decision) =>
      decision.action === 'refuse'
        ? [{ ...(decision.eniId !== undefined && { eniId: decision.eniId }), reason: decision.reason, detail: decision.detail }]
        : [],
    ),
  }));
  const targets = input.configuredTargetIds.map((targetId) => {
    const described = input.describedTargets.find((target) => target.targetId === targetId);
    return {
      ...where,
      targetId,
      exists: described !== undefined,
      ...(described !== undefined && { kind: described.kind, sourceLimit: described.sourceLimit }),
      ledgerSources: input.targetLoads.get(targetId) ?? 0,
    };
  });
  return { command: 'status', scope: input.scope, instances, targets, drift: driftTotals(instances), findings: input.findings };
}

function driftTotals(instances: readonly StatusInstance[]): StatusReport['drift'] {
  const all = instances.flatMap((instance) => instance.drift);
  const byKind = Object.fromEntries(DRIFT_KINDS.map((kind) => [kind, all.filter((drift) => drift.kind === kind).length])) as Record<
    DriftKind,
    number
  >;
  return { total: all.length, byKind };
}

type StatusWithUnmanaged = StatusReport & { readonly unmanagedSessions: readonly ReportUnknownSession[] };

/** The organization's status: every scope's instances, targets and unmanaged sessions, drift counted over all. */
export function combineStatusReports(
  reports: readonly StatusWithUnmanaged[],
  scope: Scope,
  findings: Findings,
  scopes: readonly ScopeOutcome[],
): StatusWithUnmanaged {
  const instances = reports.flatMap((report) => report.instances);
  return {
    command: 'status',
    scope,
    instances,
    targets: reports.flatMap((report) => report.targets),
    drift: driftTotals(instances),
    findings,
    scopes,
    unmanagedSessions: reports.flatMap((report) => report.unmanagedSessions),
  };
}
