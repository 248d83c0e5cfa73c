/** Report rows of the stop that follows a burst (burst/stop.ts), with the same goals as the burst's own. */
import { atMost, exactly, formatNumber, informative, judged, type ReportRow } from '../report/model';
import { largestFirst, ratio } from '../stats';
import { CONVERGE_RATIO_GOAL, DYNAMO_REQUESTS_PER_SESSION_GOAL } from './rows';
import type { StopMeasurement } from './stop';

const DELETE = 'DeleteTrafficMirrorSession';

/** The stop's figures the headline compares across runs. */
export function stopFigures(stop: StopMeasurement): { removeRatio: number; deletesPerSession: number; dynamoPerSession: number } {
  const removed = stop.removedSeconds;
  const deletes = stop.ec2Calls[DELETE];
  return {
    removeRatio:
      removed === undefined ? Number.POSITIVE_INFINITY : stop.physicalLimitSeconds > 0 ? removed / stop.physicalLimitSeconds : removed,
    deletesPerSession: ratio(deletes ? deletes.total - deletes.throttled : 0, stop.sessionsBefore),
    dynamoPerSession: ratio(stop.dynamo.requests, stop.sessionsBefore),
  };
}

export function stopRows(stop: StopMeasurement, timeScale: number): { rows: ReportRow[]; findings: string[] } {
  const findings: string[] = [];
  const { removeRatio, deletesPerSession, dynamoPerSession } = stopFigures(stop);
  const deletes = stop.ec2Calls[DELETE];
  const notFound = deletes?.errors['InvalidTrafficMirrorSessionId.NotFound'] ?? 0;
  const removed = stop.removedSeconds === undefined ? 'timed out' : `${formatNumber(stop.removedSeconds, 2)} s`;
  const rows: ReportRow[] = [
    judged(
      'stop: time until every session is gone / physical limit',
      removeRatio,
      atMost(CONVERGE_RATIO_GOAL),
      Number.isFinite(removeRatio) ? formatNumber(removeRatio) : 'timed out',
      `every launched instance stopped at once: ${removed} vs limit ${formatNumber(stop.physicalLimitSeconds, 2)} s = max(0, ${stop.sessionsBefore} - 50) / 5 / ${timeScale}; sessions left ${stop.sessionsLeft}`,
    ),
    judged(
      'stop: EC2 delete calls per session (answered)',
      deletesPerSession,
      atMost(1),
      undefined,
      `${DELETE}: ${deletes ? deletes.total - deletes.throttled : 0} answered for ${stop.sessionsBefore} sessions, ${notFound} of them NotFound (a session another invocation deleted), ${deletes?.throttled ?? 0} throttled`,
    ),
    judged(
      'stop: DynamoDB requests per session',
      dynamoPerSession,
      atMost(DYNAMO_REQUESTS_PER_SESSION_GOAL),
      undefined,
      `${stop.dynamo.requests} requests: ${largestFirst(stop.dynamo.byOperation)
        .map(([operation, count]) => `${operation} ${formatNumber(ratio(count, stop.sessionsBefore))}`)
        .join(', ')}`,
    ),
    informative(
      "stop: a stop's two events: sessions deleted / left to the run deleting them",
      `${stop.decisions['detach:not-running'] ?? 0} / ${stop.decisions['skip:handled-by-concurrent-invocation'] ?? 0}`,
      `each stop sends a stopping and a stopped event, often converged by two invocations at once: the second leaves a session to the first's live release (no call, no write); every decision: ${
        largestFirst(stop.decisions)
          .map(([key, n]) => `${key} ${n}`)
          .join(', ') || '-'
      }`,
    ),
    judged(
      'stop: failed invocations',
      stop.failed,
      exactly(0),
      undefined,
      [
        ...largestFirst(stop.failureKinds).map(([kind, count]) => `${count} x ${kind}`),
        `${stop.handedOn} records handed on to their queue by invocations EC2 throttled to their deadline`,
      ].join('; '),
    ),
    judged(
      'stop: invariant violations (all checks)',
      stop.invariants.violations.length,
      exactly(0),
      undefined,
      stop.invariants.checks.map((check) => `${check.name} ${check.violations.length}/${check.examined}`).join(', '),
    ),
  ];
  if (stop.removedSeconds === undefined) {
    findings.push(`The stop left ${stop.sessionsLeft} of ${stop.sessionsBefore} sessions when the wait ended.`);
  } else if (removeRatio > CONVERGE_RATIO_GOAL) {
    findings.push(`The stop took ${formatNumber(removeRatio)}x its physical limit (${removed}).`);
  }
  if (stop.failed > 0) findings.push(`${stop.failed} failed invocations during the stop.`);
  if (deletesPerSession > 1)
    findings.push(`The stop spent ${formatNumber(deletesPerSession)} delete calls per session, ${notFound} answered NotFound.`);
  if (dynamoPerSession > DYNAMO_REQUESTS_PER_SESSION_GOAL)
    findings.push(
      `The stop spent ${formatNumber(dynamoPerSession)} DynamoDB requests per session (goal ${DYNAMO_REQUESTS_PER_SESSION_GOAL}).`,
    );
  return { rows, findings };
}
