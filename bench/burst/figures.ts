/** The few figures of one burst that the headline compares across time scales and repeats. */
import { ratio } from '../stats';
import type { BurstMeasurement } from './measurement';

export interface BurstFigures {
  /** Converge time over the physical limit; Infinity when the burst did not converge. */
  readonly convergeRatio: number;
  readonly mutatingPerSession: number;
  readonly replaysPerSession: number;
  readonly dynamoPerSession: number;
  /** Attempts that threw, timed out or crashed, plus records reported failed. */
  readonly failed: number;
}

/** Attempts that threw, timed out or crashed, plus records reported failed: from the functions' and sources' stats. */
export function failedAttempts(
  lambdas: readonly { readonly errors: number }[],
  eventSources: readonly { readonly failedRecords: number }[],
): number {
  return lambdas.reduce((sum, s) => sum + s.errors, 0) + eventSources.reduce((sum, s) => sum + s.failedRecords, 0);
}

export function burstFigures(m: BurstMeasurement): BurstFigures {
  const sessions = m.managedSessions;
  const converged = m.times.convergedSeconds;
  const mutating = Object.entries(m.ec2Calls)
    .filter(([action]) => !action.startsWith('Describe'))
    .reduce((sum, [, count]) => sum + count.total - count.throttled, 0);
  return {
    convergeRatio:
      converged === undefined ? Number.POSITIVE_INFINITY : m.physicalLimitSeconds > 0 ? converged / m.physicalLimitSeconds : converged,
    mutatingPerSession: ratio(mutating, sessions),
    replaysPerSession: ratio(m.createReplays, sessions),
    dynamoPerSession: ratio(m.dynamo.requests, sessions),
    failed: failedAttempts(m.lambdas, m.eventSources),
  };
}
