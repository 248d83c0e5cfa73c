/**
 * The outcome counts converge adds to the metrics port (deps.metrics). Here, not in shared/observability, because
 * that module builds the container's logger and metrics from the environment at load: the application only counts
 * on what it is given.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export type OutcomeMetric = 'attached' | 'detached' | 'refused' | 'skipped' | 'failed';

export function countOutcome(target: Metrics | undefined, metric: OutcomeMetric, count: number): void {
  if (target === undefined || count === 0) return;
  target.addMetric(metric, MetricUnit.Count, count);
}
