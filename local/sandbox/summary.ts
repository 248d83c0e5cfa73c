/**
 * The end-of-run picture: per instance (what it is, what is mirrored, and why not where not), per target, the
 * decisions and the invariants. Rendered as tables for people and printed as JSON for `--json`.
 */

import type { InvariantReport, MirrorWorld, Violation } from '../oracle';
import type { DecisionRecord } from './decisions';
import type { AccountReport } from './organization/report';
import type { Role } from './scenario';

export interface SessionReport {
  readonly sessionId: string;
  readonly sessionNumber: number;
  readonly targetId: string;
  readonly managed: boolean;
}

export interface EniReport {
  readonly eniId: string;
  readonly deviceIndex: number;
  readonly sessions: readonly SessionReport[];
}

export interface InstanceReport {
  readonly name: string;
  readonly role: Role;
  readonly instanceId: string;
  readonly instanceType: string;
  readonly zone: string;
  /** EC2's state, or 'gone' when EC2 no longer describes it. */
  readonly state: string;
  readonly tagged: boolean;
  readonly enis: readonly EniReport[];
  /** For each ENI without a managed session (or the whole instance): `eth0: reason`, from the ledger or the log. */
  readonly notMirroredReasons: readonly string[];
}

export interface TargetReport {
  readonly targetId: string;
  readonly label: string;
  readonly kind: string;
  readonly zone?: string;
  readonly sources: number;
  readonly sourceLimit: number | null;
}

/** One row of the ledger's history, as the runner read it back. */
export interface HistoryEntry {
  readonly instanceId: string;
  readonly eniId?: string;
  readonly action: string;
  readonly reason: string;
  readonly at: string;
}

export interface DeadLetterReport {
  /** 'sqs-redrive': an event queue gave up on a message; 'lambda-on-failure': an async invocation (the sweep) did. */
  readonly kind: string;
  readonly functionName: string;
  readonly eventId?: string;
  readonly error: string;
  /** True for the events the story sends on purpose to end there (the malformed one). */
  readonly expected?: boolean;
}

/** The invariants checked after a story step settled: a transient wrong state is caught even if later repaired. */
export interface StepCheck {
  readonly step: number;
  readonly title: string;
  readonly violations: readonly Violation[];
}

export interface SandboxSummary {
  /** Every invariant held after every step and at the end, and the dead-letter queue holds what the story expects. */
  readonly ok: boolean;
  readonly seed: number;
  readonly instances: readonly InstanceReport[];
  readonly targets: readonly TargetReport[];
  readonly decisions: readonly DecisionRecord[];
  readonly deadLetters: readonly DeadLetterReport[];
  /** Events the story sent to end in the dead-letter queue that are not there. */
  readonly missingDeadLetters: readonly string[];
  /** The final state's invariants. */
  readonly invariants: InvariantReport;
  readonly stepChecks: readonly StepCheck[];
  /** Checked at every CreateTrafficMirrorSession: ENIs seen with two managed sessions at once. */
  readonly createsWatched: number;
  readonly transientDuplicates: readonly string[];
  readonly durationMs: number;
  /** The organization story only: each account, and for one without a spoke role, how the hub reported it. */
  readonly accounts?: readonly AccountReport[];
}

export interface LaunchedInstance {
  readonly name: string;
  readonly role: Role;
  readonly instanceId: string;
  readonly instanceType: string;
  readonly zone: string;
}

export interface SummaryInput {
  readonly launched: readonly LaunchedInstance[];
  readonly world: MirrorWorld;
  readonly tagKey: string;
  readonly tagValue: string;
  readonly isManaged: (tags: Readonly<Record<string, string>>) => boolean;
  readonly decisions: readonly DecisionRecord[];
  readonly history: readonly HistoryEntry[];
}

export function describeInstances(input: SummaryInput): InstanceReport[] {
  return input.launched.map((launched) => {
    const instance = input.world.instances.find((candidate) => candidate.instanceId === launched.instanceId);
    const enis: EniReport[] = (instance?.networkInterfaces ?? []).map((eni, index) => ({
      eniId: eni.eniId,
      deviceIndex: eni.deviceIndex ?? index,
      sessions: input.world.sessions
        .filter((session) => session.eniId === eni.eniId)
        .sort((a, b) => a.sessionNumber - b.sessionNumber)
        .map((session) => ({
          sessionId: session.sessionId,
          sessionNumber: session.sessionNumber,
          targetId: session.targetId,
          managed: input.isManaged(session.tags),
        })),
    }));
    return {
      ...launched,
      state: instance?.state ?? 'gone',
      tagged: instance?.tags[input.tagKey] === input.tagValue,
      enis,
      notMirroredReasons: notMirroredReasons(launched.instanceId, enis, input),
    };
  });
}

/**
 * The latest recorded reason for each unmirrored ENI: the ledger's history first (the audit trail), else the last
 * decision logged for it. An instance-wide reason (no ENI) covers ENIs with nothing more specific.
 */
function notMirroredReasons(instanceId: string, enis: readonly EniReport[], input: SummaryInput): string[] {
  const latest = new Map<string, string>();
  const record = (eniId: string | undefined, action: string, reason: string): void => {
    if (action === 'attach' || action === 'keep') latest.delete(eniId ?? '-');
    else latest.set(eniId ?? '-', action === 'detach' ? `detached: ${reason}` : reason);
  };
  const decisions = input.decisions.filter((decision) => decision.instanceId === instanceId);
  const history = [...input.history].filter((entry) => entry.instanceId === instanceId).sort((a, b) => a.at.localeCompare(b.at));
  if (history.length > 0) for (const entry of history) record(entry.eniId, entry.action, entry.reason);
  else for (const decision of decisions) record(decision.eniId, decision.action, decision.reason);

  const unmirrored = enis.filter((eni) => !eni.sessions.some((session) => session.managed));
  const reasons: string[] = [];
  const instanceWide = latest.get('-');
  for (const eni of unmirrored) {
    const reason = latest.get(eni.eniId);
    if (reason) reasons.push(`eth${eni.deviceIndex}: ${reason}`);
  }
  if (instanceWide && (reasons.length < unmirrored.length || enis.length === 0)) reasons.unshift(instanceWide);
  return reasons;
}

export function describeTargets(
  world: MirrorWorld,
  labels: ReadonlyMap<string, string>,
  zones: ReadonlyMap<string, string>,
): TargetReport[] {
  return world.targets.map((target) => ({
    targetId: target.targetId,
    label: labels.get(target.targetId) ?? target.targetId,
    kind: target.kind ?? 'unknown',
    ...(zones.get(target.targetId) ? { zone: zones.get(target.targetId) } : {}),
    sources: new Set(world.sessions.filter((s) => s.targetId === target.targetId).map((s) => s.eniId)).size,
    sourceLimit: target.sourceLimit,
  }));
}
