/**
 * The coverage and audit report: coverage per account, VPC and Availability Zone, each instance's ENIs and why any
 * is not mirrored, each target's load, the unknown sessions, and every mirrored interval in a time range. Built from
 * reads only; the same document is the --format json output and the input of the HTML and CSV renderings.
 */
import type { InstancePlan } from '../../shared/converge';
import type { TargetLoad } from '../../shared/converge/target-load';
import { isEligibleButUnmirrored } from '../../shared/domain/coverage';
import type { MirroredInterval } from '../../shared/domain/mirrored-intervals';
import type { Decision } from '../../shared/domain/types';
import type { UnknownSession } from '../../shared/domain/unmanaged-sessions';
import type { ScopeFields } from '../across-scopes';
import type { ScopeOutcome } from './organization';

/** mirrored: a session of ours; unmirrored: should be and is not; not-eligible: not meant to be (untagged, ...). */
export type EniCoverage = 'mirrored' | 'unmirrored' | 'not-eligible';

export interface ReportEni {
  readonly eniId: string;
  readonly coverage: EniCoverage;
  /** Why: already-mirrored, or the reason it is not. */
  readonly reason: string;
  readonly detail?: string;
  readonly sessionId?: string;
  readonly targetId?: string;
}

export interface ReportInstance {
  readonly instanceId: string;
  readonly state: string;
  readonly instanceType?: string;
  readonly accountId: string;
  /** The Region the instance was read in. */
  readonly region: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly enis: readonly ReportEni[];
}

export interface CoverageGroup {
  readonly key: string;
  readonly eligible: number;
  readonly mirrored: number;
  /** 100 when nothing is eligible. */
  readonly percent: number;
}

export interface ReportUnknownSession extends ScopeFields {
  readonly sessionId: string;
  readonly eniId: string;
  readonly instanceId?: string;
  readonly targetId: string;
  readonly targetOwnerAccountId?: string;
  readonly cause: string;
  readonly firstSeenAt: string;
  /** False when the sweep has not announced it yet. */
  readonly announced: boolean;
}

export interface CoverageReport {
  readonly command: 'report';
  readonly generatedAt: string;
  readonly range: { readonly since: string; readonly until: string };
  readonly coverage: {
    readonly total: CoverageGroup;
    readonly byAccount: readonly CoverageGroup[];
    readonly byRegion: readonly CoverageGroup[];
    readonly byVpc: readonly CoverageGroup[];
    readonly byZone: readonly CoverageGroup[];
  };
  readonly instances: readonly ReportInstance[];
  readonly targets: readonly TargetLoad[];
  readonly unknownSessions: readonly ReportUnknownSession[];
  readonly intervals: ReadonlyArray<MirroredInterval & ScopeFields>;
  /** Organization: each (account, Region) covered, read or why not (one not read has no instances here). */
  readonly scopes?: readonly ScopeOutcome[];
}

const UNKNOWN = 'unknown';

function eniCoverage(decision: Decision): ReportEni {
  const eniId = decision.eniId ?? '';
  switch (decision.action) {
    case 'keep':
      return { eniId, coverage: 'mirrored', reason: decision.reason, sessionId: decision.sessionId, targetId: decision.targetId };
    case 'attach':
      return { eniId, coverage: 'unmirrored', reason: 'not-yet-mirrored', detail: 'eligible; the next converge attaches it' };
    case 'refuse':
      return {
        eniId,
        coverage: isEligibleButUnmirrored(decision.reason) ? 'unmirrored' : 'not-eligible',
        reason: decision.reason,
        detail: decision.detail,
      };
    default:
      return { eniId, coverage: 'not-eligible', reason: decision.reason };
  }
}

/** One line per ENI of the instance: its own decision, else the instance-wide one (not tagged, unsupported, ...). */
function reportInstance(plan: InstancePlan, region: string): ReportInstance | undefined {
  const instance = plan.input.instance;
  if (instance === undefined) return undefined;
  const instanceWide = plan.decisions.find((decision) => decision.eniId === undefined);
  const enis = instance.networkInterfaces.map((eni): ReportEni => {
    // A detach is on its way out; what the ENI has left (keep) or lacks (refuse, attach) says more, and only when
    // nothing else is said does the detach's reason (untagged, window ended, ...) tell why it is not mirrored.
    const own = plan.decisions.filter((decision) => decision.eniId === eni.eniId);
    const lasting = own.filter((decision) => decision.action !== 'detach');
    const decision = lasting.find((candidate) => candidate.action === 'keep') ?? lasting[0] ?? instanceWide ?? own[0];
    if (decision === undefined) return { eniId: eni.eniId, coverage: 'not-eligible', reason: 'no-decision' };
    return { ...eniCoverage(decision), eniId: eni.eniId };
  });
  return {
    instanceId: instance.instanceId,
    state: instance.state,
    instanceType: instance.instanceType,
    accountId: instance.accountId ?? UNKNOWN,
    region,
    vpcId: instance.vpcId ?? UNKNOWN,
    availabilityZone: instance.availabilityZone || UNKNOWN,
    enis,
  };
}

function group(instances: readonly ReportInstance[], keyOf: (instance: ReportInstance) => string): CoverageGroup[] {
  const groups = new Map<string, { eligible: number; mirrored: number }>();
  for (const instance of instances) {
    const entry = groups.get(keyOf(instance)) ?? { eligible: 0, mirrored: 0 };
    for (const eni of instance.enis) {
      if (eni.coverage === 'not-eligible') continue;
      entry.eligible += 1;
      if (eni.coverage === 'mirrored') entry.mirrored += 1;
    }
    groups.set(keyOf(instance), entry);
  }
  return [...groups.entries()]
    .map(([key, { eligible, mirrored }]) => ({
      key,
      eligible,
      mirrored,
      percent: eligible === 0 ? 100 : Math.round((mirrored / eligible) * 1000) / 10,
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** One (account, Region)'s reads; for a single account, the one there is. */
export interface ScopeReads {
  readonly region: string;
  readonly where: ScopeFields;
  readonly plans: readonly InstancePlan[];
  readonly unknown: readonly UnknownSession[];
}

export interface ReportInputs {
  readonly scopes: readonly ScopeReads[];
  readonly targets: readonly TargetLoad[];
  readonly intervals: ReadonlyArray<MirroredInterval & ScopeFields>;
  readonly outcomes?: readonly ScopeOutcome[];
  readonly since: Date;
  readonly until: Date;
  readonly now: Date;
}

/** What the reports say about a session nobody configured. */
export function describeUnknownSessions(unknown: readonly UnknownSession[]): ReportUnknownSession[] {
  return unknown.map(({ session, cause, firstSeenAt, status }) => ({
    sessionId: session.sessionId,
    eniId: session.eniId,
    ...(session.instanceId !== undefined ? { instanceId: session.instanceId } : {}),
    targetId: session.targetId,
    ...(session.targetOwnerAccountId !== undefined ? { targetOwnerAccountId: session.targetOwnerAccountId } : {}),
    cause,
    firstSeenAt,
    announced: status !== 'new',
  }));
}

export function buildCoverageReport(inputs: ReportInputs): CoverageReport {
  const instances = inputs.scopes
    .flatMap((scope) => scope.plans.flatMap((plan) => reportInstance(plan, scope.region) ?? []))
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  const [total] = group(instances, () => 'all');
  return {
    command: 'report',
    generatedAt: inputs.now.toISOString(),
    range: { since: inputs.since.toISOString(), until: inputs.until.toISOString() },
    coverage: {
      total: total ?? { key: 'all', eligible: 0, mirrored: 0, percent: 100 },
      byAccount: group(instances, (instance) => instance.accountId),
      byRegion: group(instances, (instance) => instance.region),
      byVpc: group(instances, (instance) => instance.vpcId),
      byZone: group(instances, (instance) => instance.availabilityZone),
    },
    instances,
    targets: inputs.targets,
    unknownSessions: inputs.scopes.flatMap((scope) =>
      describeUnknownSessions(scope.unknown).map((session) => ({ ...scope.where, ...session })),
    ),
    intervals: inputs.intervals,
    ...(inputs.outcomes !== undefined && { scopes: inputs.outcomes }),
  };
}
