/** One Powertools logger and one metrics object per container, shared by every module. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ConfigError } from '../domain/errors';

export const SERVICE_NAME = 'vpc-mirror-orchestrator';
export const METRICS_NAMESPACE = 'VpcMirrorOrchestrator';

/**
 * CloudWatch's rules for a namespace: 1..255 of letters, digits, . - _ / # : and space, not starting with AWS/
 * (reserved for AWS's own metrics).
 */
const NAMESPACE_PATTERN = /^(?!AWS\/)[A-Za-z0-9.\-_/#: ]{1,255}$/;

/**
 * The namespace of our metrics: POWERTOOLS_METRICS_NAMESPACE (the stack's metricsNamespace parameter) when set,
 * else ours. Powertools prefers a namespace given to its constructor over the variable, so it is read here.
 */
export function metricsNamespace(env: Readonly<Record<string, string | undefined>>): string {
  const configured = env['POWERTOOLS_METRICS_NAMESPACE']?.trim();
  if (configured === undefined || configured === '') return METRICS_NAMESPACE;
  if (!NAMESPACE_PATTERN.test(configured)) {
    throw new ConfigError(
      'POWERTOOLS_METRICS_NAMESPACE',
      `must be a CloudWatch namespace (1..255 of letters, digits, . - _ / # : and space, not starting with AWS/), got ${JSON.stringify(configured)}`,
    );
  }
  return configured;
}

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: metricsNamespace(process.env), serviceName: SERVICE_NAME });
