/**
 * The one factory of the functions' handlers: each is a middy handler with Powertools' logger context and metrics
 * flushing around the work, and the real dependencies wired once per container (at module load, so the
 * adapters' caches and the SDK clients are kept warm between invocations).
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sqs } from '../../shared/aws/clients';
import { withDeadline } from '../../shared/aws/invocation-deadline';
import { createRecordDeferral } from '../../shared/aws/record-deferral';
import { loadConfig } from '../../shared/config/config';
import { ORGANIZATION_PARAMETER_VARIABLE } from '../../shared/config/organization';
import type { ConvergeSummary } from '../../shared/converge';
import { handleTriggerEvent } from '../../shared/lambda/batch';
import { handleOrganizationTriggerEvent } from '../../shared/lambda/organization-batch';
import { logger, metrics } from '../../shared/observability';
import { defaultDeps, type RealDeps } from '../../shared/wiring/deps';
import { type OrganizationWiring, organizationWiring } from '../../shared/wiring/organization';

/**
 * What an invocation keeps of its timeout to wrap up once EC2 has throttled it to its deadline (shared/aws/invocation-deadline.ts):
 * the run's records and outcome events (a few DynamoDB and EventBridge requests), and handing on what is left.
 */
const WRAP_UP_MS = 10_000;

/** A handler doing `work` with the container's dependencies. */
export function lambdaHandler<E, R>(work: (event: E, context: Context, deps: RealDeps) => Promise<R>) {
  const deps = defaultDeps(loadConfig(process.env));
  return organizationHandler<E, R>((event, context) => work(event, context, deps));
}

/**
 * The organization's wiring when MIRROR_ORGANIZATION_PARAMETER names the document, else undefined (one account and
 * Region: the flat variables). The document is read from module load on (SSM is asynchronous, so a container cannot
 * refuse to start) and every minute after: while it is malformed, every invocation fails at once with the message
 * naming the parameter and the JSON path (shared/lambda/organization-batch.ts).
 */
export function organizationFromEnvironment(): OrganizationWiring | undefined {
  const parameterName = process.env[ORGANIZATION_PARAMETER_VARIABLE]?.trim();
  if (!parameterName) return undefined;
  return organizationWiring({ base: loadConfig(process.env), parameterName, readAtStart: true });
}

/**
 * The one middy chain of every function: Powertools' logger context and metrics flushing around `work`. The
 * organization's hub uses it as is (`work` reaches each scope's dependencies through its OrganizationWiring).
 */
export function organizationHandler<E, R>(work: (event: E, context: Context) => Promise<R>) {
  return middy<E, R>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler((event, context) => withDeadline(Date.now() + context.getRemainingTimeInMillis() - WRAP_UP_MS, () => work(event, context)));
}

/** An event function: an SQS batch of EventBridge events (partial batch response), or one direct event. */
export function convergeHandler<E>() {
  const organization = organizationFromEnvironment();
  // Records put back on their queue: the hub's deferrals, and every account's hand-ons at the deadline.
  const deferral = createRecordDeferral(sqs());
  if (organization !== undefined) {
    return organizationHandler<E | SQSEvent, SQSBatchResponse | ConvergeSummary | undefined>((event) =>
      handleOrganizationTriggerEvent(event, { organization, logger, deferral }),
    );
  }
  return lambdaHandler<E | SQSEvent, SQSBatchResponse | ConvergeSummary>((event, _context, deps) =>
    handleTriggerEvent(event, deps, { deferral }),
  );
}
