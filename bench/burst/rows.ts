/** Turns a burst measurement into report rows (with goals) and findings (what missed, with the evidence). */
import type { CallCount } from '@vpc-mirror-orchestrator/ec2-sim';
import { atMost, exactly, formatNumber, informative, judged, type ReportRow } from '../report/model';
import { largestFirst, median, quantile, ratio } from '../stats';

const values0 = (values: readonly number[]): string => (values.length === 0 ? '-' : formatNumber(median(values), 0));

import type { BurstMeasurement } from './measurement';
import { physicalLimitSeconds } from './physical-limit';
import { timePastLimit } from './time-past-limit';

const isNonMutating = (action: string): boolean => action.startsWith('Describe');

/** Issue 12's goals: convergence within 5 % of EC2's pace, and at most 4 DynamoDB requests per created session. */
export const CONVERGE_RATIO_GOAL = 1.05;
export const DYNAMO_REQUESTS_PER_SESSION_GOAL = 4;

interface CallTotals {
  readonly answered: number;
  readonly throttled: number;
}

function totals(calls: Readonly<Record<string, CallCount>>, select: (action: string) => boolean): CallTotals {
  let answered = 0;
  let throttled = 0;
  for (const [action, count] of Object.entries(calls)) {
    if (!select(action)) continue;
    answered += count.total - count.throttled;
    throttled += count.throttled;
  }
  return { answered, throttled };
}

function perActionNote(calls: Readonly<Record<string, CallCount>>, select: (action: string) => boolean, sessions: number): string {
  return Object.entries(calls)
    .filter(([action]) => select(action))
    .sort(([, a], [, b]) => b.total - a.total)
    .map(([action, count]) => {
      const errors = Object.entries(count.errors)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ');
      return `${action} ${formatNumber(ratio(count.total - count.throttled, sessions))}${count.throttled ? ` (+${count.throttled} throttled)` : ''}${errors ? ` [${errors}]` : ''}`;
    })
    .join('; ');
}

const seconds = (value: number | undefined): string => (value === undefined ? '-' : `${formatNumber(value, 2)} s`);
const mb = (bytes: number): string => `${formatNumber(bytes / 1024 / 1024, 1)} MiB`;

export function burstRows(m: BurstMeasurement): { rows: ReportRow[]; findings: string[] } {
  const rows: ReportRow[] = [];
  const findings: string[] = [];
  // Sessions the burst created: the denominator of every per-session figure (all managed sessions are new).
  const sessions = m.managedSessions;

  rows.push(
    informative(
      'burst',
      `${m.instances} instances, ${m.expectedSessions} ENIs`,
      `${m.instancesWithTwoEnis} instances with two ENIs; ${m.interfaceTargets} interface targets (10 sources each) + ${m.loadBalancerTargets} NLB targets; time scale x${m.timeScale}; containers per function ${Object.entries(
        m.concurrency,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    ),
  );
  rows.push(
    judged(
      'ENIs mirrored when the wait ended',
      m.times.sessionsAtEnd,
      exactly(m.expectedSessions),
      `${m.times.sessionsAtEnd} / ${m.expectedSessions}`,
      `${sessions} managed sessions once idle`,
    ),
  );

  const converged = m.times.convergedSeconds;
  const progress = `first session ${seconds(m.times.firstSessionSeconds)}, 50 % ${seconds(m.times.halfSeconds)}, 90 % ${seconds(m.times.ninetyPercentSeconds)}, converged ${seconds(converged)}; idle again ${seconds(m.settleSeconds)} later`;
  if (converged === undefined) {
    rows.push({
      metric: 'time to converge / physical limit',
      measured: 'timed out',
      goal: `<= ${CONVERGE_RATIO_GOAL}`,
      verdict: 'MISS',
      note: progress,
    });
    findings.push(
      `The burst did not converge within the wait (${m.times.sessionsAtEnd}/${m.expectedSessions} ENIs mirrored): ${progress}.`,
    );
  } else if (m.physicalLimitSeconds === 0) {
    rows.push(
      informative(
        'time to converge / physical limit',
        'n/a (limit 0)',
        `${seconds(converged)}; fewer than 51 sessions fit in the first bucket. ${progress}`,
      ),
    );
  } else {
    const convergeRatio = converged / m.physicalLimitSeconds;
    rows.push(
      judged(
        'time to converge / physical limit',
        convergeRatio,
        atMost(CONVERGE_RATIO_GOAL),
        `${formatNumber(convergeRatio)}`,
        `${seconds(converged)} vs limit ${seconds(m.physicalLimitSeconds)} = max(0, ${m.expectedSessions} - 50) / 5 / ${m.timeScale}; ${progress}`,
      ),
    );
    if (convergeRatio > CONVERGE_RATIO_GOAL) {
      findings.push(
        `Convergence took ${formatNumber(convergeRatio)}x the physical limit (${seconds(converged)} vs ${seconds(m.physicalLimitSeconds)}); ${progress}.`,
      );
    }
  }

  const mutating = totals(m.ec2Calls, (action) => !isNonMutating(action));
  const nonMutating = totals(m.ec2Calls, isNonMutating);

  // Two floors explain the converge ratio: what this machine's CPU allows, and what our own mutating calls allow.
  const cpuFloorSeconds = (m.cpu.handlerMs + m.cpu.localCloudMs) / 1000 / m.loadAverage.cores;
  const bucketFloorSeconds = physicalLimitSeconds(mutating.answered, m.timeScale);
  if (m.physicalLimitSeconds > 0) {
    rows.push(
      informative(
        'floor set by our mutating calls / physical limit',
        formatNumber(bucketFloorSeconds / m.physicalLimitSeconds),
        `${mutating.answered} answered mutating calls for ${m.expectedSessions} sessions: the bucket alone needs ${seconds(bucketFloorSeconds)}; this is the ratio the product would reach on AWS with unlimited CPU`,
      ),
    );
    rows.push(
      informative(
        "floor set by this machine's CPU / physical limit",
        formatNumber(cpuFloorSeconds / m.physicalLimitSeconds),
        `handler + local-cloud CPU ${formatNumber(cpuFloorSeconds * m.loadAverage.cores, 1)} s over ${m.loadAverage.cores} cores = ${seconds(cpuFloorSeconds)} even with the machine to ourselves; above 1, the converge ratio measures this machine, not EC2 pacing`,
      ),
    );
    if (bucketFloorSeconds / m.physicalLimitSeconds > 1.1) {
      findings.push(
        `Our own mutating calls put a floor of ${formatNumber(bucketFloorSeconds / m.physicalLimitSeconds)}x the physical limit on convergence (on AWS, with unlimited CPU): ${mutating.answered} CreateTrafficMirrorSession-class calls for ${m.expectedSessions} sessions.`,
      );
    }
    const past = converged === undefined ? undefined : timePastLimit(m.createsAdmittedAt, converged, m.timeScale);
    if (past !== undefined && converged !== undefined) {
      rows.push(
        informative(
          'time past the limit, by where it went',
          seconds(converged - m.physicalLimitSeconds),
          `before the first create ${seconds(past.firstCreateSeconds)}; refill spilled from a full bucket ${seconds(past.spilledSeconds)}; tokens unspent at the last create ${seconds(past.heldAtLastSeconds)}; after the last create ${seconds(past.afterLastCreateSeconds)} (replayed from the admitted creates; replays and other mutating calls would add)`,
        ),
      );
    }
    if (cpuFloorSeconds / m.physicalLimitSeconds > 1.1) {
      findings.push(
        `This machine's CPU puts a floor of ${formatNumber(cpuFloorSeconds / m.physicalLimitSeconds)}x the physical limit on the local run (${formatNumber(ratio(m.cpu.handlerMs, sessions), 0)} ms handler + ${formatNumber(ratio(m.cpu.localCloudMs, sessions), 0)} ms local-cloud CPU per session on ${m.loadAverage.cores} cores); the converge ratio above is bounded by it.`,
      );
    }
  }
  const mutatingPerSession = ratio(mutating.answered, sessions);
  const allPerSession = ratio(mutating.answered + nonMutating.answered, sessions);
  rows.push(
    judged(
      'EC2 mutating calls per session (answered)',
      mutatingPerSession,
      atMost(1.0),
      formatNumber(mutatingPerSession),
      perActionNote(m.ec2Calls, (a) => !isNonMutating(a), sessions),
    ),
  );
  rows.push(
    informative(
      'EC2 non-mutating calls per session (answered)',
      formatNumber(ratio(nonMutating.answered, sessions)),
      perActionNote(m.ec2Calls, isNonMutating, sessions),
    ),
  );
  rows.push(
    judged(
      'EC2 calls per session, all (answered)',
      allPerSession,
      atMost(2.0),
      formatNumber(allPerSession),
      `${mutating.answered + nonMutating.answered} calls for ${sessions} sessions`,
    ),
  );
  const throttledTotal = mutating.throttled + nonMutating.throttled;
  rows.push(
    informative(
      'EC2 calls throttled (RequestLimitExceeded)',
      formatNumber(throttledTotal),
      `mutating ${mutating.throttled}, non-mutating ${nonMutating.throttled}; with them, ${formatNumber(ratio(mutating.answered + mutating.throttled, sessions))} mutating and ${formatNumber(ratio(mutating.answered + nonMutating.answered + throttledTotal, sessions))} total calls per session`,
    ),
  );
  rows.push(
    informative(
      'CreateTrafficMirrorSession replays (same ClientToken)',
      formatNumber(m.createReplays),
      `${formatNumber(ratio(m.createReplays, sessions))} per session: admitted creates that repeated a token already used (idempotent: no new session, but a mutating token spent)`,
    ),
  );
  if (mutatingPerSession > 1.0) {
    findings.push(
      `Mutating EC2 calls per session ${formatNumber(mutatingPerSession)} (goal 1.0): ${perActionNote(m.ec2Calls, (a) => !isNonMutating(a), sessions)}; ` +
        `${m.createReplays} of the creates repeated a ClientToken already used (${formatNumber(ratio(m.createReplays, sessions))} per session).`,
    );
  }
  if (allPerSession > 2.0) {
    findings.push(
      `All EC2 calls per session ${formatNumber(allPerSession)} (goal <= 2.0); non-mutating per session: ${perActionNote(m.ec2Calls, isNonMutating, sessions)}.`,
    );
  }

  const dynamoPerSession = ratio(m.dynamo.requests, sessions);
  const byOperation = largestFirst(m.dynamo.byOperation)
    .map(([op, n]) => `${op} ${formatNumber(ratio(n, sessions))}`)
    .join(', ');
  const dynamoErrors = Object.entries(m.dynamo.errors)
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  rows.push(
    judged(
      'DynamoDB requests per session',
      dynamoPerSession,
      atMost(DYNAMO_REQUESTS_PER_SESSION_GOAL),
      formatNumber(dynamoPerSession),
      `${m.dynamo.requests} requests: ${byOperation}${dynamoErrors ? `; errors: ${dynamoErrors}` : ''}`,
    ),
  );

  const invocations = m.lambdas.reduce((sum, s) => sum + s.invocations, 0);
  const events = m.lambdas.reduce((sum, s) => sum + s.asyncInvocations, 0) + m.eventSources.reduce((sum, s) => sum + s.records, 0);
  // A record reported in batchItemFailures is a failed invocation for that event, though the batch returned normally.
  const failedRecords = m.eventSources.reduce((sum, s) => sum + s.failedRecords, 0);
  const failed = m.lambdas.reduce((sum, s) => sum + s.errors, 0) + failedRecords;
  const perFunction = m.lambdas
    .filter((s) => s.invocations > 0)
    .map(
      (s) =>
        `${s.functionKey}: ${s.asyncInvocations ? `${s.asyncInvocations} async events, ` : ''}${s.invocations} invocations, ${s.errors} failed (${s.timeouts} timeouts, ${s.crashes} crashes, ${s.initFailures} init failures), ${s.coldStarts} cold starts, p50 ${formatNumber(s.durations.p50Ms, 0)} ms, p95 ${formatNumber(s.durations.p95Ms, 0)} ms`,
    )
    .join('; ');
  rows.push(
    judged(
      'failed invocations (attempts that threw, timed out or crashed; records reported failed)',
      failed,
      exactly(0),
      formatNumber(failed),
      `${events} events, ${invocations} attempts, ${failedRecords} failed records; ${perFunction}`,
    ),
  );
  if (m.eventSources.length > 0) {
    rows.push(
      informative(
        'SQS event sources: records per batch',
        m.eventSources
          .filter((s) => s.batches > 0)
          .map((s) => `${s.functionKey} ${formatNumber(ratio(s.records, s.batches), 1)}`)
          .join(', ') || '-',
        m.eventSources
          .map(
            (s) =>
              `${s.functionKey}: ${s.records} records in ${s.batches} batches (largest ${s.largestBatch}), ${s.failedBatches} failed batches, peak concurrency ${s.peakConcurrency}`,
          )
          .join('; ') +
          '; ' +
          m.queues
            .map((q) => `${q.name}: sent ${q.sent}, received ${q.received}, returned ${q.returned}, redriven ${q.redriven}`)
            .join('; '),
      ),
    );
  }
  rows.push(judged('dead letters', m.deadLetters, exactly(0)));
  const limitViolations = m.invariants.checks
    .filter((check) => check.name === 'eni-session-limit' || check.name === 'target-source-limit')
    .reduce((sum, check) => sum + check.violations.length, 0);
  rows.push(judged('limit violations (3 per ENI, sources per target)', limitViolations, exactly(0)));
  rows.push(
    judged(
      'invariant violations (all checks)',
      m.invariants.violations.length,
      exactly(0),
      formatNumber(m.invariants.violations.length),
      m.invariants.checks.map((check) => `${check.name} ${check.violations.length}/${check.examined}`).join(', ') +
        (m.invariants.violations.length > 0
          ? `; first: ${m.invariants.violations
              .slice(0, 3)
              .map((v) => v.message)
              .join(' | ')}`
          : ''),
    ),
  );
  if (failed > 0) {
    const kinds = largestFirst(m.failureKinds)
      .slice(0, 5)
      .map(([kind, n]) => `${n} x ${kind}`)
      .join('; ');
    findings.push(`${failed} failed attempts: ${kinds}.`);
  }
  if (m.invariants.violations.length > 0) {
    findings.push(
      `Invariant violations: ${m.invariants.violations
        .slice(0, 5)
        .map((v) => v.message)
        .join('; ')}.`,
    );
  }

  const containers = m.lambdas.flatMap((s) => s.containers.map((c) => ({ fn: s.functionKey, ...c })));
  const peak = containers.reduce<{ fn: string; bytes: number } | undefined>((best, c) => {
    const bytes = c.peakRssBytes ?? 0;
    return best === undefined || bytes > best.bytes ? { fn: c.fn, bytes } : best;
  }, undefined);
  rows.push(
    informative(
      'peak RSS of a handler process',
      peak ? mb(peak.bytes) : '-',
      peak
        ? `${peak.fn} (memorySize ${m.memorySizeMb[peak.fn] ?? '?'} MB); largest per function: ${m.lambdas
            .filter((s) => s.containers.length > 0)
            .map((s) => `${s.functionKey} ${mb(Math.max(...s.containers.map((c) => c.peakRssBytes ?? 0)))}`)
            .join(', ')}; over ${containers.length} containers`
        : 'no container ran',
    ),
  );
  const cold = m.lambdas.filter((s) => s.coldStartDurations.count > 0);
  rows.push(
    informative(
      'cold start (spawn to ready), median',
      cold.map((s) => `${s.functionKey} ${formatNumber(s.coldStartDurations.p50Ms, 0)} ms`).join(', ') || '-',
      'wall time in the parent, node boot + module load, measured while prewarming two containers at a time (isolated figures: Functions section)',
    ),
  );
  const durationSummary = (values: readonly number[]): string =>
    values.length === 0 ? '-' : `${formatNumber(median(values), 0)} ms (p90 ${formatNumber(quantile(values, 0.9), 0)}, n ${values.length})`;
  rows.push(
    informative(
      'invocation duration, median: first in a container / later',
      `${values0(m.durations.firstInContainer)} / ${values0(m.durations.later)} ms`,
      `first: ${durationSummary(m.durations.firstInContainer)}; later: ${durationSummary(m.durations.later)}; containers were started before the burst, so the difference is not module load: it holds V8's lazy compilation of the handler path, the first connections, and the opening rush when every container starts at once`,
    ),
  );
  const cpuCapacityMs = m.cpu.wallSeconds * 1000 * m.loadAverage.cores;
  rows.push(
    informative(
      'CPU per session: handlers / local cloud',
      `${formatNumber(ratio(m.cpu.handlerMs, sessions), 0)} / ${formatNumber(ratio(m.cpu.localCloudMs, sessions), 0)} ms`,
      `handlers ${formatNumber(m.cpu.handlerMs / 1000, 1)} s CPU over ${m.cpu.containersMeasured} containers, local cloud (dynalite, simulator, bus, proxy: the bench process) ${formatNumber(m.cpu.localCloudMs / 1000, 1)} s, in ${formatNumber(m.cpu.wallSeconds, 1)} s wall on ${m.loadAverage.cores} cores (${formatNumber(ratio(m.cpu.handlerMs + m.cpu.localCloudMs, cpuCapacityMs) * 100, 0)} % of the machine)`,
    ),
  );
  rows.push(
    informative(
      'machine load (1-min load average)',
      `${formatNumber(m.loadAverage.start, 1)} at start, ${formatNumber(m.loadAverage.end, 1)} at end`,
      `${m.loadAverage.cores} cores; a load well above the cores means other work shared the machine and every timing is inflated`,
    ),
  );
  const decided = (key: string) => m.decisions[key] ?? 0;
  rows.push(
    informative(
      "a launch's two events: ENIs attached / left to the holder at once / found mirrored",
      `${decided('attach:eligible')} / ${decided('skip:handled-by-concurrent-invocation')} / ${decided('keep:already-mirrored')}`,
      `each launch sends a running event and a tag change, often converged by two invocations at once: the second leaves the ENI to the first's live reservation (no wait, no write), or plans after the first settled and keeps its session; instances attached by two invocations: ${m.instancesAttachedByTwo}; every decision: ${
        largestFirst(m.decisions)
          .map(([key, n]) => `${key} ${n}`)
          .join(', ') || '-'
      }`,
    ),
  );
  rows.push(
    informative(
      'handler log lines by level',
      Object.entries(m.logLevels)
        .map(([level, n]) => `${level} ${n}`)
        .join(', ') || '-',
    ),
  );
  return { rows, findings };
}
