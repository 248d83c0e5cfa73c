/**
 * The stack's metricsNamespace parameter reaches the functions as POWERTOOLS_METRICS_NAMESPACE; the metrics they
 * emit (CloudWatch embedded metric format) must carry it, and a namespace CloudWatch would refuse stops the function
 * at start, naming the variable.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConfigError } from '../../shared/domain/errors';
import { METRICS_NAMESPACE, metricsNamespace } from '../../shared/observability';

type Observability = typeof import('../../shared/observability');

/** The observability module as a fresh container would load it, with this environment. */
function loadWith(env: Record<string, string | undefined>): Observability {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete process.env[name];
  try {
    let loaded: Observability | undefined;
    jest.isolateModules(() => {
      loaded = require('../../shared/observability') as Observability;
    });
    if (loaded === undefined) throw new Error('shared/observability did not load');
    return loaded;
  } finally {
    process.env = saved;
  }
}

/** The namespace of the embedded-metric-format document one `attached` metric produces. */
function emittedNamespace(observability: Observability): string | undefined {
  observability.metrics.addMetric('attached', MetricUnit.Count, 1);
  const document = observability.metrics.serializeMetrics();
  observability.metrics.clearMetrics();
  return document._aws.CloudWatchMetrics[0]?.Namespace;
}

describe('metrics namespace', () => {
  it('is the metricsNamespace parameter (POWERTOOLS_METRICS_NAMESPACE) when the stack sets it', () => {
    expect(emittedNamespace(loadWith({ POWERTOOLS_METRICS_NAMESPACE: 'Security/TrafficMirroring' }))).toBe('Security/TrafficMirroring');
  });

  it('is VpcMirrorOrchestrator when the variable is unset or blank', () => {
    expect(emittedNamespace(loadWith({ POWERTOOLS_METRICS_NAMESPACE: undefined }))).toBe(METRICS_NAMESPACE);
    expect(metricsNamespace({ POWERTOOLS_METRICS_NAMESPACE: '  ' })).toBe(METRICS_NAMESPACE);
  });

  it.each([
    ['reserved for AWS', 'AWS/EC2'],
    ['over 255 characters', 'a'.repeat(256)],
    ['with tabs', 'tabs\tare\tnot\tallowed'],
    ['outside ASCII', 'ünïcode'],
  ])('refuses a namespace %s at start, naming the variable', (_, namespace) => {
    const refusal = (() => {
      try {
        loadWith({ POWERTOOLS_METRICS_NAMESPACE: namespace });
        return undefined;
      } catch (error) {
        return error;
      }
    })();

    // A class of the freshly loaded module: compared by what it carries, not by identity.
    expect(refusal).toMatchObject({ name: ConfigError.name, variable: 'POWERTOOLS_METRICS_NAMESPACE' });
    expect(String((refusal as Error).message)).toMatch(/^POWERTOOLS_METRICS_NAMESPACE: must be a CloudWatch namespace/);
  });
});
