/** One Powertools logger and one metrics object per container, shared by every module. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const SERVICE_NAME = 'vpc-mirror-orchestrator';
export const METRICS_NAMESPACE = 'VpcMirrorOrchestrator';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

export type OutcomeMetric = 'attached' | 'detached' | 'refused' | 'skipped' | 'failed';

export function countOutcome(target: Metrics | undefined, metric: OutcomeMetric, count: number): void {
  if (target === undefined || count === 0) return;
  target.addMetric(metric, MetricUnit.Count, count);
}
