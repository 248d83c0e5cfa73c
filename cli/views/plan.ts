/** The dry run as data: what converge would do to each instance in scope, and why. Also the --json document. */
import type { Config } from '../../shared/config/config';
import type { InstancePlan } from '../../shared/converge';
import type { Action, Decision } from '../../shared/domain/types';
import type { ScopeFields } from '../across-scopes';
import type { Scope } from '../scope';
import type { Findings } from './findings';
import { type InstanceSummary, summarizeInstance } from './instance-summary';
import type { ScopeOutcome } from './organization';

/** Ledger fixes converge makes before applying decisions (EC2 moved on without us). */
export type LedgerRepair =
  | {
      readonly kind: 'release-stale-slot';
      readonly eniId: string;
      readonly sessionNumber: number;
      readonly state: string;
      readonly sessionId?: string;
      readonly reservationId?: string;
      readonly targetId?: string;
    }
  | {
      readonly kind: 'record-session';
      readonly eniId: string;
      readonly sessionId: string;
      readonly sessionNumber: number;
      readonly reservationId?: string;
    };

export interface PlannedInstance extends InstanceSummary, ScopeFields {
  readonly decisions: readonly Decision[];
  readonly ledgerRepairs: readonly LedgerRepair[];
}

export interface PlanReport {
  readonly command: 'plan';
  readonly scope: Scope;
  readonly instances: readonly PlannedInstance[];
  readonly totals: Readonly<Record<Action, number>> & { readonly ledgerRepairs: number };
  /** What reconcile cannot fix: configuration problems, named instances nobody knows. */
  readonly findings: Findings;
  /** Organization: each (account, Region) covered, read or why not. */
  readonly scopes?: readonly ScopeOutcome[];
}

function ledgerRepairsOf(plan: InstancePlan): LedgerRepair[] {
  return [
    ...plan.staleSlots.map(
      ({ eniId, slot }): LedgerRepair => ({
        kind: 'release-stale-slot',
        eniId,
        sessionNumber: slot.sessionNumber,
        state: slot.state,
        ...(slot.sessionId !== undefined && { sessionId: slot.sessionId }),
        ...(slot.reservationId !== undefined && { reservationId: slot.reservationId }),
        ...(slot.targetId !== undefined && { targetId: slot.targetId }),
      }),
    ),
    ...plan.unrecordedSessions.map(
      ({ session, reservationId }): LedgerRepair => ({
        kind: 'record-session',
        eniId: session.eniId,
        sessionId: session.sessionId,
        sessionNumber: session.sessionNumber,
        ...(reservationId !== undefined && { reservationId }),
      }),
    ),
  ];
}

/** `where`: the account and Region of every row, for an organization. */
export function buildPlanReport(
  plans: readonly InstancePlan[],
  scope: Scope,
  config: Config,
  findings: Findings,
  where: ScopeFields = {},
): PlanReport {
  const instances = plans.map((plan) => ({
    ...where,
    ...summarizeInstance(plan, config),
    decisions: plan.decisions,
    ledgerRepairs: ledgerRepairsOf(plan),
  }));
  return { command: 'plan', scope, instances, totals: totalsOf(instances), findings };
}

/** The organization's plan: every scope's rows, one total, the findings of all and the scopes not read. */
export function combinePlanReports(
  reports: readonly PlanReport[],
  scope: Scope,
  findings: Findings,
  scopes: readonly ScopeOutcome[],
): PlanReport {
  const instances = reports.flatMap((report) => report.instances);
  return { command: 'plan', scope, instances, totals: totalsOf(instances), findings, scopes };
}

function totalsOf(instances: readonly PlannedInstance[]): PlanReport['totals'] {
  const decisions = instances.flatMap((instance) => instance.decisions);
  const count = (action: Action) => decisions.filter((decision) => decision.action === action).length;
  return {
    attach: count('attach'),
    detach: count('detach'),
    keep: count('keep'),
    skip: count('skip'),
    refuse: count('refuse'),
    ledgerRepairs: instances.reduce((sum, instance) => sum + instance.ledgerRepairs.length, 0),
  };
}
