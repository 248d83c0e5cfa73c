/**
 * Every metric name the code emits, in one place: the dashboard and the alarms in serverless.yml name these, and
 * a test checks each name they reference is really emitted by a run.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const GOVERNANCE_METRICS = {
  /** Unknown unmanaged sessions seen by the sweep (a gauge, emitted every run, 0 included). */
  unmanagedSessions: 'unmanagedSessions',
  /** Unknown sessions announced this run (new or changed). */
  unmanagedSessionsAnnounced: 'unmanagedSessionsAnnounced',
  /** Eligible ENIs the sweep run looked at, how many are mirrored, and the ratio in percent. */
  eligibleEnis: 'eligibleEnis',
  mirroredEnis: 'mirroredEnis',
  coveragePercent: 'coveragePercent',
  /** Wall time of a sweep run. */
  sweepDurationMs: 'sweepDurationMs',
  /** From the triggering event's time to the sessions of its instances being created. */
  eventToSessionMs: 'eventToSessionMs',
  /** EC2 answers that were throttling errors, each attempt counted (the SDK retries them). */
  ec2Throttled: 'ec2Throttled',
  /** Instances whose mirroring window the window-end function closed. */
  windowsEnded: 'windowsEnded',
  /** Organization: a scope the hub may not act in (spoke role missing or denied), with AccountId and Region dimensions. */
  spokeAccessDenied: 'spokeAccessDenied',
  /** Organization: records put back on their queue because the account's budget had no room, with AccountId and Region. */
  recordsDeferred: 'recordsDeferred',
  /** Organization: an OU of the document Organizations did not resolve (denied, not in use, gone), with OrganizationalUnitId. */
  organizationalUnitUnresolved: 'organizationalUnitUnresolved',
} as const;

export type GovernanceMetric = (typeof GOVERNANCE_METRICS)[keyof typeof GOVERNANCE_METRICS];

export function recordCount(target: Metrics | undefined, metric: GovernanceMetric, value: number): void {
  target?.addMetric(metric, MetricUnit.Count, value);
}

/** One count with its own dimensions (e.g. AccountId and Region), apart from the function's shared ones. */
export function recordScopedCount(
  target: Metrics | undefined,
  metric: GovernanceMetric,
  dimensions: Record<string, string>,
  value: number,
): void {
  const single = target?.singleMetric();
  single?.addDimensions(dimensions);
  single?.addMetric(metric, MetricUnit.Count, value);
}

export function recordMilliseconds(target: Metrics | undefined, metric: GovernanceMetric, value: number): void {
  target?.addMetric(metric, MetricUnit.Milliseconds, Math.max(0, Math.round(value)));
}

export function recordPercent(target: Metrics | undefined, metric: GovernanceMetric, value: number): void {
  target?.addMetric(metric, MetricUnit.Percent, value);
}
