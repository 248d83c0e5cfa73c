/** The `--json` document: stable, flat, for scripts and CI (jq '.violations | length'). */
import type { SandboxSummary } from './summary';

export interface JsonSession {
  readonly instanceId: string;
  readonly instanceName: string;
  readonly eniId: string;
  readonly deviceIndex: number;
  readonly sessionId: string;
  readonly sessionNumber: number;
  readonly targetId: string;
  readonly managed: boolean;
}

export function toJsonSummary(summary: SandboxSummary) {
  const sessions: JsonSession[] = summary.instances.flatMap((instance) =>
    instance.enis.flatMap((eni) =>
      eni.sessions.map((session) => ({
        instanceId: instance.instanceId,
        instanceName: instance.name,
        eniId: eni.eniId,
        deviceIndex: eni.deviceIndex,
        ...session,
      })),
    ),
  );
  return {
    schemaVersion: 1,
    ok: summary.ok,
    seed: summary.seed,
    durationMs: Math.round(summary.durationMs),
    instances: summary.instances.map((instance) => ({
      name: instance.name,
      role: instance.role,
      instanceId: instance.instanceId,
      instanceType: instance.instanceType,
      zone: instance.zone,
      state: instance.state,
      tagged: instance.tagged,
      enis: instance.enis.map((eni) => ({ eniId: eni.eniId, deviceIndex: eni.deviceIndex, sessions: eni.sessions.length })),
      notMirroredReasons: instance.notMirroredReasons,
    })),
    sessions,
    targets: summary.targets,
    decisions: summary.decisions,
    deadLetters: summary.deadLetters,
    missingDeadLetters: summary.missingDeadLetters,
    createsWatched: summary.createsWatched,
    transientDuplicates: summary.transientDuplicates,
    ...(summary.accounts ? { accounts: summary.accounts } : {}),
    steps: summary.stepChecks.map((check) => ({ step: check.step, title: check.title, violations: check.violations.length })),
    invariants: summary.invariants.checks.map((check) => ({
      name: check.name,
      description: check.description,
      examined: check.examined,
      violations: check.violations.length,
    })),
    /** Final-state violations, then those seen after a step (with its number). */
    violations: [
      ...summary.invariants.violations.map((violation) => ({ ...violation, step: null as number | null })),
      ...summary.stepChecks.flatMap((check) => check.violations.map((violation) => ({ ...violation, step: check.step as number | null }))),
    ],
  };
}

export type JsonSummary = ReturnType<typeof toJsonSummary>;
